"""Guards against binding bugs that would crash the app after a while, and checks the Qt leak guard itself."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, QTimer, Signal

from .conftest import dangling_qt_work


class _Emitter(QObject):
    fired = Signal(object)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True and None are immortal from CPython 3.12")
def test_emitting_signals_keeps_reference_counts() -> None:
    # PySide6 6.12.0 dropped a reference to True on each emit(): the app aborted after a few hundred.
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(2000):
        emitter.fired.emit(None)
    received.clear()
    assert (sys.getrefcount(True), sys.getrefcount(None)) == before


def test_the_guard_sees_a_running_timer() -> None:
    timer = QTimer()
    timer.setObjectName("left running")
    timer.start(1000)
    try:
        assert "left running" in " ".join(dangling_qt_work())
    finally:
        timer.stop()
    assert dangling_qt_work() == []
