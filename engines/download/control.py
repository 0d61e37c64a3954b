"""Pause, resume and cancel a download from another thread.

A blocked read cannot see a flag, so pausing or cancelling also shuts the live socket down:
the read returns at once and the transfer loop notices why.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from engines.download.errors import DownloadCancelled, DownloadPaused


class DownloadControl:
    def __init__(self) -> None:
        # Reentrant: a signal handler (Ctrl-C in the CLI) may pause while this thread holds the lock.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._paused = False
        self._cancelled = False
        self._socket: socket.socket | None = None

    # -- called from any thread ----------------------------------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._interrupt_locked()
            self._changed.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._changed.notify_all()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            self._interrupt_locked()
            self._changed.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    # -- called by the transfer ------------------------------------------------------------------
    def check(self) -> None:
        if self._cancelled:
            raise DownloadCancelled("the download was cancelled")
        if self._paused:
            raise DownloadPaused("the download is paused")

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._socket = sock
            if sock is not None and (self._paused or self._cancelled):
                self._interrupt_locked()

    def detach(self) -> None:
        with self._lock:
            self._socket = None

    def sleep(self, seconds: float) -> None:
        """Wait between retries; wakes (and raises) at once on pause or cancel."""
        with self._lock:
            self._changed.wait_for(lambda: self._paused or self._cancelled, timeout=seconds)
        self.check()

    def wait_until_resumed(self) -> bool:
        """Block while paused. Returns False when the download was cancelled instead."""
        with self._lock:
            self._changed.wait_for(lambda: not self._paused or self._cancelled)
            return not self._cancelled

    def _interrupt_locked(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed
                self._socket.shutdown(socket.SHUT_RDWR)
