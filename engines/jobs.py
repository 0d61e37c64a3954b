"""Cancellation and progress primitives shared by every engine and by the GUI's workers."""

from __future__ import annotations

import threading
from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]  # (done, total)


class Cancelled(Exception):
    """Raised inside a job when its cancel token fires."""


class CancelToken:
    """A flag a job checks at each step (each token, each chunk). Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early if cancelled. Returns True when cancelled."""
        return self._event.wait(timeout)
