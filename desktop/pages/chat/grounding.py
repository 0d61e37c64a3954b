"""The chat's "use knowledge base" toggle: answers grounded in a knowledge base, with numbered sources.

With a knowledge base picked, the next replies come from `DocumentsBackend.ask` (retrieval, then the
loaded chat model answering from the numbered passages) instead of the plain chat stream. The reply
streams like any other; its sources appear under it as buttons that open each file at its page, and
the saved message ends with a plain list of them, so the conversation keeps its citations.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QWidget

from desktop.pages.chat.message_view import MessageWidget
from desktop.pages.documents.backend import DocumentsBackend
from desktop.pages.documents.citations import source_label
from desktop.pages.documents.sources_view import SourcesView
from desktop.session import Reply
from engines.errors import CandeiaError
from engines.jobs import CancelToken
from engines.kb.api import Answer, AnswerDelta, Hit
from engines.llama.chat_model import ChatModel
from engines.llama.stats import GenerationStats

NO_STATS = GenerationStats(0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, "stop")


class KnowledgeBasePicker(QComboBox):
    """"No knowledge base" or the name of the one that grounds the next answers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Use knowledge base"))
        self.setToolTip(self.tr("Answer from a knowledge base's documents, with numbered sources"))
        self.set_names([])

    def set_names(self, names: Sequence[str]) -> None:
        current = self.current_kb()
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("No knowledge base"), None)
        for name in names:
            self.addItem(self.tr("Use {name}").format(name=name), name)
        index = self.findData(current) if current in names else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)
        self.setVisible(bool(names))

    def current_kb(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None


def sources_footer(hits: Sequence[Hit]) -> str:
    if not hits:
        return ""
    lines = "\n".join(f"- {source_label(n, hit)}" for n, hit in enumerate(hits, 1))
    title = QCoreApplication.translate("SourcesView", "Sources")
    return f"\n\n{title}:\n{lines}"


def grounded_job(backend: DocumentsBackend, kb: str, question: str, earlier: Sequence[str] = (),
                 ) -> Callable[[ChatModel, CancelToken], Generator[tuple[str, Any], None, Reply]]:
    """A job for ModelSession.run_with_model that speaks the chat reply's protocol: ("text", str)
    pieces, ("sources", [Hit]) once, and a Reply whose text ends with the list of sources.
    `earlier`: the user's previous questions, so that a follow-up is searched with them."""

    def job(model: ChatModel, cancel: CancelToken) -> Generator[tuple[str, Any], None, Reply]:
        for event in backend.ask(kb, question, model, cancel, earlier):
            if isinstance(event, AnswerDelta):
                yield ("text", event.text)
            elif isinstance(event, Answer):
                yield ("sources", event.sources)
                return Reply(event.answer + sources_footer(event.sources), NO_STATS, None)
        raise CandeiaError("the answer ended without a result")

    return job


def show_sources(widget: MessageWidget, hits: Sequence[Hit]) -> SourcesView | None:
    """Put clickable sources under a reply (the saved text keeps them as a plain list)."""
    if not hits:
        return None
    view = SourcesView(widget)
    view.set_sources(hits)
    layout = widget.bubble.layout()
    if layout is not None:
        layout.addWidget(view)
    return view
