"""One engine host started ahead of need, so the app's next model load (a switch, a Retry, the first
message) skips the process start and llama.cpp's import: about 0.3 s on a quiet 2-core machine.

Only the GUI keeps one (`enable`), from the moment a chat model is picked; the CLI starts hosts as
it needs them. A spare is used only if the environment it started with is still the app's
(settings that reach a host through it, such as the memory cap, would otherwise be stale).
"""

from __future__ import annotations

import threading
from typing import Any

from engines.host.launch import host_env
from engines.host.process import HostProcess

_lock = threading.Lock()
_enabled = False
_spare: tuple[HostProcess, dict[str, str]] | None = None


def enable() -> None:
    global _enabled
    with _lock:
        _enabled = True
    _refill()


def disable() -> None:
    """Stop keeping a spare and end the one waiting (the window closed)."""
    global _enabled, _spare
    with _lock:
        _enabled, spare, _spare = False, _spare, None
    if spare is not None:
        spare[0].close()


def take(label: str) -> HostProcess:
    """A host for a model about to load: the spare if one is ready, else a new process."""
    global _spare
    with _lock:
        spare, _spare = _spare, None
    host: HostProcess | None = None
    if spare is not None:
        candidate, env = spare
        if candidate.alive and env == host_env():
            host = candidate
            host.label = label
        else:
            candidate.close()
    if host is None:
        host = HostProcess(label)
    _refill()
    return host


def take_loaded(label: str, **load: Any) -> tuple[HostProcess, Any]:
    """A host with a model in it: `take`, then the `load` request with these fields. A load that fails
    (an error, a crash, the caller interrupted) ends that host before the error goes on."""
    host = take(label)
    try:
        return host, host.call("load", **load)
    except BaseException:
        host.kill("closing")
        host.wait_ended(5.0)
        raise


def _refill() -> None:
    global _spare
    with _lock:
        if not _enabled or _spare is not None:
            return
        _spare = (HostProcess("spare"), host_env())
