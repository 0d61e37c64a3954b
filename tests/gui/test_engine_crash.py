"""A model's process dies mid-reply: the window stays, the partial reply stays, Retry answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engines.host.faults import ENV as FAULT_ENV

from .conftest import configure, wait_reply


def test_crash_keeps_the_partial_reply_and_retry_answers(qtbot: QtBot, main_window: MainWindow,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    chat = main_window.chat
    monkeypatch.setenv(FAULT_ENV, "crash:token=12")  # read by the host the first message starts
    configure(chat, max_tokens=60, seed=1, temperature=0.0)
    chat.send("Hello there")
    assert chat.reply is not None and chat.reply.widget is not None
    widget = chat.reply.widget
    wait_reply(qtbot, chat)
    assert main_window.isVisible()
    assert widget.text.strip(), "what streamed before the crash is kept"
    assert widget.error.isVisibleTo(widget) and widget.error.text() == "The model process crashed (SIGSEGV)."
    assert widget.retry_button.isVisibleTo(widget)
    first_pid = chat.session._holder.engine.pid  # type: ignore[union-attr]
    [_, saved] = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert saved.content == widget.text and saved.stats == {"interrupted": widget.error.text()}

    monkeypatch.delenv(FAULT_ENV)
    qtbot.mouseClick(widget.retry_button, Qt.MouseButton.LeftButton)
    assert chat.reply is not None
    wait_reply(qtbot, chat)
    [_, again] = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert again.stats is not None and again.stats["generated_tokens"] == 60 and "interrupted" not in again.stats
    new_pid = chat.session._holder.engine.pid  # type: ignore[union-attr]
    assert new_pid != first_pid and main_window.model_label.text() == "Tiny Chat"


def test_closing_the_window_leaves_no_host(qtbot: QtBot, installed_model: object) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    configure(window.chat, max_tokens=4)
    window.chat.send("Hello")
    wait_reply(qtbot, window.chat)
    pid = window.chat.session._holder.engine.pid  # type: ignore[union-attr]
    assert Path(f"/proc/{pid}").exists()
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
