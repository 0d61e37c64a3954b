"""Beam search over a step function, token for token as transformers 4.5x's vectorised `_beam_search`:
the top max(2, 1 + #eos) * beams continuations, finished hypotheses kept with the length penalty, the
same early-stopping heuristic, float32 throughout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engines.jobs import CancelToken
from engines.seq2seq.processors import LogitsProcessor, log_softmax, topk
from engines.seq2seq.settings import GenerationSettings
from engines.seq2seq.types import FloatArray, IntArray, ReorderFn, StepCallback, StepFn

NEG = np.float32(-1.0e9)


def _gather(array: np.ndarray[Any, Any], idx: IntArray) -> np.ndarray[Any, Any]:
    return np.take_along_axis(array, idx.reshape(idx.shape + (1,) * (array.ndim - 2)), axis=1)


@dataclass
class _Beams:
    """The search's state per input row: running beams and the best finished hypotheses."""

    running: IntArray  # (batch, beams, max_length)
    running_scores: FloatArray
    sequences: IntArray  # finished hypotheses, best first
    beam_scores: FloatArray
    finished: np.ndarray[Any, np.dtype[np.bool_]]
    lengths: IntArray  # generated tokens of each kept hypothesis
    heuristic_open: np.ndarray[Any, np.dtype[np.bool_]]

    @classmethod
    def start(cls, batch: int, beams: int, s: GenerationSettings) -> _Beams:
        running = np.full((batch, beams, s.total_length), s.pad, dtype=np.int64)
        running[:, :, 0] = s.decoder_start_token_id
        running_scores = np.zeros((batch, beams), dtype=np.float32)
        running_scores[:, 1:] = NEG
        return cls(running, running_scores, running.copy(), np.full((batch, beams), NEG, dtype=np.float32),
                   np.zeros((batch, beams), dtype=bool), np.zeros((batch, beams), dtype=np.int64),
                   np.ones((batch, 1), dtype=bool))


def _advance(b: _Beams, log_probs: FloatArray, cur_len: int, s: GenerationSettings) -> tuple[IntArray, bool]:
    """One step of the search on processed log-probabilities (batch*beams, vocab; changed in place). Returns the cache
    rows to keep (flat, batch-major) and whether every continuation hit a stopping criterion."""
    batch, beams = b.running_scores.shape
    vocab = log_probs.shape[-1]
    eos = np.asarray(s.eos_token_ids, dtype=np.int64)
    keep = max(2, 1 + len(s.eos_token_ids)) * beams
    per_beam = log_probs.reshape(batch, beams, vocab)
    per_beam += b.running_scores[:, :, None]  # in place: one allocation of batch x beams x vocab fewer per step
    acc = per_beam.reshape(batch, beams * vocab)
    topk_idx = topk(acc, keep)
    topk_scores = np.take_along_axis(acc, topk_idx, axis=1)
    src_beam = topk_idx // vocab
    tokens = topk_idx % vocab
    topk_seqs = _gather(b.running, src_beam)  # fancy indexing: a copy
    topk_seqs[:, :, cur_len] = tokens
    hits = (cur_len + 1 >= s.total_length) | np.isin(tokens, eos)
    # running beams for the next step: the best continuations that did not just finish
    masked = topk_scores + hits.astype(np.float32) * NEG
    nxt = topk(masked, beams)
    b.running = _gather(topk_seqs, nxt)
    b.running_scores = np.take_along_axis(masked, nxt, axis=1)
    source_rows = (np.take_along_axis(src_beam, nxt, axis=1) + np.arange(batch)[:, None] * beams).reshape(-1)
    # finished hypotheses: merge the new ones into the kept best `beams`
    top_mask = np.zeros(keep, dtype=bool)
    top_mask[:beams] = True
    just_finished = hits & top_mask[None, :]
    scores = topk_scores / np.float32(cur_len ** s.length_penalty)
    full = b.finished.all(axis=-1, keepdims=True) & (s.early_stopping is True)
    scores = scores + full.astype(np.float32) * NEG
    scores = scores + (~b.heuristic_open).astype(np.float32) * NEG
    scores = scores + (~just_finished).astype(np.float32) * NEG
    merged_scores = np.concatenate([b.beam_scores, scores], axis=1)
    best = topk(merged_scores, beams)
    b.sequences = _gather(np.concatenate([b.sequences, topk_seqs], axis=1), best)
    b.beam_scores = np.take_along_axis(merged_scores, best, axis=1)
    new_lengths = np.full(tokens.shape, cur_len, dtype=np.int64)
    b.lengths = np.take_along_axis(np.concatenate([b.lengths, new_lengths], axis=1), best, axis=1)
    b.finished = np.take_along_axis(np.concatenate([b.finished, just_finished], axis=1), best, axis=1)
    return source_rows, bool(hits.all())


def _should_stop(b: _Beams, cur_len: int, s: GenerationSettings, all_hit: bool) -> bool:
    """transformers' `_check_early_stop_heuristic` and its other stopping conditions; `cur_len` counts
    the start token and every token generated so far."""
    lp = s.length_penalty
    hypothetical = s.total_length - 1 if s.early_stopping == "never" and lp > 0.0 else cur_len - 1
    best_running = b.running_scores[:, :1] / np.float32(hypothetical ** lp)
    worst_done = np.where(b.finished, b.beam_scores.min(axis=1, keepdims=True), NEG)
    b.heuristic_open = b.heuristic_open & (best_running > worst_done).any(axis=-1, keepdims=True)
    open_beam = not (b.finished.all() and s.early_stopping is True)
    return not (b.heuristic_open.any() and open_beam and not all_hit)


def beam_search(step: StepFn, reorder: ReorderFn, batch: int, settings: GenerationSettings,
                cancel: CancelToken | None = None, on_step: StepCallback | None = None) -> list[list[int]]:
    """What `generate()` returns: the best hypothesis per row (start token first, pad after its end, up
    to the longest). Rows of the step function are batch-major: row i's beams are i*beams ... i*beams+beams-1;
    `reorder(rows)` rearranges the step function's cache after each step."""
    beams = settings.num_beams
    b = _Beams.start(batch, beams, settings)
    processor: LogitsProcessor | None = None
    identity = np.arange(batch * beams)
    cur_len = 1
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        flat = b.running[:, :, :cur_len].reshape(batch * beams, cur_len)
        logits = step(flat[:, -1]).astype(np.float32, copy=False)
        if processor is None:
            processor = LogitsProcessor(settings, logits.shape[-1])
        # kept until the next step's are made: freeing every large array of a step at once lets glibc
        # return the memory and fault it in again next step (measured 1.5x slower search code here)
        scores = processor(flat, log_softmax(logits))
        source_rows, all_hit = _advance(b, scores, cur_len, settings)
        cur_len += 1
        if on_step is not None:
            on_step(cur_len - 1)
        if _should_stop(b, cur_len, settings, all_hit):
            break
        if not np.array_equal(source_rows, identity):
            reorder(source_rows)
    out_len = 1 + int(b.lengths[:, 0].max())
    return b.sequences[:, 0, :out_len].tolist()  # type: ignore[no-any-return]
