"""The numbered sources under an answer: one flat button per source; a click opens the file at its page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop.pages.documents.citations import open_source, source_label, source_tooltip
from engines.kb.api import Hit

LINK_STYLE = ("QPushButton { text-align: left; border: none; background: transparent; padding: 2px 4px;"
              " color: palette(link); } QPushButton:hover { text-decoration: underline; }")


class SourcesView(QWidget):
    open_failed = Signal(str)  # one sentence: the file is gone, or nothing opens it

    def __init__(self, parent: QWidget | None = None,
                 opener: Callable[[QUrl], bool] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self.opener = opener
        self.hits: list[Hit] = []
        self.buttons: list[QPushButton] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.title = QLabel(self.tr("Sources"))
        self.title.setObjectName("muted")
        self._layout.addWidget(self.title)
        self.hide()

    def set_sources(self, hits: Sequence[Hit]) -> None:
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.hits = list(hits)
        self.buttons = []
        for number, hit in enumerate(self.hits, 1):
            button = QPushButton(source_label(number, hit))
            button.setObjectName("link")
            button.setFlat(True)
            button.setToolTip(source_tooltip(hit))
            button.setAccessibleName(self.tr("Open source {number}").format(number=number))
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.setStyleSheet(LINK_STYLE)
            button.clicked.connect(lambda _=False, n=number: self.open(n))
            self._layout.addWidget(button)
            self.buttons.append(button)
        self.setVisible(bool(self.hits))

    def open(self, number: int) -> str:
        """Open source `number` (1-based, as cited in the answer); returns the error, "" when it opened."""
        if not 1 <= number <= len(self.hits):
            return ""
        error = open_source(self.hits[number - 1], self.opener)
        if error:
            self.open_failed.emit(error)
        return error
