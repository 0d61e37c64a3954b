"""One knowledge base's SQLite file: files, chunks, FTS5 keywords and the chunks' vectors.

Vectors are float32 BLOBs in the `vectors` table and are searched with numpy over a matrix loaded
once per open index (vectors.py). sqlite-vec was the first choice, but its loadable extension needs
`sqlite3.Connection.enable_load_extension`, which many Python builds leave out (pyenv's default
build, macOS's system Python); a brute-force dot product over 100k x 384 floats takes a few
milliseconds anyway (docs/knowledge-base.md). WAL mode: readers (a search from the GUI) never wait
for an indexing run, and each file's rows are committed together, so a crash keeps every file
committed before it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engines.kb.api import KBStatus, KnowledgeBaseError
from engines.kb.bm25 import StemBM25
from engines.kb.stems import stem_text

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, chunks INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL, page INTEGER, heading TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks(file_id);
CREATE TABLE IF NOT EXISTS vectors (chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    vector BLOB NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, heading, content='chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading); END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading); END;
CREATE VIRTUAL TABLE IF NOT EXISTS stems_fts USING fts5(
    text, heading, content='', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS stems_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO stems_fts(rowid, text, heading) VALUES (new.id, kb_stems(new.text), kb_stems(new.heading)); END;
CREATE TRIGGER IF NOT EXISTS stems_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO stems_fts(stems_fts, rowid, text, heading)
    VALUES ('delete', old.id, kb_stems(old.text), kb_stems(old.heading)); END;
"""


class KBIndex:
    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not path.is_file():
            raise KnowledgeBaseError(f"there is no knowledge base file at {path}")
        self.path = path
        try:
            self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            # the stemmed keyword index (stems.py) is filled by triggers that call this
            self.db.create_function("kb_stems", 1, stem_text, deterministic=True)
            stemmed = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'stems_fts'").fetchone()
            self.db.executescript(_SCHEMA)
            if stemmed is None:  # a knowledge base made before the stemmed index: fill it once
                self.db.execute("INSERT INTO stems_fts(rowid, text, heading) "
                                "SELECT id, kb_stems(text), kb_stems(heading) FROM chunks")
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(f"{path} is not a knowledge base Candeia can read ({exc})") from None
        self._matrix: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None = None
        self._chunk_count: int | None = None
        self._bm25 = StemBM25(self.db)

    # -- meta ---------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def dimensions(self) -> int:
        return int(self.get_meta("dimensions", "0"))

    # -- roots and files ----------------------------------------------------------------------------
    def roots(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM roots ORDER BY path")]

    def add_roots(self, paths: list[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO roots(path) VALUES (?)", [(p,) for p in paths])

    def file_stamp(self, path: str) -> tuple[int, int, str] | None:
        """(size, mtime_ns, sha256) recorded for a file, or None if it was never seen."""
        row = self.db.execute("SELECT size, mtime_ns, sha256 FROM files WHERE path = ?", (path,)).fetchone()
        return (int(row[0]), int(row[1]), str(row[2])) if row else None

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (size, mtime_ns, path))

    def known_files(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM files ORDER BY path")]

    def files(self) -> list[tuple[str, int, str]]:
        return [(str(p), int(c), str(e)) for p, c, e in
                self.db.execute("SELECT path, chunks, error FROM files ORDER BY path")]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self._matrix = self._chunk_count = self._bm25.version = None

    def begin_file(self, path: str, size: int, mtime_ns: int, sha256: str) -> int:
        """Inside a transaction: forget the file's old chunks and return its row id."""
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))
        cursor = self.db.execute("INSERT INTO files(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)",
                                 (path, size, mtime_ns, sha256))
        return int(cursor.lastrowid or 0)

    def add_chunks(self, file_id: int, first_ord: int, rows: list[tuple[int | None, str, str]],
                   vectors: npt.NDArray[np.float32]) -> None:
        """Inside a transaction: chunks (page, heading, text) and their vectors, in order."""
        for offset, ((page, heading, text), vector) in enumerate(zip(rows, vectors, strict=True)):
            cursor = self.db.execute("INSERT INTO chunks(file_id, ord, page, heading, text) VALUES (?, ?, ?, ?, ?)",
                                     (file_id, first_ord + offset, page, heading, text))
            self.db.execute("INSERT INTO vectors(chunk_id, vector) VALUES (?, ?)",
                            (cursor.lastrowid, np.asarray(vector, dtype=np.float32).tobytes()))

    def finish_file(self, file_id: int, chunks: int, error: str = "") -> None:
        self.db.execute("UPDATE files SET chunks = ?, error = ? WHERE id = ?", (chunks, error, file_id))

    def drop_files(self, paths: list[str]) -> int:
        with self.transaction():
            dropped = 0
            for path in paths:
                dropped += self.db.execute("DELETE FROM files WHERE path = ?", (path,)).rowcount
        return dropped

    def remove_paths(self, paths: list[str]) -> int:
        """Drop files, or every file under folders, and the matching roots."""
        doomed = [f for f in self.known_files() if any(f == p or f.startswith(p.rstrip("/\\") + "/") or
                                                       f.startswith(p.rstrip("/\\") + "\\") for p in paths)]
        with self.transaction():
            self.db.executemany("DELETE FROM roots WHERE path = ?", [(p,) for p in paths])
        return self.drop_files(doomed)

    # -- reading ------------------------------------------------------------------------------------
    def chunk_rows(self, ids: list[int]) -> dict[int, tuple[str, int | None, str, str]]:
        """chunk id -> (path, page, heading, text)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT c.id, f.path, c.page, c.heading, c.text FROM chunks c JOIN files f ON f.id = c.file_id "
            f"WHERE c.id IN ({marks})", ids)
        return {int(r[0]): (str(r[1]), r[2], str(r[3]), str(r[4])) for r in rows}

    def keyword_search(self, match: str, limit: int, stemmed: bool = True) -> list[tuple[int, float]]:
        """(chunk id, bm25 score; higher is better) for an FTS5 MATCH expression over the stemmed
        index (stems.py: its terms must be stemmed too), or over the plain words with stemmed=False."""
        table = "stems_fts" if stemmed else "chunks_fts"
        # `rank` is bm25() by default; ORDER BY rank LIMIT lets FTS5 keep only the best `limit` rows
        rows = self.db.execute(f"SELECT rowid, rank FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
                               (match, limit))
        return [(int(r[0]), -float(r[1])) for r in rows]

    def stem_search(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """keyword_search over the stemmed index for an OR of single stemmed words, the same rows and
        scores, scored in numpy (bm25.py: about twice as fast at 100k chunks)."""
        return self._bm25.search(terms, limit)

    def term_chunks(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        """(chunks in the index, {stemmed term: chunks holding it}) from the stemmed index's vocabulary:
        fts5vocab reads a term's document list without scoring it, a few percent of a BM25 query's cost."""
        if self._chunk_count is None:
            self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stems_vocab USING fts5vocab(main, stems_fts, row)")
            self._chunk_count = int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])
        counts = {term: 0 for term in terms}
        for term in terms:
            row = self.db.execute("SELECT doc FROM temp.stems_vocab WHERE term = ?", (term,)).fetchone()
            counts[term] = int(row[0]) if row else 0
        return self._chunk_count, counts

    def vector_matrix(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """(chunk ids, unit vectors) of every chunk, loaded once and kept until the next write."""
        if self._matrix is None:
            dims = self.dimensions
            rows = self.db.execute("SELECT chunk_id, vector FROM vectors ORDER BY chunk_id").fetchall()
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            # one join and one frombuffer: a numpy call per row took seconds at 100k chunks
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dims)
            self._matrix = (ids, matrix)
        return self._matrix

    def status(self, name: str) -> KBStatus:
        files, chunks = self.db.execute("SELECT COUNT(*), COALESCE(SUM(chunks), 0) FROM files").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return KBStatus(name=name, path=str(self.path), embed_model=self.get_meta("embed_model"),
                        dimensions=self.dimensions, files=int(files), chunks=int(chunks), bytes=size,
                        roots=tuple(self.roots()))

    def settings(self) -> dict[str, object]:
        raw = self.get_meta("settings", "{}")
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def close(self) -> None:
        self._matrix = self._chunk_count = None
        self.db.close()
