"""Qt-side guards (after napari's conftest): a test fails if it leaves Qt work running.

Checked after the test's own fixtures are torn down: worker pools still busy, QThreads still
running, QTimers still active. Python threads (a model's owner thread) are checked by the
top-level `no_leaked_threads` guard.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QThread, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from pytestqt.qtbot import QtBot

from desktop import workers
from desktop.main_window import MainWindow
from desktop.pages.chat import ChatPage
from engines.store import InstalledModel, ModelStore


@pytest.fixture(autouse=True)
def no_dangling_qt_work(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    timers: list[weakref.ref[QTimer]] = []
    threads: list[weakref.ref[QThread]] = []
    original_timer_start = QTimer.start
    original_thread_start = QThread.start

    def timer_start(self: QTimer, *args: object) -> None:
        timers.append(weakref.ref(self))
        original_timer_start(self, *args)

    def thread_start(self: QThread, *args: object) -> None:
        threads.append(weakref.ref(self))
        original_thread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", timer_start)
    monkeypatch.setattr(QThread, "start", thread_start)
    yield
    deadline = time.monotonic() + 3.0
    while True:
        QCoreApplication.processEvents()
        busy_runners = [r.name for r in workers.live_runners() if shiboken6.isValid(r) and r.active_count()]
        global_busy = QThreadPool.globalInstance().activeThreadCount()
        running = [t for t in (ref() for ref in threads) if t is not None and shiboken6.isValid(t) and t.isRunning()]
        active = [t for t in (ref() for ref in timers) if t is not None and shiboken6.isValid(t) and t.isActive()]
        if not (busy_runners or global_busy or running or active) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not busy_runners, f"test left worker pools busy: {busy_runners}"
    assert not global_busy, "test left work on the global QThreadPool"
    assert not running, f"test left QThreads running: {running}"
    assert not active, f"test left QTimers running: {[t.objectName() or t for t in active]}"


@pytest.fixture
def installed_model(tiny_gguf: Path) -> InstalledModel:
    return ModelStore().add(tiny_gguf, name="Tiny Chat")


@pytest.fixture
def main_window(qtbot: QtBot, installed_model: InstalledModel) -> Iterator[MainWindow]:
    """The real window on the real engine; closed (workers joined, model freed) before the guards run."""
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()


def configure(chat: ChatPage, **values: Any) -> None:
    """Set sampling values as if typed into the panel (saved to the conversation or the draft)."""
    chat.sampling.set_values({**chat.sampling.values(), **values})
    chat._sampling_changed(chat.sampling.values())


def wait_reply(qtbot: QtBot, chat: ChatPage, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: chat.reply is None, timeout=timeout)
