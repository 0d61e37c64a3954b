"""Search: BM25 over FTS5, cosine over the vectors, a weighted fusion of the two, an optional reranker.

Keyword search is an OR of the query's words (stop words dropped), so a chunk needs no exact phrase
to be found, and BM25 ranks the ones with the rarer words first. Words are stemmed by truncation on
both sides (stems.py: "irrigação" finds "irrigar", "telescópio" finds "telescope").

The two lists are fused by fusion.py: a weighted sum of their scores, the vectors' share scaled
by how far their best candidate stands out (docs/knowledge-base.md: how it was chosen).
"""

from __future__ import annotations

import re

import numpy as np

from engines.kb.api import Hit, KnowledgeBase, KnowledgeBaseError, SearchMode
from engines.kb.fusion import CANDIDATES, fuse
from engines.kb.index import KBIndex
from engines.kb.stems import stem_tokens

COMMON_SHARE = 0.5  # a query term found in more of the chunks than this is left out (rare_terms)
WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset("""
a an and are as at be by do does for from how i in is it of on or that the this to was what when where which who
why will with you your can my me we our o os as um uma uns umas e é de do da dos das em no na nos nas por para com
que se ao aos à às como qual quais quando onde quem eu meu minha ser está são foi the
""".split())


def fts_terms(text: str) -> list[str]:
    """The query's words less stop words, stemmed, once each; an identifier such as `reorder_margin`
    becomes one term, the phrase of its stemmed parts."""
    words = [w.lower() for w in WORD.findall(text)]
    kept = [w for w in words if w not in STOP_WORDS] or words
    terms = (" ".join(stem_tokens(w)) for w in kept)
    return list(dict.fromkeys(t for t in terms if t))


def fts_query(text: str | list[str]) -> str:
    """An FTS5 MATCH expression for the stemmed index: the terms quoted (no FTS syntax from users), OR-ed."""
    terms = fts_terms(text) if isinstance(text, str) else text
    return " OR ".join(f'"{t}"' for t in terms)


def rare_terms(index: KBIndex, terms: list[str]) -> list[str]:
    """The terms less those found in over COMMON_SHARE of the chunks, when a rarer one is in the index
    or is a phrase (an identifier, always kept). BM25 scores every chunk that holds any query term, so
    a common term makes the query dear (~1 us per matching chunk at 100k) and adds nothing: FTS5's BM25
    gives a term in over half the chunks an IDF of 1e-6, so the chunks it alone brings in rank last."""
    words = [t for t in terms if " " not in t]
    if len(terms) < 2 or not words:
        return terms
    chunks, counts = index.term_chunks(words)
    kept = [t for t in terms if counts.get(t, 0) <= COMMON_SHARE * chunks]
    found = any(" " in t or counts[t] > 0 for t in kept)
    return kept if found else terms


def keyword_ranks(kb: KnowledgeBase, query: str, limit: int) -> list[tuple[int, float]]:
    terms = rare_terms(kb.index, fts_terms(query))
    if any(" " in t for t in terms):  # a phrase needs FTS5's positions
        return kb.index.keyword_search(fts_query(terms), limit)
    return kb.index.stem_search(terms, limit) if terms else []


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
        ranked = fuse(keyword_ranks(kb, query, pool), vector_ranks(kb, query, pool))
    rows = kb.index.chunk_rows([c for c, _ in ranked[:pool]])
    hits = [Hit(c, *rows[c], score=s) for c, s in ranked[:pool] if c in rows]
    if rerank and hits:
        from engines.kb.rerank import rerank_hits

        hits = rerank_hits(kb, query, hits, reranker)
    return hits[:k]
