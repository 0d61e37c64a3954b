"""Write uncaught exceptions and fatal signals to `<data dir>/logs/crash.log`.

A windowed build has no console, so without this a crash leaves nothing behind. Python-level
errors go through sys.excepthook (and threading.excepthook); a native crash (a segfault in a
shared library) is recorded by faulthandler into the same file.
"""

from __future__ import annotations

import contextlib
import datetime
import faulthandler
import os
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from engines import __version__
from engines.paths import PRIVATE_FILE, PRIVATE_FOLDER, data_dir

CRASH_LOG = "crash.log"
_MAX_BYTES = 1_000_000  # start afresh past this, so the log cannot grow without bound

_fault_file: IO[str] | None = None  # kept open: faulthandler writes to its file descriptor on a crash


def crash_log_path() -> Path:
    return data_dir() / "logs" / CRASH_LOG


def _open_log() -> IO[str]:
    path = crash_log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    truncate = path.exists() and path.stat().st_size > _MAX_BYTES
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else os.O_APPEND)
    return os.fdopen(os.open(path, flags, PRIVATE_FILE), "w" if truncate else "a", encoding="utf-8")


def write_crash(kind: str, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Path:
    """Append one report (time, version, traceback) and return the log's path."""
    with _open_log() as log:
        stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        log.write(f"\n=== {stamp} Candeia {__version__} ({sys.platform}, frozen={getattr(sys, 'frozen', False)}) "
                  f"{kind}\n")
        log.write("".join(traceback.format_exception(exc_type, exc, tb)))
    return crash_log_path()


def install(program: str) -> Path | None:
    """Record crashes of `program` ("candeia" or "candeia-cli"); returns the log path, or None if unwritable."""
    global _fault_file
    try:
        _fault_file = _open_log()
    except OSError:
        return None  # a read-only or missing data folder must not stop the app from starting
    faulthandler.enable(_fault_file, all_threads=True)
    previous = sys.excepthook
    previous_thread_hook = threading.excepthook

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(exc_type, KeyboardInterrupt):
            with contextlib.suppress(OSError):
                write_crash(f"{program}: uncaught exception", exc_type, exc, tb)
        previous(exc_type, exc, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            with contextlib.suppress(OSError):
                write_crash(f"{program}: uncaught exception in thread {args.thread.name if args.thread else '?'}",
                            args.exc_type, args.exc_value, args.exc_traceback)
        previous_thread_hook(args)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    return crash_log_path()
