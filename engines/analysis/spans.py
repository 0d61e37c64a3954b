"""The question-answering pipeline's answer-span search (transformers' `select_starts_ends` and
`decode_spans`), on one window's start/end logits; shapes (1, tokens) as the pipeline's, so even its
quirks (which masked positions `np.isin` lets through) are the same."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from engines.analysis.head import FloatArray

Ints = npt.NDArray[np.int64]


def decode_spans(start: FloatArray, end: FloatArray, topk: int, max_answer_len: int,
                 allowed: Ints) -> tuple[Ints, Ints, FloatArray]:
    """The `topk` best (start, end) token pairs with start <= end < start + max_answer_len."""
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    flat = candidates.flatten()
    if topk == 1:
        order: Any = [np.argmax(flat)]
    elif len(flat) < topk:
        order = np.argsort(-flat)
    else:
        best = np.argpartition(-flat, topk)[0:topk]
        order = best[np.argsort(-flat[best])]
    starts, ends = np.unravel_index(order, candidates.shape)[1:]
    keep = np.isin(starts, allowed.nonzero()) & np.isin(ends, allowed.nonzero())
    starts, ends = starts[keep], ends[keep]
    return starts, ends, candidates[0, starts, ends]


def select_spans(start: FloatArray, end: FloatArray, p_mask: Ints, min_null_score: float, topk: int,
                 handle_impossible: bool, max_answer_len: int) -> tuple[Ints, Ints, FloatArray, float]:
    """Probabilities over the tokens that may be in the answer (p_mask 0), then the best spans.

    `start`, `end`, `p_mask`: (1, tokens) for one unpadded window. The no-answer score is the
    [CLS] position's start x end probability, the lowest over the windows."""
    allowed = np.abs(p_mask - 1)
    blocked = allowed == 0
    start = np.where(blocked, -10000.0, start)
    end = np.where(blocked, -10000.0, end)
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible:
        min_null_score = min(min_null_score, float(start[0, 0] * end[0, 0]))
    start[0, 0] = end[0, 0] = 0.0
    starts, ends, scores = decode_spans(start, end, topk, max_answer_len, allowed)
    return starts, ends, scores, min_null_score
