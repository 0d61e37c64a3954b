"""A reply is saved while it streams and marked finished at the end (issue 15, finding 11)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engines.chat.conversations import ReplyDraft, StoredMessage

from .conftest import configure, wait_reply


def test_a_streaming_reply_is_on_disk_before_it_ends(qtbot: QtBot, main_window: MainWindow,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    chat = main_window.chat
    # what the database holds right after each save while the reply streams (the tiny model can fill
    # its whole context in about a second, so looking at the database later would race the reply's end)
    snapshots: list[tuple[float, StoredMessage]] = []
    original_save = ReplyDraft.save

    def save(draft: ReplyDraft) -> None:
        original_save(draft)
        if chat.reply is not None and chat.conv is not None:
            snapshots.append((time.monotonic(), chat.store.messages(chat.conv.id)[-1]))

    monkeypatch.setattr(ReplyDraft, "save", save)
    configure(chat, max_tokens=0)  # unlimited: only Stop (or the end of the context) ends it
    chat.send("Tell me a long story")
    reply = chat.reply
    assert reply is not None and reply.widget is not None and chat.conv is not None
    widget = reply.widget
    qtbot.waitUntil(lambda: len(widget.text) > 20, timeout=30_000)
    started = time.monotonic()
    qtbot.waitUntil(lambda: any(len(stored.content) > 20 for _, stored in snapshots), timeout=5_000)
    when, draft = next(s for s in snapshots if len(s[1].content) > 20)
    assert when - started < 3  # within about a second of the text on screen
    assert draft.role == "assistant" and not draft.finished and draft.stats is None
    if chat.reply is not None:
        qtbot.mouseClick(chat.composer.button, Qt.MouseButton.LeftButton)  # Stop
    wait_reply(qtbot, chat, timeout=5_000)
    [_, final] = chat.store.messages(chat.conv.id)
    assert final.id == draft.id and final.finished and final.content == widget.text
    assert final.content.startswith(draft.content)  # the saved draft was the reply so far
    assert final.stats is not None and final.stats["stop_reason"] in ("cancelled", "context")


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
