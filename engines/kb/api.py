"""The knowledge-base API the CLI, the Documents page and the evaluation call.

    kb = create_kb("manuals", embed_model="all-minilm-l6-v2")   # or open_kb("manuals")
    report = kb.add([Path("docs")], progress=..., cancel=...)   # per-file outcomes, committed per file
    hits = kb.search("how do I move the data folder?", k=5, mode="hybrid", rerank=False)
    for event in answer_stream(kb, "how do I move the data folder?", chat_model): ...

One SQLite file per knowledge base under `<data folder>/kb/<name>.sqlite` (FTS5 for keywords,
sqlite-vec for vectors); see docs/knowledge-base.md. Every public name here stays stable: the
GUI (desktop/pages/documents) and the evaluation (tests/data, benchmarks) build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from engines.errors import CandeiaError
from engines.jobs import CancelToken, ProgressCallback

if TYPE_CHECKING:
    from engines.encoders.base import TextEncoder
    from engines.kb.index import KBIndex
    from engines.llama.chat_model import ChatModel
    from engines.llama.sampling import SamplingOptions

SearchMode = Literal["bm25", "vector", "hybrid"]
FileStatus = Literal["indexed", "unchanged", "skipped", "failed", "removed"]


class KnowledgeBaseError(CandeiaError):
    """A knowledge base cannot be created, opened or used; the message says why in one sentence."""


@dataclass(frozen=True)
class FileOutcome:
    """What indexing did with one file. `reason` is one sentence for failed/skipped files."""

    path: str
    status: FileStatus
    chunks: int = 0
    reason: str = ""


@dataclass
class IndexReport:
    """The outcome of one `add()` or `rescan()` run, in the order the files were met."""

    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False

    def count(self, status: FileStatus) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files)


@dataclass(frozen=True)
class IndexProgress:
    """Passed to an `add()`/`rescan()` progress callback after each file (and during a large one)."""

    files_done: int
    files_total: int
    current: str  # the file being read, "" at the end
    chunks_done: int
    finished: FileOutcome | None = None  # set once per file, as soon as that file is committed (or skipped)


IndexProgressCallback = Callable[[IndexProgress], None]


@dataclass(frozen=True)
class KBStatus:
    name: str
    path: str  # the SQLite file
    embed_model: str  # the model id (or path) vectors were made with
    dimensions: int
    files: int
    chunks: int
    bytes: int  # size of the SQLite file
    roots: tuple[str, ...]  # the files and folders added, re-scanned by rescan()


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. `page` is 1-based (PDF) or None; `heading` is the heading path
    ("Install > Linux"), "" when the document has none; higher `score` is better."""

    chunk_id: int
    path: str
    page: int | None
    heading: str
    text: str
    score: float

    def as_source(self) -> dict[str, object]:
        return {"path": self.path, "page": self.page, "heading": self.heading, "text": self.text,
                "score": round(self.score, 6)}


@dataclass
class Answer:
    """A cited answer: `[n]` in `answer` refers to `sources[n-1]`. `found` is False when nothing
    relevant was retrieved (then `answer` says so and no model ran)."""

    answer: str
    sources: list[Hit]
    found: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"answer": self.answer, "sources": [h.as_source() for h in self.sources]}


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of the answer as the chat model writes it (answer_stream)."""

    text: str


AnswerEvent = AnswerDelta | Answer  # answer_stream yields deltas, then one final Answer


class KnowledgeBase:
    """One open knowledge base. Not thread-safe: use it from one thread (a worker) at a time;
    open another instance for a concurrent reader (SQLite WAL lets reads run during indexing)."""

    def __init__(self, name: str, path: Path, *, create: bool = False, threads: int | None = None) -> None:
        from engines.kb.index import KBIndex

        self.name = name
        self.path = path
        self.threads = threads
        self._index = KBIndex(path, create=create)
        self._encoder: TextEncoder | None = None

    @property
    def index(self) -> KBIndex:
        return self._index

    def encoder(self) -> TextEncoder:
        """The embedding model this knowledge base was made with, loaded on first use."""
        if self._encoder is None:
            from engines.encoders.open import open_encoder
            from engines.errors import ModelNotFoundError

            model = self._index.get_meta("embed_model")
            try:
                self._encoder = open_encoder(model, threads=self.threads)
            except ModelNotFoundError:
                raise ModelNotFoundError(
                    f"the embedding model this knowledge base was made with, '{model}', is no longer installed: "
                    "install it again, or make a new knowledge base with another model") from None
        return self._encoder

    def add(self, paths: Sequence[Path], progress: IndexProgressCallback | None = None,
            cancel: CancelToken | None = None) -> IndexReport:
        """Index files and folders (recursively); remembered as roots for rescan(). Files already
        indexed and unchanged (size, mtime, then hash) are not embedded again. Each file is committed
        on its own, so a cancel or a crash keeps every file done so far; running it again resumes."""
        from engines.kb.indexing import index_paths

        return index_paths(self, list(paths), progress, cancel, remember=True)

    def rescan(self, progress: IndexProgressCallback | None = None,
               cancel: CancelToken | None = None) -> IndexReport:
        """Re-read every root: new and changed files are indexed, deleted ones dropped."""
        from engines.kb.indexing import rescan

        return rescan(self, progress, cancel)

    def remove_paths(self, paths: Sequence[Path]) -> int:
        """Drop files (or everything under folders) from the index and the roots; returns files dropped."""
        return self._index.remove_paths([str(p) for p in paths])

    def status(self) -> KBStatus:
        return self._index.status(self.name)

    def files(self) -> list[tuple[str, int, str]]:
        """(path, chunks, last error or "") per file the knowledge base knows."""
        return self._index.files()

    def search(self, query: str, k: int = 5, mode: SearchMode = "hybrid", rerank: bool = False,
               reranker: str | None = None) -> list[Hit]:
        """The `k` best passages for `query`. `rerank` re-orders the fused candidates with a
        cross-encoder (`reranker`: a model id or folder; None takes the installed one)."""
        from engines.kb.retrieval import search

        return search(self, query, k, mode, rerank, reranker)

    def close(self) -> None:
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None
        self._index.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def kb_dir() -> Path:
    from engines.kb.registry import kb_dir as folder

    return folder()


def create_kb(name: str, embed_model: str | None = None) -> KnowledgeBase:
    """A new, empty knowledge base. `embed_model`: an installed model id or a folder/GGUF path;
    None picks an installed embedding model (multilingual first). Raises KnowledgeBaseError when
    the name is taken or invalid, or no embedding model is available."""
    from engines.kb.registry import create

    return create(name, embed_model)


def open_kb(name: str) -> KnowledgeBase:
    from engines.kb.registry import open_existing

    return open_existing(name)


def list_kbs() -> list[KBStatus]:
    from engines.kb.registry import list_all

    return list_all()


def remove_kb(name: str) -> None:
    """Delete the knowledge base's index (never the documents themselves)."""
    from engines.kb.registry import remove

    remove(name)


def answer_stream(kb: KnowledgeBase, question: str, chat_model: ChatModel, *, k: int = 5,
                  mode: SearchMode = "hybrid", rerank: bool = False,
                  sampling: SamplingOptions | None = None, cancel: CancelToken | None = None,
                  earlier: Sequence[str] = ()) -> Iterator[AnswerEvent]:
    """Retrieve, then let `chat_model` answer from the numbered passages: AnswerDelta pieces as
    they come, then one Answer (sources = the passages shown to the model). `earlier`: the user's
    previous questions in a conversation, oldest first; a follow-up ("and the second one?") is
    searched with them (engines/kb/followup.py)."""
    from engines.kb.ask import answer_stream as run

    return run(kb, question, chat_model, k=k, mode=mode, rerank=rerank, sampling=sampling, cancel=cancel,
               earlier=earlier)


def answer(kb: KnowledgeBase, question: str, chat_model: ChatModel, **options: object) -> Answer:
    """answer_stream() run to its end."""
    final: Answer | None = None
    for event in answer_stream(kb, question, chat_model, **options):  # type: ignore[arg-type]
        if isinstance(event, Answer):
            final = event
    if final is None:  # pragma: no cover - answer_stream always ends with an Answer
        raise KnowledgeBaseError("the answer ended without a result")
    return final


__all__ = [
    "Answer", "AnswerDelta", "AnswerEvent", "FileOutcome", "Hit", "IndexProgress", "IndexProgressCallback",
    "IndexReport", "KBStatus", "KnowledgeBase", "KnowledgeBaseError", "ProgressCallback", "SearchMode",
    "answer", "answer_stream", "create_kb", "kb_dir", "list_kbs", "open_kb", "remove_kb",
]
