"""Progress events for a whole download: bytes done, total, speed, ETA — at most ~10 per second."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MIN_INTERVAL = 0.1  # seconds between events, so a UI is never flooded
SPEED_WINDOW = 3.0  # seconds of history the speed is averaged over


@dataclass(frozen=True)
class DownloadProgress:
    model_id: str
    file: str
    done: int
    total: int | None
    speed: float  # bytes per second, over the last few seconds
    eta: float | None  # seconds
    finished: bool = False

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[DownloadProgress], None]


class ProgressMeter:
    """Counts bytes from the transfer thread and emits throttled events."""

    def __init__(self, model_id: str, total: int | None, done: int, callback: ProgressCallback | None) -> None:
        self.model_id = model_id
        self.total = total
        self.done = done
        self.file = ""
        self._callback = callback
        self._lock = threading.Lock()
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), done)])
        self._last_emit = 0.0

    def set_file(self, name: str) -> None:
        self.file = name

    def add(self, count: int) -> None:
        with self._lock:
            self.done += count
            now = time.monotonic()
            if now - self._last_emit < MIN_INTERVAL:
                return
            self._last_emit = now
            self._samples.append((now, self.done))
            while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW:
                self._samples.popleft()
            event = self._event(now)
        if self._callback is not None:
            self._callback(event)

    def finish(self) -> None:
        with self._lock:
            event = self._event(time.monotonic(), finished=True)
        if self._callback is not None:
            self._callback(event)

    def _event(self, now: float, finished: bool = False) -> DownloadProgress:
        first_t, first_done = self._samples[0]
        elapsed = now - first_t
        speed = (self.done - first_done) / elapsed if elapsed > 0 else 0.0
        eta = None
        if self.total is not None and speed > 0:
            eta = max(0.0, (self.total - self.done) / speed)
        return DownloadProgress(self.model_id, self.file, self.done, self.total, speed, eta, finished)
