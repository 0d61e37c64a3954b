"""The chat's "use knowledge base" toggle: a grounded reply streams, lists its sources and keeps them when saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from desktop.main_window import PAGES, MainWindow
from engines.kb.api import Hit

from .conftest import wait_reply
from .kb_fake import FakeBackend


def test_documents_page_is_in_the_navigation(main_window: MainWindow) -> None:
    assert PAGES.index("documents") == 1
    main_window.show_page("documents")
    assert main_window.stack.currentWidget() is main_window.documents
    labels = [main_window.sidebar.item(i).text() for i in range(main_window.sidebar.count())]
    assert labels[1] == "Documents"


def test_picked_knowledge_base_grounds_the_next_reply(qtbot: QtBot, main_window: MainWindow, tmp_path: Path) -> None:
    chat = main_window.chat
    assert chat.kb_picker.isHidden(), "no knowledge base yet: no toggle"
    pdf = tmp_path / "manual.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    backend = FakeBackend()
    backend.hits = [Hit(4, str(pdf), 3, "Signals", "two blasts every sixty seconds", 0.8)]
    chat.kb_backend = backend
    chat.kb_picker.set_names(["Manuals"])
    assert chat.kb_picker.isVisibleTo(chat) and chat.kb_picker.itemText(1) == "Use Manuals"
    chat.kb_picker.setCurrentIndex(1)
    chat.send("How often does the horn sound?")
    wait_reply(qtbot, chat)
    assert chat.conv is not None
    saved = chat.store.messages(chat.conv.id)[-1]
    assert saved.role == "assistant" and saved.content.startswith("The light flashes every ten seconds [1].")
    assert saved.content.endswith("Sources:\n- [1] manual.pdf · page 3 · Signals"), "citations are kept"
    assert chat.last_sources is not None and len(chat.last_sources.buttons) == 1
    opened: list[QUrl] = []
    chat.last_sources.opener = lambda url: opened.append(url) or True
    chat.last_sources.buttons[0].click()
    assert opened[0].fragment() == "page=3"

    chat.send("And the second one?")  # a follow-up: the earlier question goes to retrieval with it
    wait_reply(qtbot, chat)
    assert backend.asked == [("How often does the horn sound?", []),
                             ("And the second one?", ["How often does the horn sound?"])]

    chat.kb_picker.setCurrentIndex(0)  # off again: the model itself answers
    assert chat.kb_picker.current_kb() is None
    chat.kb_picker.set_names(["Manuals", "Notes"])
    assert chat.kb_picker.current_kb() is None and chat.kb_picker.count() == 3
