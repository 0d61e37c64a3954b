"""Measure how long the UI thread stalls: a fast QTimer whose late ticks reveal blocked event loops.

Every tick's lateness is kept (a float per 5 ms), so the benchmark can report percentiles.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setObjectName("stall probe")
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest_ms = 0.0
        self.ticks = 0
        self.stalls_ms: list[float] = []
        self.started_at = 0.0
        self.long_stalls: list[tuple[float, float]] = []  # (seconds since start, ms) of stalls over 16 ms

    def start(self) -> None:
        self._last = self.started_at = time.perf_counter()
        self.longest_ms = 0.0
        self.ticks = 0
        self.stalls_ms = []
        self.long_stalls = []
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest_ms

    def percentile(self, q: float) -> float:
        """The stall that `q` percent of ticks did not exceed (0 before any tick)."""
        if not self.stalls_ms:
            return 0.0
        ordered = sorted(self.stalls_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100.0))]

    def _tick(self) -> None:
        now = time.perf_counter()
        stall = (now - self._last) * 1000.0 - self.interval_ms
        self.longest_ms = max(self.longest_ms, stall)
        self.stalls_ms.append(max(0.0, stall))
        if stall > 16.0:
            self.long_stalls.append((self._last - self.started_at, stall))
        self._last = now
        self.ticks += 1
