"""The Caption page's one-image tab: the drop zone with Open and Paste, and the caption with its actions."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop import theme
from desktop.pages.caption.drop_zone import DropZone


class SingleView(QWidget):
    """Widgets only: the page connects their signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 8, 0, 0)
        left = QVBoxLayout()
        self.drop = DropZone()
        left.addWidget(self.drop, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton(self.tr("Open image…"))
        self.open_button.setAccessibleName(self.tr("Open an image file"))
        theme.set_icon(self.open_button, "folder")
        buttons.addWidget(self.open_button)
        self.paste_button = QPushButton(self.tr("Paste"))
        self.paste_button.setAccessibleName(self.tr("Paste an image from the clipboard"))
        self.paste_button.setToolTip(self.tr("Paste an image or an image file (Ctrl+V)"))
        buttons.addWidget(self.paste_button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        row.addLayout(left, 3)
        row.addLayout(self._build_caption_column(), 2)

    def _build_caption_column(self) -> QVBoxLayout:
        right = QVBoxLayout()
        self.image_label = QLabel()
        self.image_label.setObjectName("muted")
        self.image_label.setAccessibleName(self.tr("Current image"))
        self.image_label.setWordWrap(True)
        right.addWidget(self.image_label)
        self.caption = QPlainTextEdit()
        self.caption.setReadOnly(True)
        self.caption.setAccessibleName(self.tr("Caption text"))
        self.caption.setPlaceholderText(self.tr("The caption appears here."))
        right.addWidget(self.caption, 1)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Caption error"))
        self.error.hide()
        right.addWidget(self.error)
        actions = QHBoxLayout()
        self.run_button = QPushButton(self.tr("Caption"))
        self.run_button.setObjectName("primary")
        self.run_button.setAccessibleName(self.tr("Caption the image"))
        theme.set_icon(self.run_button, "caption", "accent_text")
        actions.addWidget(self.run_button)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setAccessibleName(self.tr("Copy the caption"))
        theme.set_icon(self.copy_button, "copy")
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        self.timing = QLabel()
        self.timing.setObjectName("muted")
        actions.addWidget(self.timing)
        right.addLayout(actions)
        return right

