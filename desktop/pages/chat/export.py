"""Export a conversation as Markdown or JSON: the button's menu, the save dialog and the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

from engines.chat.conversations import ConversationStore, export_json, export_markdown


def add_export_menu(button: QToolButton, export: Callable[[str], None]) -> None:
    """The export button's menu: each entry calls `export` with its format ("md" or "json")."""
    menu = QMenu(button)
    menu.addAction(QCoreApplication.translate("ChatPage", "Export as Markdown…"), lambda: export("md"))
    menu.addAction(QCoreApplication.translate("ChatPage", "Export as JSON…"), lambda: export("json"))
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)


def ask_path(parent: QWidget, title: str, fmt: str) -> Path | None:
    """Where to save the export; None if the user cancelled. `title` names the file by default."""
    suffix = "md" if fmt == "md" else "json"
    if fmt == "md":
        filters = QCoreApplication.translate("ChatPage", "Markdown (*.md)")
    else:
        filters = QCoreApplication.translate("ChatPage", "JSON (*.json)")
    safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "chat"
    caption = QCoreApplication.translate("ChatPage", "Export conversation")
    path, _ = QFileDialog.getSaveFileName(parent, caption, f"{safe}.{suffix}", filters)
    return Path(path) if path else None


def write_export(store: ConversationStore, conversation_id: int, path: Path, fmt: str) -> None:
    conv = store.get(conversation_id)
    messages = store.messages(conv.id)
    if fmt == "md":
        labels = {"system": QCoreApplication.translate("ChatPage", "System"),
                  "user": QCoreApplication.translate("ChatPage", "You"),
                  "assistant": QCoreApplication.translate("ChatPage", "Assistant")}
        text = export_markdown(conv, messages, labels)
    else:
        text = export_json(conv, messages)
    path.write_text(text, encoding="utf-8")
