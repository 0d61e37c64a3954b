"""The list of conversations: search, new, rename, delete (rename/delete from the context menu or keys)."""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from engines.chat.conversations import Conversation, ConversationStore


class ConversationList(QWidget):
    selected = Signal(int)  # conversation id
    new_requested = Signal()
    deleted = Signal(int)
    renamed = Signal(int)

    def __init__(self, store: ConversationStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 12, 6, 10)
        top = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New chat"))
        theme.set_icon(self.new_button, "plus")
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.new_button.setAccessibleName(self.tr("New chat"))
        self.new_button.clicked.connect(self.new_requested)
        top.addWidget(self.new_button, 1)
        layout.addLayout(top)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations"))
        self.search.setAccessibleName(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self.refresh())
        layout.addWidget(self.search)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Conversations"))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.currentItemChanged.connect(self._current_changed)
        layout.addWidget(self.list, 1)
        self._quiet = False
        rename = QAction(self.tr("Rename"), self.list)
        rename.setShortcut("F2")
        rename.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        rename.triggered.connect(lambda: self.rename_current())
        delete = QAction(self.tr("Delete"), self.list)
        delete.setShortcut("Del")
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(lambda: self.delete_current())
        self.list.addActions([rename, delete])

    def refresh(self, select: int | None = None) -> None:
        current = select if select is not None else self.current_id()
        self._quiet = True
        try:
            self.list.clear()
            for conv in self.store.conversations(self.search.text()):
                item = QListWidgetItem(conv.title)
                item.setData(Qt.ItemDataRole.UserRole, conv.id)
                # Tooltips render anything that looks like HTML (and load its images): escape the title.
                item.setToolTip(f"<p>{html.escape(conv.title)}</p>")
                self.list.addItem(item)
                if conv.id == current:
                    self.list.setCurrentItem(item)
        finally:
            self._quiet = False

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _current_changed(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None and not self._quiet:
            self.selected.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Rename…"), lambda: self.rename_current())
        menu.addAction(self.tr("Delete"), lambda: self.delete_current())
        menu.exec(self.list.mapToGlobal(pos))

    def rename_current(self, title: str | None = None) -> None:
        conv_id = self.current_id()
        if conv_id is None:
            return
        conv: Conversation = self.store.get(conv_id)
        if title is None:
            title, ok = QInputDialog.getText(self, self.tr("Rename conversation"), self.tr("Title:"), text=conv.title)
            if not ok:
                return
        if title.strip():
            self.store.rename(conv_id, title.strip())
            self.refresh()
            self.renamed.emit(conv_id)

    def delete_current(self, confirm: bool = True) -> None:
        conv_id = self.current_id()
        if conv_id is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Delete conversation"),
                self.tr("Delete “{title}” and all its messages? This cannot be undone.").format(
                    title=self.store.get(conv_id).title),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.store.delete(conv_id)
        self.refresh()
        self.deleted.emit(conv_id)
