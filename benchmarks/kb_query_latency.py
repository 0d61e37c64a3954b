"""Retrieval latency of a knowledge base at 100k chunks (BM25, vectors, hybrid fusion), without the encoder.

    python benchmarks/kb_query_latency.py [--chunks 100000] [--dims 384] [--queries 50]

Builds a throwaway knowledge base with generated text (a 5,000-word vocabulary of 1,000 letter stems
with five endings each, so that the keyword search's five-letter stems each stand for several words;
Zipf-distributed so some words are common and most are rare) and random unit vectors, then times what
a query costs after its embedding: the FTS5 BM25 search over the stemmed index (and, for comparison,
over the plain words; the stemmed one less the query terms found in over half the chunks, as
retrieval.py's `rare_terms` does, its vocabulary look-ups timed with it, scored in numpy by
bm25.py), the vector scan, the fusion and reading the hits' rows. The query's embedding is timed
apart (it depends on the model, not on the index size).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from engines.kb.fusion import CANDIDATES, fuse
from engines.kb.index import KBIndex
from engines.kb.retrieval import fts_terms, rare_terms


def build(path: Path, chunks: int, dims: int, rng: np.random.Generator) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    stems = sorted({"".join(rng.choice(letters, size=5)) for _ in range(1100)})[:1000]
    vocabulary = [stem + ending for ending in ("", "s", "ing", "ed", "ation") for stem in stems]
    rng.shuffle(vocabulary)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    index = KBIndex(path, create=True)
    index.set_meta("dimensions", str(dims))
    per_file = 1000
    for start in range(0, chunks, per_file):
        words = rng.choice(len(vocabulary), size=(per_file, 120), p=weights)
        vectors = rng.standard_normal((per_file, dims)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with index.transaction():
            file_id = index.begin_file(f"/docs/file{start // per_file}.txt", 1, 1, "x")
            rows = [(None, "", " ".join(vocabulary[w] for w in row)) for row in words]
            index.add_chunks(file_id, 0, rows, vectors)
            index.finish_file(file_id, per_file)
    index.close()
    return vocabulary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        started = time.perf_counter()
        vocabulary = build(path, args.chunks, args.dims, rng)
        print(f"built {args.chunks} chunks in {time.perf_counter() - started:.1f} s, "
              f"{path.stat().st_size / 2**20:.0f} MB")
        index = KBIndex(path)
        started = time.perf_counter()
        ids, matrix = index.vector_matrix()
        print(f"vectors loaded once per open: {time.perf_counter() - started:.2f} s ({matrix.nbytes / 2**20:.0f} MB)")
        timings: dict[str, list[float]] = {"bm25 exact words": [], "bm25": [], "vector": [], "hybrid": []}
        for _ in range(args.queries):
            query = " ".join(vocabulary[int(i)] for i in rng.integers(50, 3000, size=5))
            vector = rng.standard_normal(args.dims).astype(np.float32)
            started = time.perf_counter()  # the words alone, without the prefixes (the search before them)
            index.keyword_search(" OR ".join(f'"{word}"' for word in query.split()), CANDIDATES, stemmed=False)
            timings["bm25 exact words"].append(time.perf_counter() - started)
            t0 = time.perf_counter()
            keyword = index.stem_search(rare_terms(index, fts_terms(query)), CANDIDATES)
            t1 = time.perf_counter()
            scores = matrix @ vector
            best = np.argpartition(-scores, CANDIDATES - 1)[:CANDIDATES]
            ranked = [(int(ids[i]), float(scores[i])) for i in best[np.argsort(-scores[best])]]
            t2 = time.perf_counter()
            fused = fuse(keyword, ranked)
            index.chunk_rows([c for c, _ in fused[:10]])
            t3 = time.perf_counter()
            timings["bm25"].append(t1 - t0)
            timings["vector"].append(t2 - t1)
            timings["hybrid"].append(t3 - t0)
        for name, values in timings.items():
            print(f"{name:>16}: median {statistics.median(values) * 1000:.1f} ms, "
                  f"p95 {sorted(values)[int(len(values) * 0.95) - 1] * 1000:.1f} ms")
        index.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
