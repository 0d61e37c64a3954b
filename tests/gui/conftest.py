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
from engines.store.model_store import InstalledModel, ModelStore

_timers: list[weakref.ref[QTimer]] = []
_threads: list[weakref.ref[QThread]] = []


def dangling_qt_work() -> list[str]:
    """What is still running now: busy worker pools, QThreads, active QTimers."""
    runners = [r for r in workers.live_runners() if shiboken6.isValid(r)]
    problems = [f"worker pool {r.name} busy" for r in runners if r.active_count()]
    if QThreadPool.globalInstance().activeThreadCount():
        problems.append("global QThreadPool busy")
    for thread in (ref() for ref in _threads):
        if thread is not None and shiboken6.isValid(thread) and thread.isRunning():
            problems.append(f"QThread {thread.objectName() or thread} running")
    for timer in (ref() for ref in _timers):
        if timer is not None and shiboken6.isValid(timer) and timer.isActive():
            problems.append(f"QTimer {timer.objectName() or timer} active")
    return problems


@pytest.fixture(autouse=True)
def no_dangling_qt_work(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    original_timer_start = QTimer.start
    original_thread_start = QThread.start

    def timer_start(self: QTimer, *args: object) -> None:
        _timers.append(weakref.ref(self))
        original_timer_start(self, *args)

    def thread_start(self: QThread, *args: object) -> None:
        _threads.append(weakref.ref(self))
        original_thread_start(self, *args)

    monkeypatch.setattr(QTimer, "start", timer_start)
    monkeypatch.setattr(QThread, "start", thread_start)
    yield
    deadline = time.monotonic() + 3.0
    while True:
        QCoreApplication.processEvents()
        problems = dangling_qt_work()
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    _timers.clear()
    _threads.clear()
    assert not problems, f"test left Qt work running: {problems}"


@pytest.fixture
def installed_model(tiny_gguf: Path) -> InstalledModel:
    return ModelStore().add(tiny_gguf, name="Tiny Chat")


@pytest.fixture
def main_window(installed_model: InstalledModel, bare_window: MainWindow) -> MainWindow:
    """The real window on the real engine, with a tiny chat model installed."""
    return bare_window


@pytest.fixture
def bare_window(qtbot: QtBot) -> Iterator[MainWindow]:
    """The real window with what is installed already; closed (workers joined, model freed) before the guards run."""
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


def ask(qtbot: QtBot, chat: ChatPage, text: str, **values: Any) -> None:
    """Send `text` with these sampling values (see `configure`) and wait for the whole reply."""
    configure(chat, **values)
    chat.send(text)
    wait_reply(qtbot, chat)
