"""What the Documents page and the chat's knowledge-base toggle ask of the core, in one replaceable object.

Every method runs on a worker thread (the page never calls them on the UI thread) and opens the
knowledge base it needs for the length of the call: `KnowledgeBase` is not thread-safe, and SQLite's
WAL lets a search run while another connection indexes. Tests pass a fake with the same methods.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from engines.jobs import CancelToken
from engines.kb import api
from engines.kb.api import AnswerEvent, Hit, IndexProgressCallback, IndexReport, KBStatus, SearchMode
from engines.llama.chat_model import ChatModel


class DocumentsBackend(Protocol):
    def knowledge_bases(self) -> list[KBStatus]: ...

    def create(self, name: str, embed_model: str | None) -> None: ...

    def remove(self, name: str) -> None: ...

    def files(self, name: str) -> list[tuple[str, int, str]]: ...

    def index(self, name: str, paths: Sequence[Path] | None, progress: IndexProgressCallback,
              cancel: CancelToken) -> IndexReport: ...

    def search(self, name: str, question: str, k: int, mode: SearchMode) -> list[Hit]: ...

    def ask(self, name: str, question: str, model: ChatModel, cancel: CancelToken,
            earlier: Sequence[str] = ()) -> Iterator[AnswerEvent]: ...


class CoreBackend:
    """engines.kb.api as the GUI uses it."""

    def knowledge_bases(self) -> list[KBStatus]:
        return api.list_kbs()

    def create(self, name: str, embed_model: str | None) -> None:
        api.create_kb(name, embed_model).close()

    def remove(self, name: str) -> None:
        api.remove_kb(name)

    def files(self, name: str) -> list[tuple[str, int, str]]:
        with api.open_kb(name) as kb:
            return kb.files()

    def index(self, name: str, paths: Sequence[Path] | None, progress: IndexProgressCallback,
              cancel: CancelToken) -> IndexReport:
        """Add `paths`, or re-scan every root when `paths` is None (also how a paused run resumes)."""
        with api.open_kb(name) as kb:
            if paths is None:
                return kb.rescan(progress, cancel)
            return kb.add(paths, progress, cancel)

    def search(self, name: str, question: str, k: int, mode: SearchMode) -> list[Hit]:
        with api.open_kb(name) as kb:
            return kb.search(question, k=k, mode=mode)

    def ask(self, name: str, question: str, model: ChatModel, cancel: CancelToken,
            earlier: Sequence[str] = ()) -> Iterator[AnswerEvent]:
        with api.open_kb(name) as kb:
            yield from api.answer_stream(kb, question, model, cancel=cancel, earlier=earlier)
