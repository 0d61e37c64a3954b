"""The Chat page driven through its widgets, on the real engine with the tiny GGUF."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engines.chat.conversations import ConversationStore

from .conftest import ask, configure, wait_reply


def test_send_streams_in_batches_and_saves(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    assert chat.stack.currentIndex() == 1  # a model is installed: no welcome page
    configure(chat, max_tokens=200, seed=3)
    seen: list[int] = []
    chat.send("Hello there")
    assert chat.reply is not None and chat.composer.generating
    widget = chat.reply.widget
    assert widget is not None
    chat.reply.task.progressed.connect(lambda item: seen.append(len(widget.text)))
    wait_reply(qtbot, chat)
    messages = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content == widget.text and widget.text.strip()
    assert messages[1].stats is not None and messages[1].stats["generated_tokens"] == 200
    assert widget.stats.isVisibleTo(widget) and "tokens/s" in widget.stats.text()
    assert len(seen) >= 2 and seen == sorted(seen)  # streamed, growing
    assert len(seen) < 200  # batched, not one update per token
    assert "tokens/s" in main_window.speed_label.text()
    assert main_window.model_label.text() == "Tiny Chat"
    assert main_window.device_label.text() == "CPU"
    assert chat.conversations.list.count() == 1
    assert chat.conversations.list.currentItem().text() == "Hello there"
    assert chat.last_budget is not None and 0 < chat.last_budget.used < chat.last_budget.context_size
    assert not chat.composer.generating and not chat.notice.isVisible()


def test_enter_sends_and_shift_enter_breaks_the_line(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=8)
    box = chat.composer.input
    box.setFocus()
    qtbot.keyClicks(box, "first line")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "second")
    assert box.toPlainText() == "first line\nsecond"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    wait_reply(qtbot, chat)
    assert box.toPlainText() == ""
    assert chat.store.messages(chat.conv.id)[0].content == "first line\nsecond"  # type: ignore[union-attr]


def test_stop_keeps_the_partial_reply(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=0)  # unlimited: only Stop (or the context) ends it
    chat.send("Tell me everything")
    assert chat.reply is not None and chat.reply.widget is not None
    widget = chat.reply.widget
    qtbot.waitUntil(lambda: len(widget.text) > 20, timeout=30_000)
    qtbot.mouseClick(chat.composer.button, Qt.MouseButton.LeftButton)  # the Send button is Stop now
    wait_reply(qtbot, chat, timeout=5_000)
    [_, reply] = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert reply.stats is not None and reply.stats["stop_reason"] == "cancelled"
    assert reply.content == widget.text
    assert "stopped" in widget.stats.text()


def test_regenerate_and_edit_the_last_message(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    ask(qtbot, chat, "Original question", max_tokens=40)
    conv_id = chat.conv.id  # type: ignore[union-attr]
    first = chat.store.messages(conv_id)[1].content
    last = chat.view.messages()[-1]
    assert last.regenerate_button.isVisibleTo(last)
    qtbot.mouseClick(last.regenerate_button, Qt.MouseButton.LeftButton)
    wait_reply(qtbot, chat)
    messages = chat.store.messages(conv_id)
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content != first  # a fresh seed each time
    assert len(chat.view.messages()) == 2

    user_widget = chat.view.messages()[0]
    assert user_widget.edit_button.isVisibleTo(user_widget)
    qtbot.mouseClick(user_widget.edit_button, Qt.MouseButton.LeftButton)
    assert chat.composer.input.toPlainText() == "Original question"
    assert chat.store.messages(conv_id) == [] and chat.view.messages() == []
    chat.composer.input.setPlainText("Edited question")
    qtbot.mouseClick(chat.composer.button, Qt.MouseButton.LeftButton)
    wait_reply(qtbot, chat)
    first_message = chat.store.messages(conv_id)[0]
    assert (first_message.role, first_message.content) == ("user", "Edited question")
    assert len(chat.store.messages(conv_id)) == 2


def test_export_markdown_and_json(qtbot: QtBot, main_window: MainWindow, tmp_path: Path) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=16)
    chat.system_edit.setPlainText("Be brief.")
    chat.send("Export me")
    wait_reply(qtbot, chat)
    chat.export_to(tmp_path / "chat.md", "md")
    chat.export_to(tmp_path / "chat.json", "json")
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Export me") and "## You\n\nExport me" in markdown and "Be brief." in markdown
    data = json.loads((tmp_path / "chat.json").read_text(encoding="utf-8"))
    assert data["system_prompt"] == "Be brief." and [m["role"] for m in data["messages"]] == ["user", "assistant"]
    assert data["messages"][1]["stats"]["generated_tokens"] == 16


def test_switch_conversation_mid_reply(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    ask(qtbot, chat, "Conversation B", max_tokens=16)
    b_id = chat.conv.id  # type: ignore[union-attr]
    chat.new_chat()
    configure(chat, max_tokens=0)
    chat.send("Conversation A, long reply")
    a_id = chat.conv.id  # type: ignore[union-attr]
    reply = chat.reply
    assert reply is not None and reply.widget is not None
    qtbot.waitUntil(lambda: len(reply.widget.text) > 10 if reply.widget else False, timeout=30_000)
    chat.show_conversation(b_id)  # mid-reply
    wait_reply(qtbot, chat, timeout=5_000)
    a_messages = chat.store.messages(a_id)
    assert [m.role for m in a_messages] == ["user", "assistant"]
    assert a_messages[1].stats is not None and a_messages[1].stats["stop_reason"] == "cancelled"
    shown = [w.text for w in chat.view.messages()]
    assert shown == [m.content for m in chat.store.messages(b_id)]  # A's reply never leaked into B


def test_context_overflow_drops_oldest_turns_with_a_notice(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    store = chat.store
    conv = store.create("Long one", model_id=chat.current_model_id(), system_prompt="Stay on topic.",
                        sampling={"context_size": 256, "max_tokens": 32, "seed": 1})
    for index in range(12):
        store.add_message(conv.id, "user", f"question {index} " + "about the water and the light " * 3)
        store.add_message(conv.id, "assistant", f"answer {index} " + "the world is a big place " * 3)
    chat.conversations.refresh()
    chat.show_conversation(conv.id)
    qtbot.waitUntil(lambda: chat.notice.isVisible(), timeout=30_000)  # measured on load, before sending
    chat.send("and now?")
    wait_reply(qtbot, chat)
    budget = chat.last_budget
    assert budget is not None and budget.context_size == 256 and budget.dropped > 0
    assert chat.notice.isVisible() and str(budget.dropped) in chat.notice.text()
    assert chat.session.model is not None and chat.session.model.context_size == 256
    assert store.messages(conv.id)[-1].role == "assistant"  # the reply came despite the overflow


def test_conversation_list_search_rename_delete(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    store = chat.store
    first = store.create("Cooking ideas")
    store.create("Holiday plans")
    chat.conversations.refresh()
    assert chat.conversations.list.count() == 2
    chat.conversations.search.setText("holi")
    assert [chat.conversations.list.item(i).text() for i in range(chat.conversations.list.count())] == [
        "Holiday plans"]
    chat.conversations.search.clear()
    chat.conversations.refresh(select=first.id)
    chat.conversations.rename_current("Recipes")
    assert store.get(first.id).title == "Recipes"
    chat.show_conversation(first.id)
    chat.conversations.delete_current(confirm=False)
    assert [c.title for c in store.conversations()] == ["Holiday plans"]
    assert chat.conv is None and chat.view.messages() == []


def test_closing_mid_reply_saves_the_partial_reply_and_stops_everything(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=0)
    chat.send("Keep talking")
    reply = chat.reply
    assert reply is not None and reply.widget is not None
    qtbot.waitUntil(lambda: len(reply.widget.text) > 10 if reply.widget else False, timeout=30_000)
    conv_id = chat.conv.id  # type: ignore[union-attr]
    main_window.close()  # the guards then check that no thread, pool or timer is left
    store = ConversationStore()
    messages = store.messages(conv_id)
    store.close()
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].content
    assert main_window.ctx.session.model is None


def test_auto_scroll_stops_when_the_user_scrolls_up(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    main_window.resize(900, 520)
    configure(chat, max_tokens=0)
    chat.send("Scroll test")
    bar = chat.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 200, timeout=30_000)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=5_000)  # following the reply
    bar.setValue(0)  # the user scrolls up
    assert not chat.view.follow
    top_max = bar.maximum()
    qtbot.waitUntil(lambda: bar.maximum() > top_max + 100, timeout=30_000)
    assert bar.value() == 0  # left where the user put it
    chat.stop()
    wait_reply(qtbot, chat)
    chat.view.scroll_to_end()
    assert chat.view.follow and bar.value() == bar.maximum()


def test_copy_message_and_code(qtbot: QtBot, main_window: MainWindow) -> None:
    from PySide6.QtGui import QGuiApplication

    from desktop.pages.chat.message_view import CodeBlock, MessageWidget

    widget = main_window.chat.view.add(MessageWidget("assistant", "Run:\n\n```sh\nls -la\n```\nDone."))
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == widget.text
    [code] = widget.findChildren(CodeBlock)
    assert code.language.text() == "sh"
    qtbot.mouseClick(code.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "ls -la"


def test_budget_after_a_reply_counts_the_reply(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=50)
    chat.send("Count me")  # the model loads first: its measurement must not overwrite the reply's figure
    wait_reply(qtbot, chat)
    qtbot.wait(200)
    budget = chat.last_budget
    stats = chat.store.messages(chat.conv.id)[-1].stats  # type: ignore[union-attr]
    assert budget is not None and stats is not None
    assert budget.used == stats["prompt_tokens"] + stats["generated_tokens"]
    assert f"{budget.used} of" in chat.budget_label.text()


def test_a_model_that_fails_to_load_is_reported_inline(
    qtbot: QtBot, main_window: MainWindow, tiny_base_gguf: Path, tmp_path: Path
) -> None:
    import shutil

    from engines.store.model_store import ModelStore

    broken = tmp_path / "broken.gguf"
    shutil.copy(tiny_base_gguf, broken)
    model = ModelStore().add(broken, name="Broken")
    broken.write_bytes(broken.read_bytes()[:4096])  # truncated after it was registered
    main_window.ctx.models_changed.emit()
    chat = main_window.chat
    chat.model_combo.setCurrentIndex(chat.model_combo.findData(model.id))
    chat.model_combo.activated.emit(chat.model_combo.currentIndex())
    chat.send("Hello?")
    wait_reply(qtbot, chat)
    assert chat.notice.isVisible() and "could not be loaded" in chat.notice.text()
    reply = chat.view.messages()[-1]
    assert reply.role == "assistant" and reply.error.isVisibleTo(reply) and reply.error.text()
    assert [m.role for m in chat.store.messages(chat.conv.id)] == ["user"]  # type: ignore[union-attr]
    assert main_window.model_label.text() == "No model loaded"


def test_composer_grows_with_the_text(main_window: MainWindow) -> None:
    box = main_window.chat.composer.input
    small = box.height()
    box.setPlainText("\n".join(f"line {i}" for i in range(6)))
    assert box.height() > small
    box.setPlainText("\n".join(f"line {i}" for i in range(60)))
    assert box.height() == main_window.chat.composer.MAX_HEIGHT
    box.clear()
    assert box.height() == small


def test_changed_threads_apply_on_the_next_message(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    ask(qtbot, chat, "one", max_tokens=4)
    assert chat.session.model is not None and chat.session.model.options.threads == main_window.ctx.settings.threads
    main_window.ctx.settings.threads = 1 if main_window.ctx.settings.threads != 1 else 2
    chat.send("two")
    wait_reply(qtbot, chat)
    assert chat.session.model.options.threads == main_window.ctx.settings.threads


def test_closing_while_the_model_loads(qtbot: QtBot, main_window: MainWindow) -> None:
    chat = main_window.chat
    configure(chat, max_tokens=8)
    chat.send("Close now")  # queues the load, then the reply
    main_window.close()
    assert main_window.ctx.session.model is None


def test_first_message_finds_its_widgets_warmed_up(qtbot: QtBot, main_window: MainWindow) -> None:
    """The chat page renders message icons and polishes a message of each kind while idle, so the
    first Send does not pay for it on the UI thread."""
    import sys

    from desktop import theme
    from desktop.pages.chat.message_view import WARM_UP_TEXT, MessageWidget

    chat = main_window.chat
    main_window.show()
    qtbot.waitUntil(lambda: chat.warmed_up, timeout=5_000)
    assert sys.getswitchinterval() <= 0.0005  # worker threads hand the GIL back to the UI quickly
    rendered = theme._icon.cache_info().misses
    widget = MessageWidget("assistant", "hello")
    assert theme._icon.cache_info().misses == rendered  # no icon rendered again
    widget.deleteLater()
    assert not [w for w in chat.view.messages() if w.text == WARM_UP_TEXT]  # nothing left in the conversation


def test_the_selected_model_is_checked_while_idle(qtbot: QtBot, main_window: MainWindow) -> None:
    """The warm-up validates the selected GGUF on the model thread, so the click's load skips it."""
    from engines.gguf import info as gguf_info
    from engines.store.models import resolve_model

    chat = main_window.chat
    model_id = chat.current_model_id()
    assert model_id is not None
    path = str(resolve_model(model_id).path.resolve())
    gguf_info._validated.clear()
    main_window.show()
    qtbot.waitUntil(lambda: chat.warmed_up, timeout=5_000)
    qtbot.waitUntil(lambda: any(key[0] == path for key in gguf_info._validated), timeout=10_000)
    assert chat.session.model is None  # checked, not loaded: memory stays free until the first message
