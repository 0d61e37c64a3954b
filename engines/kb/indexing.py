"""Indexing runs: walk the roots, read, chunk, embed and commit one file at a time.

A file is skipped without being read when its size and mtime match what was indexed, and without
being embedded when only its mtime changed (its sha256 still matches). Each file's chunks are
written in one transaction, committed when the file is done: a cancel, a crash or `kill -9`
loses at most the file being read, and the next run starts where this one stopped. A file that
cannot be read is recorded with its reason (and not retried until it changes), and the run goes on.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from engines.errors import (
    CandeiaError,
    EngineCrashedError,
    InvalidModelFileError,
    ModelLoadError,
    ModelNotFoundError,
)
from engines.jobs import Cancelled, CancelToken
from engines.kb.api import (
    FileOutcome,
    IndexProgress,
    IndexProgressCallback,
    IndexReport,
    KnowledgeBase,
    KnowledgeBaseError,
)
from engines.kb.chunking import Chunk, chunk_blocks, embedding_text
from engines.kb.readers import UnreadableFile, is_supported, read_blocks

MAX_FILE_ENV = "CANDEIA_KB_MAX_FILE_MB"
DEFAULT_MAX_TEXT_MB = 50  # text-like files: about 12 million words, hours of embedding on a laptop
BINARY_FORMATS = {".pdf", ".docx"}  # their size is mostly images and layout, not text
MAX_BINARY_MB = 1024
BATCH = 32
MODEL_ERRORS = (KnowledgeBaseError, ModelNotFoundError, InvalidModelFileError, ModelLoadError, EngineCrashedError)


def max_text_bytes() -> int:
    try:
        return max(1, int(os.environ.get(MAX_FILE_ENV, DEFAULT_MAX_TEXT_MB))) << 20
    except ValueError:
        return DEFAULT_MAX_TEXT_MB << 20


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):  # symbolic links to folders are not followed (no loops)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield from (Path(folder) / f for f in sorted(files) if not f.startswith("."))


def collect(paths: list[Path]) -> Iterator[Path]:
    """Supported files under `paths` (folders recursively, hidden ones left out), each once, sorted;
    a file named itself is always taken (an unsupported one is then reported as skipped)."""
    seen: set[Path] = set()
    for root in paths:
        for path in [root] if root.is_file() else _walk(root):
            if path not in seen and (path == root or is_supported(path)):
                seen.add(path)
                yield path


def sha256_of(path: Path, cancel: CancelToken | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            if cancel is not None:
                cancel.raise_if_cancelled()
            digest.update(block)
    return digest.hexdigest()


def _too_large(path: Path, size: int) -> str:
    binary = path.suffix.lower() in BINARY_FORMATS
    limit = MAX_BINARY_MB << 20 if binary else max_text_bytes()
    if size <= limit:
        return ""
    return (f"is {size / (1 << 20):.0f} MB, over the {limit >> 20} MB limit for one file "
            f"({'' if binary else MAX_FILE_ENV + ' raises it; '}split it to index it)")


class _Run:
    def __init__(self, kb: KnowledgeBase, total: int, progress: IndexProgressCallback | None,
                 cancel: CancelToken | None) -> None:
        self.kb, self.index, self.total = kb, kb.index, total
        self.progress, self.cancel = progress, cancel
        self.done = 0
        self.chunks = 0
        self.current = ""
        self.prefix = self.index.get_meta("passage_prefix")

    def report(self, current: str, finished: FileOutcome | None = None) -> None:
        self.current = current
        if self.progress is not None:
            self.progress(IndexProgress(self.done, self.total, current, self.chunks, finished))

    def file(self, path: Path) -> FileOutcome:
        name = str(path)
        if not is_supported(path):
            return FileOutcome(name, "skipped", reason=f"Candeia does not read {path.suffix or 'extension-less'} files")
        try:
            stat = path.stat()
            stamp = self.index.file_stamp(name)
            if stamp is not None and stamp[:2] == (stat.st_size, stat.st_mtime_ns):
                return self._unchanged(name)
            reason = "is empty (0 bytes)" if stat.st_size == 0 else _too_large(path, stat.st_size)
            digest = "" if reason else sha256_of(path, self.cancel)
            if stamp is not None and digest and stamp[2] == digest:
                with self.index.transaction():
                    self.index.touch_file(name, stat.st_size, stat.st_mtime_ns)
                return self._unchanged(name)
            if reason:
                return self._record_failure(name, stat.st_size, stat.st_mtime_ns, digest, reason, "skipped")
            return self._embed(path, stat.st_size, stat.st_mtime_ns, digest)
        except (UnreadableFile, OSError) as exc:
            reason = str(exc) if isinstance(exc, UnreadableFile) else f"cannot be read ({exc.strerror or exc})"
            st = path.stat() if path.exists() else None
            return self._record_failure(name, st.st_size if st else 0, st.st_mtime_ns if st else 0, "", reason)

    def _unchanged(self, name: str) -> FileOutcome:
        row = next((f for f in self.index.files() if f[0] == name), (name, 0, ""))
        return FileOutcome(name, "skipped" if row[2] else "unchanged", row[1], row[2])

    def _record_failure(self, name: str, size: int, mtime: int, digest: str, reason: str,
                        status: str = "failed") -> FileOutcome:
        with self.index.transaction():
            file_id = self.index.begin_file(name, size, mtime, digest)
            self.index.finish_file(file_id, 0, reason)
        return FileOutcome(name, "skipped" if status == "skipped" else "failed", 0, reason)

    def _embed(self, path: Path, size: int, mtime: int, digest: str) -> FileOutcome:
        count = 0
        with self.index.transaction():
            file_id = self.index.begin_file(str(path), size, mtime, digest)
            batch: list[Chunk] = []
            for chunk in chunk_blocks(read_blocks(path)):
                batch.append(chunk)
                if len(batch) >= BATCH:
                    count += self._write(file_id, count, batch)
                    batch = []
            count += self._write(file_id, count, batch)
            if count == 0:
                raise UnreadableFile("has no text to index")
            self.index.finish_file(file_id, count)
        return FileOutcome(str(path), "indexed", count)

    def _write(self, file_id: int, first: int, batch: list[Chunk]) -> int:
        if not batch:
            return 0
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        vectors = self.kb.encoder().embed([self.prefix + embedding_text(c) for c in batch], cancel=self.cancel)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
        dims = self.index.dimensions
        if dims == 0:
            self.index.set_meta("dimensions", str(vectors.shape[1]))
        elif dims != vectors.shape[1]:
            raise KnowledgeBaseError(f"the embedding model gives {vectors.shape[1]} dimensions, but this knowledge "
                                     f"base holds {dims}-dimension vectors")
        self.index.add_chunks(file_id, first, [(c.page, c.heading, c.text) for c in batch],
                              vectors.astype(np.float32))
        self.chunks += len(batch)
        self.report(self.current)
        return len(batch)


def run_files(kb: KnowledgeBase, files: list[Path], report: IndexReport, progress: IndexProgressCallback | None,
              cancel: CancelToken | None) -> IndexReport:
    started = time.perf_counter()
    run = _Run(kb, len(files), progress, cancel)
    try:
        for path in files:
            run.report(str(path))
            try:
                outcome = run.file(path)
            except (UnreadableFile, OSError) as exc:  # pragma: no cover - run.file records these itself
                outcome = FileOutcome(str(path), "failed", reason=str(exc))
            except CandeiaError as exc:
                if isinstance(exc, MODEL_ERRORS):  # the embedding model, not this file: every file would fail
                    raise
                outcome = run._record_failure(str(path), 0, 0, "", str(exc))
            report.files.append(outcome)
            run.done += 1
            run.report(str(path), outcome)  # lets a file list show this file now, not at the end
    except Cancelled:
        report.cancelled = True
    run.report("")
    report.seconds = time.perf_counter() - started
    return report


def index_paths(kb: KnowledgeBase, paths: list[Path], progress: IndexProgressCallback | None,
                cancel: CancelToken | None, remember: bool = True) -> IndexReport:
    report = IndexReport()
    existing: list[Path] = []
    for raw in paths:
        path = raw.expanduser().absolute()
        if path.exists():
            existing.append(path)
        else:
            report.files.append(FileOutcome(str(path), "failed", reason="does not exist"))
    if remember and existing:
        with kb.index.transaction():
            kb.index.add_roots([str(p) for p in existing])
    return run_files(kb, list(collect(existing)), report, progress, cancel)


def rescan(kb: KnowledgeBase, progress: IndexProgressCallback | None, cancel: CancelToken | None) -> IndexReport:
    report = IndexReport()
    roots = [Path(r) for r in kb.index.roots()]
    files = list(collect([r for r in roots if r.exists()]))
    present = {str(f) for f in files}
    gone = [f for f in kb.index.known_files() if f not in present]
    if gone:
        kb.index.drop_files(gone)
        report.files.extend(FileOutcome(f, "removed") for f in gone)
    return run_files(kb, files, report, progress, cancel)
