"""A reply is saved while it streams and marked finished at the end (issue 15, finding 11)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow

from .conftest import configure, wait_reply


def test_a_streaming_reply_is_on_disk_before_it_ends(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=0)  # unlimited: only Stop ends it
    chat.send("Tell me a long story")
    reply = chat.reply
    assert reply is not None and reply.widget is not None and chat.conv is not None
    widget = reply.widget
    qtbot.waitUntil(lambda: len(widget.text) > 20, timeout=30_000)
    started = time.monotonic()

    def saved_part() -> str:
        messages = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
        return messages[-1].content if messages[-1].role == "assistant" else ""

    qtbot.waitUntil(lambda: len(saved_part()) > 20, timeout=5_000)  # within about a second
    assert time.monotonic() - started < 3
    [_, draft] = chat.store.messages(chat.conv.id)
    assert not draft.finished and draft.stats is None
    assert widget.text.startswith(draft.content)
    qtbot.mouseClick(chat.composer.button, Qt.MouseButton.LeftButton)  # Stop
    wait_reply(qtbot, chat, timeout=5_000)
    [_, final] = chat.store.messages(chat.conv.id)
    assert final.id == draft.id and final.finished and final.content == widget.text
    assert final.stats is not None and final.stats["stop_reason"] == "cancelled"


def test_an_unfinished_reply_says_so_when_shown_again(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    store = chat.store
    conv = store.create("Cut off")
    store.add_message(conv.id, "user", "Hello")
    draft = store.start_reply(conv.id, "Half of a rep")
    chat.conversations.refresh(select=conv.id)
    chat.show_conversation(conv.id)
    widgets = chat.view.messages()
    assert [w.role for w in widgets] == ["user", "assistant"]
    assert widgets[1].text == "Half of a rep" and widgets[1].message_id == draft.id
    assert widgets[1].error.isVisibleTo(widgets[1]) and "did not finish" in widgets[1].error.text()
    assert not widgets[0].error.isVisibleTo(widgets[0])
