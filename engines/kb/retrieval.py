"""Search: BM25 over FTS5, cosine over the vectors, reciprocal-rank fusion, an optional reranker.

Fusion uses ranks, not scores (BM25 and cosine live on different scales): each list gives a chunk
1/(60 + rank), the constant of Cormack et al. (2009). Keyword search is an OR of the query's words
(stop words dropped), so a chunk needs no exact phrase to be found, and BM25 ranks the ones with
the rarer words first.
"""

from __future__ import annotations

import re

import numpy as np

from engines.kb.api import Hit, KnowledgeBase, KnowledgeBaseError, SearchMode

RRF_K = 60
CANDIDATES = 50  # per list, before fusion (and what the reranker sees at most)
_WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset("""
a an and are as at be by do does for from how i in is it of on or that the this to was what when where which who
why will with you your can my me we our o os as um uma uns umas e é de do da dos das em no na nos nas por para com
que se ao aos à às como qual quais quando onde quem eu meu minha ser está são foi the
""".split())


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression: the query's words, quoted (no FTS syntax from users), OR-ed."""
    words = [w.lower() for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOP_WORDS] or words
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(kept))


def keyword_ranks(kb: KnowledgeBase, query: str, limit: int) -> list[tuple[int, float]]:
    match = fts_query(query)
    return kb.index.keyword_search(match, limit) if match else []


def vector_ranks(kb: KnowledgeBase, query: str, limit: int) -> list[tuple[int, float]]:
    ids, matrix = kb.index.vector_matrix()
    if len(ids) == 0:
        return []
    vector = kb.encoder().embed([kb.index.get_meta("query_prefix") + query])[0]
    if vector.shape[0] != matrix.shape[1]:
        raise KnowledgeBaseError(f"the embedding model gives {vector.shape[0]} dimensions, but this knowledge base "
                                 f"holds {matrix.shape[1]}-dimension vectors")
    vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    scores = matrix @ vector
    top = min(limit, len(scores))
    best = np.argpartition(-scores, top - 1)[:top]
    best = best[np.argsort(-scores[best])]
    return [(int(ids[i]), float(scores[i])) for i in best]


def fuse(lists: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, (chunk_id, _) in enumerate(ranked):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])


def search(kb: KnowledgeBase, query: str, k: int, mode: SearchMode, rerank: bool,
           reranker: str | None) -> list[Hit]:
    if not query.strip():
        return []
    if mode not in ("bm25", "vector", "hybrid"):
        raise KnowledgeBaseError(f"unknown search mode '{mode}' (bm25, vector or hybrid)")
    pool = max(k, CANDIDATES)
    if mode == "bm25":
        ranked = keyword_ranks(kb, query, pool)
    elif mode == "vector":
        ranked = vector_ranks(kb, query, pool)
    else:
        ranked = fuse([keyword_ranks(kb, query, pool), vector_ranks(kb, query, pool)])
    rows = kb.index.chunk_rows([c for c, _ in ranked[:pool]])
    hits = [Hit(c, *rows[c], score=s) for c, s in ranked[:pool] if c in rows]
    if rerank and hits:
        from engines.kb.rerank import rerank_hits

        hits = rerank_hits(kb, query, hits, reranker)
    return hits[:k]
