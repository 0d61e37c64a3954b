"""Ask the knowledge base: a question box, the answer as it streams, and its numbered, clickable sources.

The answer is the model's text, so it is shown escaped; only its citation marks `[n]` become links
(to `cite:n`), and a click opens source n through SourcesView, never a URL the model wrote.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from desktop.pages.documents.sources_view import SourcesView
from engines.kb.api import Answer

CITATION = re.compile(r"\[(\d{1,3})\]")


def answer_html(text: str, sources: int) -> str:
    """Escaped text with each `[n]` that names a real source turned into a `cite:n` link."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if 1 <= number <= sources:
            return f'<a href="cite:{number}">[{number}]</a>'
        return match.group(0)

    escaped = html.escape(text).replace("\n", "<br>")
    return CITATION.sub(link, escaped)


class AskPanel(QWidget):
    ask_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setPlaceholderText(self.tr("Ask a question about these documents"))
        self.question.setAccessibleName(self.tr("Question"))
        self.question.returnPressed.connect(self._clicked)
        self.button = QPushButton(self.tr("Ask"))
        self.button.setObjectName("primary")
        self.button.clicked.connect(self._clicked)
        row.addWidget(self.question, 1)
        row.addWidget(self.button)
        column.addLayout(row)
        self.answer = QTextBrowser()
        self.answer.setOpenLinks(False)
        self.answer.setAccessibleName(self.tr("Answer"))
        self.answer.setPlaceholderText(self.tr("The answer appears here, with numbered sources you can open."))
        self.answer.anchorClicked.connect(self._cite_clicked)
        column.addWidget(self.answer, 1)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        self.sources = SourcesView()
        self.sources.open_failed.connect(self.status.setText)
        column.addWidget(self.sources)
        self.running = False
        self._text = ""

    def _clicked(self) -> None:
        if self.running:
            self.stop_requested.emit()
        elif self.question.text().strip():
            self.ask_requested.emit(self.question.text().strip())

    def _cite_clicked(self, url: QUrl) -> None:
        if url.scheme() == "cite" and url.path().isdigit():
            self.sources.open(int(url.path()))

    def set_running(self, running: bool) -> None:
        self.running = running
        self.button.setText(self.tr("Stop") if running else self.tr("Ask"))

    def start(self) -> None:
        self._text = ""
        self.answer.clear()
        self.sources.set_sources([])
        self.status.setText(self.tr("Searching the documents…"))
        self.set_running(True)

    def append(self, text: str) -> None:
        if not self._text:
            self.status.clear()
        self._text += text
        self.answer.setPlainText(self._text)

    def finish(self, result: Answer) -> None:
        self.answer.setHtml(answer_html(result.answer, len(result.sources)))
        self.sources.set_sources(result.sources)
        self.status.setText("" if result.found else self.tr("Nothing in these documents answers that."))

    def fail(self, message: str) -> None:
        self.status.setText(message)

    @property
    def text(self) -> str:
        return self._text
