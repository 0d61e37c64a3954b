"""Report when the main window first paints, for the cold-start benchmark.

With CANDEIA_STARTUP_PROBE=SECONDS in the environment the app prints one JSON line when the main
window's first paint has finished ({"event": "painted", ...}), a second after it has sat idle for
SECONDS ({"event": "idle", ...}: resident memory, whether the heavy engines were imported), then
quits. Without the variable nothing is installed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from desktop.sysinfo import process_memory_bytes

ENV = "CANDEIA_STARTUP_PROBE"
HEAVY_MODULES = ("llama_cpp", "onnxruntime", "torch", "transformers")


def _report(event: str, **extra: Any) -> None:
    line = {"event": event, "perf_counter": time.perf_counter(), "time": time.time(), **extra}
    print(json.dumps(line), flush=True)


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, idle_s: float) -> None:
        super().__init__(window)
        self._idle_s = idle_s
        self._seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._seen:
            self._seen = True
            # Report once the paint event has been handled, not when it arrives.
            QTimer.singleShot(0, self._painted)
        return False

    def _painted(self) -> None:
        _report("painted", rss_bytes=process_memory_bytes())
        QTimer.singleShot(int(self._idle_s * 1000), self._idle)

    def _idle(self) -> None:
        heavy = [name for name in HEAVY_MODULES if name in sys.modules]
        _report("idle", rss_bytes=process_memory_bytes(), heavy_modules=heavy)
        QApplication.quit()


def install(window: QWidget) -> None:
    """Watch `window` for its first paint when the benchmark asked for it."""
    value = os.environ.get(ENV)
    if not value:
        return
    window.installEventFilter(_FirstPaint(window, float(value)))
