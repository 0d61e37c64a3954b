"""The client side of one engine host process: requests, replies, death and the watchdog.

One reader thread takes every message the host sends and hands it to the call it answers. When
the channel ends, the process's exit status becomes an EngineCrashedError for every call still
waiting, so no caller ever blocks on a dead host. A watchdog ends a host that has said nothing
for WATCHDOG_S while a call was waiting on it; a Stop that the host does not honour within
STOP_GRACE_S ends it too.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import itertools
import logging
import os
import queue
import subprocess
import threading
import time
import weakref
from typing import Any, BinaryIO, cast

from engines.errors import EngineCrashedError
from engines.host import wire
from engines.host.launch import death_cause, memory_limited, spawn

log = logging.getLogger(__name__)

WATCHDOG_ENV = "CANDEIA_HOST_WATCHDOG_S"
WATCHDOG_S = 600.0  # silence allowed while a call waits: a long prompt on a slow CPU says nothing for minutes
STOP_GRACE_S = 3.0
EXIT_GRACE_S = 2.0

_live: weakref.WeakSet[HostProcess] = weakref.WeakSet()


@atexit.register
def _end_all() -> None:
    """No host outlives the app, even one whose owner forgot to close it."""
    for host in list(_live):
        host.kill("closing")


def watchdog_seconds() -> float:
    """CANDEIA_HOST_WATCHDOG_S, or the default when it is unset or not a positive number."""
    raw = os.environ.get(WATCHDOG_ENV)
    try:
        value = float(raw) if raw else WATCHDOG_S
    except ValueError:
        value = 0.0
    if value > 0:
        return value
    log.warning("%s=%r is not a positive number of seconds; using %.0f", WATCHDOG_ENV, raw, WATCHDOG_S)
    return WATCHDOG_S


def live_pids() -> list[int]:
    """The engine hosts this app has running now (for the status bar's memory figure)."""
    return [host.pid for host in list(_live) if host.alive]


class Call:
    """One request in flight: its messages arrive on `messages`; a death arrives as an exception."""

    def __init__(self, host: HostProcess, ident: int) -> None:
        self.host = host
        self.ident = ident
        self.messages: queue.SimpleQueue[wire.Message | EngineCrashedError] = queue.SimpleQueue()
        self.cancelled = False

    def next(self, timeout: float | None = None) -> wire.Message | EngineCrashedError | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def cancel(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self.host.cancel(self)


class HostProcess:
    def __init__(self, label: str, kind: str = "llama") -> None:
        self.label = label
        self._proc = spawn(kind)
        self.pid = self._proc.pid
        assert self._proc.stdin is not None and self._proc.stdout is not None and self._proc.stderr is not None
        self._stdin = self._proc.stdin
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._calls: dict[int, Call] = {}
        self._stops: dict[int, float] = {}  # call id -> when its cancel was sent
        self._death: EngineCrashedError | None = None
        self._kill_reason: str | None = None
        self._heard_at = time.monotonic()
        self._watchdog_s = watchdog_seconds()
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self._ended = threading.Event()
        _live.add(self)
        threading.Thread(target=self._read, name=f"host-reader:{label}", daemon=True).start()
        threading.Thread(target=self._drain_stderr, name=f"host-stderr:{label}", daemon=True).start()
        threading.Thread(target=self._watch, name=f"host-watchdog:{label}", daemon=True).start()

    # -- calls ----------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._death is None and self._kill_reason is None and self._proc.poll() is None

    @property
    def death(self) -> EngineCrashedError | None:
        return self._death

    def start(self, op: str, **fields: Any) -> Call:
        with self._lock:
            if self._death is not None:
                raise self._death
            call = Call(self, next(self._ids))
            self._calls[call.ident] = call
            self._heard_at = time.monotonic()
        try:
            self._send({"op": op, "id": call.ident, **fields})
        except OSError:
            self._ended.wait(5.0)  # the pipe broke: the host is dying; its cause is on its way
            with self._lock:
                self._calls.pop(call.ident, None)
            raise self._death or EngineCrashedError("exited", "the channel closed") from None
        return call

    def call(self, op: str, **fields: Any) -> Any:
        """Send a request and wait for its result (raising the host's error, or its death)."""
        call = self.start(op, **fields)
        while True:
            message = call.next()
            if isinstance(message, EngineCrashedError):
                raise message
            if message is not None and ("ok" in message or "error" in message):
                return result_of(message)

    def cancel(self, call: Call) -> None:
        with self._lock:
            if call.ident not in self._calls:
                return
            self._stops[call.ident] = time.monotonic()
        with contextlib.suppress(OSError):
            self._send({"op": "cancel", "id": 0, "target": call.ident})

    def finish(self, call: Call) -> None:
        with self._lock:
            self._calls.pop(call.ident, None)
            self._stops.pop(call.ident, None)

    def _send(self, message: wire.Message) -> None:
        data = wire.encode(message)
        with self._send_lock:  # not self._lock: the reader must never wait behind a full pipe
            self._stdin.write(data)
            self._stdin.flush()

    # -- ending ---------------------------------------------------------------------------------
    def close(self, grace: float = EXIT_GRACE_S) -> None:
        """Ask the host to exit (all its memory returns to the system); kill it if it does not."""
        if self._proc.poll() is None and self._kill_reason is None:
            self._kill_reason = "closing"
            with contextlib.suppress(OSError):
                self._send({"op": "exit", "id": 0})
                self._stdin.close()
            try:
                self._proc.wait(grace)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._ended.wait(grace + 5.0)
        _live.discard(self)

    def kill(self, reason: str) -> None:
        """End the host now. `reason` "hung" is reported to waiting calls as a hang; others as closing."""
        with self._lock:
            if self._kill_reason is None:
                self._kill_reason = reason
        with contextlib.suppress(OSError):
            self._proc.kill()

    def wait_ended(self, timeout: float) -> bool:
        return self._ended.wait(timeout)

    # -- threads --------------------------------------------------------------------------------
    def _read(self) -> None:
        stdout = cast(BinaryIO, self._proc.stdout)
        try:
            while True:
                message = wire.receive(stdout)
                if message is None:
                    break
                with self._lock:
                    self._heard_at = time.monotonic()
                    call = self._calls.get(int(message.get("id", -1)))
                if call is not None:
                    call.messages.put(message)
        except (wire.ChannelError, OSError, ValueError) as exc:
            log.warning("engine host %s: bad channel (%s); ending it", self.label, exc)
            self.kill("channel")
        self._on_end()

    def _on_end(self) -> None:
        try:
            code = self._proc.wait(10.0)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        reason = self._kill_reason
        if reason == "hung":
            death = EngineCrashedError("hung")
        elif reason in ("closing", "stopped"):
            death = EngineClosed()
        else:
            death = death_cause(code, memory_limited=memory_limited())
        if not isinstance(death, EngineClosed):
            tail = " | ".join(line for line in self.stderr_tail if line.strip())[-800:]
            log.info("engine host %s (pid %s) ended: %s%s", self.label, self.pid, death,
                      f"; its last output: {tail}" if tail else "")
        with self._lock:
            self._death = death
            calls = list(self._calls.values())
            self._calls.clear()
        for call in calls:
            call.messages.put(death)
        self._ended.set()
        _live.discard(self)

    def _drain_stderr(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        for raw in iter(stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip()
            self.stderr_tail.append(line)
            log.debug("engine host %s: %s", self.label, line)

    def _watch(self) -> None:
        while not self._ended.wait(0.25):
            now = time.monotonic()
            with self._lock:
                waiting = bool(self._calls)
                silent = now - self._heard_at
                overdue = any(now - at > STOP_GRACE_S for at in self._stops.values())
            if overdue:
                log.warning("engine host %s did not stop within %.0f s; ending it", self.label, STOP_GRACE_S)
                self.kill("stopped")
            elif waiting and silent > self._watchdog_s:
                log.warning("engine host %s said nothing for %.0f s; ending it", self.label, silent)
                self.kill("hung")


class EngineClosed(EngineCrashedError):
    """The host was ended on purpose (closing, or a Stop it did not honour): not a crash."""

    def __init__(self) -> None:
        super().__init__("closed")
        self.args = ("the model was unloaded",)

    def __str__(self) -> str:
        return "the model was unloaded"


def result_of(message: wire.Message) -> Any:
    if "error" in message:
        raise rebuild_error(message["error"])
    return message.get("ok")


def rebuild_error(error: dict[str, Any]) -> Exception:
    """The host's error as the same CandeiaError class, so callers catch what they always caught."""
    from engines import errors

    kind = getattr(errors, str(error.get("type")), None)
    message = str(error.get("message", "the engine host failed"))
    if isinstance(kind, type) and issubclass(kind, errors.CandeiaError) and kind not in (
            errors.InvalidModelFileError, errors.EngineCrashedError):
        return kind(message)
    if error.get("type") == "InvalidModelFileError":
        return errors.ModelLoadError(message)
    return errors.GenerationError(message)
