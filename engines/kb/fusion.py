"""Fusing the keyword and vector lists: a convex combination of their scores, the vectors' share
scaled by how far their best candidate stands out.

Convex combination (Bruch, Gai and Ingber 2023): BM25 divided by the query's best BM25 score, cosine
scaled from the worst to the best vector candidate. Min-max scaling alone gives the top vector
candidate its full share even when the list is flat, which is what an embedding model produces for a
question it does not understand (a Portuguese question to an English-only model): then the vectors'
"best" passage is noise that pushes keyword hits down. So the vectors' share is multiplied by a
confidence from the list itself: the top cosine's z-score over the candidates, (top - mean) / std.
At or below ZSCORE_FLAT the vectors only break ties among keyword hits; from ZSCORE_PEAKED up they
get their whole share; linear between. (The best of 50 evenly spread scores stands at z 1.7; on the
evaluation set all-MiniLM-L6-v2 puts English questions' best at 2.8-6.5, Portuguese ones' over
English documents at 1.5-2.4.) The
z-score ignores the model's cosine scale (E5's unrelated pairs score ~0.7, MiniLM's ~0.1), so the
rule needs nothing per model. docs/knowledge-base.md: the settings were chosen on one half of the
evaluation questions and checked on the other.
"""

from __future__ import annotations

import numpy as np

Ranked = list[tuple[int, float]]  # (chunk id, score), best first

CANDIDATES = 50  # per list, before fusion (and what the reranker sees at most)
KEYWORD_WEIGHT = 0.5  # BM25's share of the fused score; the vectors get the rest, times their confidence
ZSCORE_FLAT, ZSCORE_PEAKED = 1.5, 3.0
MIN_CANDIDATES = 20  # fewer vector candidates (a small knowledge base) say too little about a list's shape
EPSILON = 1e-9  # below this, cosines count as tied


def vector_confidence(vector: Ranked, depth: int = CANDIDATES) -> float:
    """0..1: how far the best of the first `depth` cosines stands above the rest, as a z-score mapped
    linearly from ZSCORE_FLAT (0) to ZSCORE_PEAKED (1); 1 when there are too few candidates to judge."""
    scores = np.array([s for _, s in vector[:depth]], dtype=np.float64)
    if len(scores) < MIN_CANDIDATES:
        return 1.0
    spread = float(scores.std())
    if spread < EPSILON:
        return 0.0  # all tied: the vectors cannot tell the candidates apart
    z = (float(scores[0]) - float(scores.mean())) / spread
    return min(1.0, max(0.0, (z - ZSCORE_FLAT) / (ZSCORE_PEAKED - ZSCORE_FLAT)))


def fuse(keyword: Ranked, vector: Ranked, weight: float = KEYWORD_WEIGHT,
         confidence: float | None = None) -> Ranked:
    """Both lists best first; each chunk gets weight x its BM25 share of the best + (1 - weight) x
    confidence x its cosine scaled over the vector candidates (0 for the last, 1 for the first).
    `confidence` defaults to vector_confidence(vector)."""
    share = (1.0 - weight) * (vector_confidence(vector) if confidence is None else confidence)
    scores: dict[int, float] = {}
    best = keyword[0][1] if keyword else 0.0
    for chunk_id, score in keyword:
        scores[chunk_id] = weight * score / best if best > 0 else weight
    if vector:
        high, low = vector[0][1], vector[-1][1]
        for chunk_id, score in vector:
            scaled = (score - low) / (high - low) if high - low > EPSILON else 1.0
            scores[chunk_id] = scores.get(chunk_id, 0.0) + share * scaled
    return sorted(scores.items(), key=lambda item: -item[1])
