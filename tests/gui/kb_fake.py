"""An in-memory stand-in for the knowledge-base core, so the Documents page's tests exercise the page
(threads, progress, pause/resume, citations) in milliseconds and without models. The real core is
tested in tests/test_kb_*.py; tests/test_kb_eval.py runs the evaluation harness on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from engines.jobs import Cancelled, CancelToken
from engines.kb.api import (
    Answer,
    AnswerDelta,
    AnswerEvent,
    FileOutcome,
    Hit,
    IndexProgress,
    IndexProgressCallback,
    IndexReport,
    KBStatus,
    KnowledgeBaseError,
    SearchMode,
)
from engines.llama.chat_model import ChatModel


class FakeBackend:
    def __init__(self) -> None:
        self.kbs: dict[str, dict[str, tuple[int, str]]] = {}  # name -> path -> (chunks, error)
        self.roots: dict[str, list[Path]] = {}
        self.gate: threading.Event | None = None  # when set: index() waits on it after the first file
        self.reached_gate = threading.Event()
        self.hits: list[Hit] = []
        self.answer_text = "The light flashes every ten seconds [1]. <b>bold</b> [7]"
        self.asked: list[tuple[str, list[str]]] = []  # (question, earlier questions) per ask()

    def knowledge_bases(self) -> list[KBStatus]:
        return [KBStatus(name, f"/kb/{name}.sqlite", "tiny-embed", 8, len(files),
                         sum(c for c, _ in files.values()), 4096, tuple(str(r) for r in self.roots[name]))
                for name, files in self.kbs.items()]

    def create(self, name: str, embed_model: str | None) -> None:
        if name in self.kbs:
            raise KnowledgeBaseError(f"a knowledge base named {name} exists already")
        self.kbs[name] = {}
        self.roots[name] = []

    def remove(self, name: str) -> None:
        del self.kbs[name]

    def files(self, name: str) -> list[tuple[str, int, str]]:
        return [(path, chunks, error) for path, (chunks, error) in self.kbs[name].items()]

    def index(self, name: str, paths: Sequence[Path] | None, progress: IndexProgressCallback,
              cancel: CancelToken) -> IndexReport:
        if paths is not None:
            self.roots[name] += list(paths)
        found = sorted(f for root in self.roots[name] for f in (root.rglob("*") if root.is_dir() else [root])
                       if f.is_file())
        report = IndexReport()
        for done, file in enumerate(found):
            if cancel.cancelled:
                report.cancelled = True
                return report
            progress(IndexProgress(done, len(found), str(file), report.chunks))
            report.files.append(self._index_file(name, file))
            progress(IndexProgress(done + 1, len(found), str(file), report.chunks, report.files[-1]))
            if done == 0 and self.gate is not None:
                self.reached_gate.set()
                self.gate.wait(10)
        progress(IndexProgress(len(found), len(found), "", report.chunks))
        return report

    def _index_file(self, name: str, file: Path) -> FileOutcome:
        known = self.kbs[name].get(str(file))
        if known is not None and not known[1]:
            return FileOutcome(str(file), "unchanged", known[0])
        if file.suffix == ".bad":
            self.kbs[name][str(file)] = (0, "not a format Candeia reads")
            return FileOutcome(str(file), "skipped", 0, "not a format Candeia reads")
        chunks = max(1, len(file.read_text(encoding="utf-8")) // 20)
        self.kbs[name][str(file)] = (chunks, "")
        return FileOutcome(str(file), "indexed", chunks)

    def search(self, name: str, question: str, k: int, mode: SearchMode) -> list[Hit]:
        return self.hits[:k]

    def ask(self, name: str, question: str, model: ChatModel, cancel: CancelToken,
            earlier: Sequence[str] = ()) -> Iterator[AnswerEvent]:
        self.asked.append((question, list(earlier)))
        if not self.hits:
            yield Answer("I found nothing about that in these documents.", [], found=False)
            return
        for piece in self.answer_text.split(" "):
            if cancel.cancelled:
                raise Cancelled()
            yield AnswerDelta(piece + " ")
        yield Answer(self.answer_text, self.hits)
