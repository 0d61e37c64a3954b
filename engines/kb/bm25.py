"""BM25 over the stemmed index's document lists in numpy: the same scores as FTS5's bm25(), about twice as fast.

FTS5 ranks an OR query by calling bm25() on every chunk that holds any query term, about 1 us a chunk;
at 100k chunks an OR of five stems matches some 25,000 (docs/knowledge-base.md, latency). Here each
term's occurrences come from an `fts5vocab` instance table (one row per occurrence, read without
scoring) and the chunks' lengths from `stems_fts_docsize`, decoded once per open and again after any
write (`PRAGMA data_version`), and the formula is FTS5's own (fts5_aux.c): k1 1.2, b 0.75, both
columns weighted 1, IDF log((N - n + 0.5) / (n + 0.5)) and 1e-6 where that is not positive. Ties
go to the lower row id, as FTS5's ORDER BY rank gives them. Phrases (identifiers) need positions in
order, so queries with one still go to FTS5 (index.py's keyword_search).
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np
import numpy.typing as npt

K1, B = 1.2, 0.75


def _varints(blob: bytes) -> int:
    """The sum of a docsize record's varints (SQLite's: seven bits a byte, most significant first, the
    high bit set on all but the last): the chunk's tokens over all columns."""
    total = value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            total, value = total + value, 0
    return total


class StemBM25:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.version: int | None = None
        self._lengths: npt.NDArray[np.float64] = np.zeros(0)
        self._rows, self._average = 0, 0.0

    def _load(self) -> None:
        version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        if version == self.version:
            return
        self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stems_instances "
                        "USING fts5vocab(main, stems_fts, instance)")
        rows = self.db.execute("SELECT id, sz FROM stems_fts_docsize").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        lengths = np.zeros(int(ids.max()) + 1 if len(ids) else 0)
        lengths[ids] = np.fromiter((_varints(r[1]) for r in rows), dtype=np.float64, count=len(rows))
        self._lengths, self._rows = lengths, len(rows)
        self._average = float(lengths.sum()) / max(len(rows), 1)
        self.version = version

    def search(self, terms: list[str], limit: int) -> list[tuple[int, float]]:
        """(chunk id, bm25 score; higher is better), best first, for an OR of single stemmed terms."""
        self._load()
        if self._rows == 0 or self._average <= 0:
            return []
        scores = np.zeros(len(self._lengths))
        for term in dict.fromkeys(terms):
            rows = self.db.execute("SELECT doc FROM temp.stems_instances WHERE term = ?", (term,)).fetchall()
            if not rows:
                continue
            chunks, freq = np.unique(np.array(rows, dtype=np.int64).ravel(), return_counts=True)
            chunks = chunks[chunks < len(scores)]  # a chunk written since the lengths were read
            freq = freq[: len(chunks)]
            idf = math.log((self._rows - len(chunks) + 0.5) / (len(chunks) + 0.5))
            norm = K1 * (1 - B + B * self._lengths[chunks] / self._average)
            scores[chunks] += (idf if idf > 0 else 1e-6) * freq * (K1 + 1) / (freq + norm)
        found = np.flatnonzero(scores)
        best = found[np.argsort(-scores[found], kind="stable")[:limit]]
        return [(int(i), float(scores[i])) for i in best]
