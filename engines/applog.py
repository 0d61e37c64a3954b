"""The app's own log, `<data dir>/logs/candeia.log`: what the core did that a user may ask about later
(an engine host that died and why, a model that needed safe settings). Rotated, never unbounded."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os

from engines.paths import PRIVATE_FILE, PRIVATE_FOLDER, data_dir


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Log files the user alone can read (POSIX), like the rest of the data folder."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

APP_LOG = "candeia.log"
_MAX_BYTES = 1_000_000
_installed = False


def install(program: str) -> None:
    """Record INFO and above from the core in the log file (once per process; best effort)."""
    global _installed
    if _installed:
        return
    with contextlib.suppress(OSError):
        folder = data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
        handler = _PrivateRotatingHandler(folder / APP_LOG, maxBytes=_MAX_BYTES, backupCount=2,
                                                       encoding="utf-8", delay=True)
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter(f"%(asctime)s {program} %(levelname)s %(name)s: %(message)s"))
        core = logging.getLogger("engines")
        core.addHandler(handler)
        if core.getEffectiveLevel() > logging.INFO:
            core.setLevel(logging.INFO)
        _installed = True
