"""Greedy and beam search over a step function, token for token as transformers' `generate()` does.

The step function takes the last token of every running row and returns next-token logits;
`reorder(rows)` lets it rearrange its key/value cache after beams are chosen. Beam search follows
transformers 4.5x's vectorised `_beam_search` (top 2*beams continuations, finished hypotheses
kept with the length penalty, the same early-stopping heuristic), in float32 throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from engines.jobs import CancelToken

FloatArray = np.ndarray[Any, np.dtype[np.float32]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
StepFn = Callable[[IntArray], FloatArray]
ReorderFn = Callable[[IntArray], None]
NEG = np.float32(-1.0e9)


@dataclass(frozen=True)
class GenerationSettings:
    start_token: int
    eos_tokens: tuple[int, ...]
    pad_token: int
    max_length: int  # counting the start token, as transformers' max_length does for encoder-decoders
    num_beams: int = 1
    length_penalty: float = 1.0
    early_stopping: bool | str = False
    no_repeat_ngram_size: int = 0


def _banned_ngrams(rows: IntArray, n: int) -> list[list[int]]:
    """Tokens that would repeat an n-gram already in each row (transformers' NoRepeatNGramLogitsProcessor)."""
    length = rows.shape[1]
    if n <= 0 or length + 1 < n:
        return [[] for _ in range(rows.shape[0])]
    banned: list[list[int]] = []
    for row in rows.tolist():
        prefix = tuple(row[length - n + 1:])
        out = [row[i + n - 1] for i in range(length - n + 1) if tuple(row[i:i + n - 1]) == prefix]
        banned.append(out)
    return banned


def _apply_no_repeat(scores: FloatArray, rows: IntArray, n: int) -> None:
    if n <= 0:
        return
    for i, tokens in enumerate(_banned_ngrams(rows, n)):
        if tokens:
            scores[i, tokens] = -np.inf


def _log_softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


def greedy(step: StepFn, batch: int, s: GenerationSettings, cancel: CancelToken | None = None) -> list[list[int]]:
    seqs = np.full((batch, 1), s.start_token, dtype=np.int64)
    unfinished = np.ones(batch, dtype=bool)
    eos = np.asarray(s.eos_tokens, dtype=np.int64)
    while seqs.shape[1] < s.max_length:
        if cancel is not None:
            cancel.raise_if_cancelled()
        logits = step(seqs[:, -1])
        if s.no_repeat_ngram_size:
            logits = logits.copy()
            _apply_no_repeat(logits, seqs, s.no_repeat_ngram_size)
        nxt = logits.argmax(axis=-1).astype(np.int64)
        nxt = np.where(unfinished, nxt, s.pad_token)
        seqs = np.concatenate([seqs, nxt[:, None]], axis=1)
        if eos.size:
            unfinished &= ~np.isin(nxt, eos)
        if not unfinished.any():
            break
    return [list(map(int, row)) for row in seqs]


def _topk(values: FloatArray, k: int) -> IntArray:
    """Indices of the k largest values per row, largest first (ties: lower index first)."""
    idx: IntArray = np.argsort(-values, axis=-1, kind="stable")[:, :k]
    return idx


def _gather(array: np.ndarray[Any, Any], idx: IntArray) -> np.ndarray[Any, Any]:
    return np.take_along_axis(array, idx.reshape(idx.shape + (1,) * (array.ndim - 2)), axis=1)


def beam_search(
    step: StepFn, reorder: ReorderFn, batch: int, s: GenerationSettings, cancel: CancelToken | None = None
) -> list[list[int]]:
    """Rows of the step function are batch-major: image i's beams are rows i*beams ... i*beams+beams-1."""
    beams, max_length, lp = s.num_beams, s.max_length, s.length_penalty
    eos = np.asarray(s.eos_tokens, dtype=np.int64)
    keep = max(2, 1 + len(s.eos_tokens)) * beams
    top_mask = np.zeros(keep, dtype=bool)
    top_mask[:beams] = True
    fill = s.pad_token if s.pad_token is not None else (s.eos_tokens[0] if s.eos_tokens else -1)
    prompt_len = cur_len = 1
    running = np.full((batch, beams, max_length), fill, dtype=np.int64)
    running[:, :, 0] = s.start_token
    sequences = running.copy()
    running_scores = np.zeros((batch, beams), dtype=np.float32)
    running_scores[:, 1:] = NEG
    beam_scores = np.full((batch, beams), NEG, dtype=np.float32)
    finished = np.zeros((batch, beams), dtype=bool)
    heuristic_open = np.ones((batch, 1), dtype=bool)
    lengths = np.zeros((batch, beams), dtype=np.int64)  # generated tokens of each kept hypothesis
    running_lengths = np.zeros((batch, beams), dtype=np.int64)
    while True:
        if cancel is not None:
            cancel.raise_if_cancelled()
        flat = running[:, :, :cur_len].reshape(batch * beams, cur_len)
        logits = step(flat[:, -1]).astype(np.float32, copy=False)
        vocab = logits.shape[-1]
        log_probs = _log_softmax(logits)
        _apply_no_repeat(log_probs, flat, s.no_repeat_ngram_size)
        acc = (log_probs.reshape(batch, beams, vocab) + running_scores[:, :, None]).reshape(batch, beams * vocab)
        topk_idx = _topk(acc, keep)
        topk_scores = np.take_along_axis(acc, topk_idx, axis=1)
        src_beam = topk_idx // vocab
        tokens = topk_idx % vocab
        topk_seqs = _gather(running, src_beam).copy()
        topk_seqs[:, :, cur_len] = tokens
        topk_lengths = _gather(running_lengths, src_beam) + 1
        hits = (cur_len + 1 >= max_length) | np.isin(tokens, eos)
        # running beams for the next step: the best continuations that did not just finish
        masked = topk_scores + hits.astype(np.float32) * NEG
        nxt = _topk(masked, beams)
        running = _gather(topk_seqs, nxt)
        running_scores = np.take_along_axis(masked, nxt, axis=1)
        running_lengths = np.take_along_axis(topk_lengths, nxt, axis=1)
        source_rows = (np.take_along_axis(src_beam, nxt, axis=1) + np.arange(batch)[:, None] * beams).reshape(-1)
        # finished hypotheses: merge the new ones into the kept best `beams`
        just_finished = hits & top_mask[None, :]
        scores = topk_scores / np.float32((cur_len + 1 - prompt_len) ** lp)
        full = finished.all(axis=-1, keepdims=True) & (s.early_stopping is True)
        scores = scores + full.astype(np.float32) * NEG
        scores = scores + (~heuristic_open).astype(np.float32) * NEG
        scores = scores + (~just_finished).astype(np.float32) * NEG
        merged_scores = np.concatenate([beam_scores, scores], axis=1)
        best = _topk(merged_scores, beams)
        sequences = _gather(np.concatenate([sequences, topk_seqs], axis=1), best)
        beam_scores = np.take_along_axis(merged_scores, best, axis=1)
        lengths = np.take_along_axis(np.concatenate([lengths, topk_lengths], axis=1), best, axis=1)
        finished = np.take_along_axis(np.concatenate([finished, just_finished], axis=1), best, axis=1)
        cur_len += 1
        # early-stopping heuristic, as transformers' _check_early_stop_heuristic
        hypothetical = max_length - prompt_len if s.early_stopping == "never" and lp > 0.0 else cur_len - prompt_len
        best_running = running_scores[:, :1] / np.float32(hypothetical ** lp)
        worst_done = np.where(finished, beam_scores.min(axis=1, keepdims=True), NEG)
        heuristic_open = heuristic_open & (best_running > worst_done).any(axis=-1, keepdims=True)
        open_beam = not (finished.all() and s.early_stopping is True)
        if not (heuristic_open.any() and open_beam and not hits.all()):
            break
        reorder(source_rows)
    out_len = prompt_len + int(lengths[:, 0].max())
    return [list(map(int, row[:out_len])) for row in sequences[:, 0, :]]


class Cache(Protocol):
    """A decoder with its own key/value cache: `feed` runs tokens [rows, T] after the cached ones and
    returns their logits [rows, T, vocab]; `truncate(n)` keeps the first n cached positions."""

    @property
    def length(self) -> int: ...

    def feed(self, tokens: IntArray) -> FloatArray: ...

    def truncate(self, length: int) -> None: ...


@dataclass
class DraftStats:
    """Speculative generations so far: draft tokens proposed, accepted, and verify runs; and how many
    tokens the draft proposes next (`tokens`), adapted as transformers' assisted generation does:
    two more after a round whose proposals were all right, one fewer after one with a wrong one."""

    drafted: int = 0
    accepted: int = 0
    verifies: int = 0
    tokens: int = 8
    max_tokens: int = 16

    def adapt(self, all_right: bool) -> None:
        self.tokens = min(self.max_tokens, self.tokens + 2) if all_right else max(1, self.tokens - 1)

    @property
    def acceptance(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0


def speculative_greedy(target: Cache, draft: Cache, batch: int, s: GenerationSettings,
                       cancel: CancelToken | None = None, stats: DraftStats | None = None) -> list[list[int]]:
    """Greedy decoding of `target`, token for token the same as `greedy` on it, with fewer target runs.

    Each round the cheap `draft` proposes up to `stats.tokens` tokens one at a time; `target` then runs
    the last accepted token and all proposals at once, and every position's argmax is a token greedy
    would have chosen as long as the proposals before it were right. So a round keeps target's tokens
    up to and including the first one that differs from the proposal (at least one token per round),
    and both caches are cut back to the kept length. Rows share the accepted length: a round stops at
    the first position where any unfinished row's proposal was wrong. Finished rows get `pad_token`,
    no_repeat_ngram_size bans are applied to every position in order, as `greedy` does.
    """
    seqs = np.full((batch, 1), s.start_token, dtype=np.int64)
    unfinished = np.ones(batch, dtype=bool)
    eos = np.asarray(s.eos_tokens, dtype=np.int64)
    stats = stats if stats is not None else DraftStats()
    n = s.no_repeat_ngram_size

    def choose(logits: FloatArray, context: IntArray) -> IntArray:
        if n:
            logits = logits.copy()
            _apply_no_repeat(logits, context, n)
        out: IntArray = logits.argmax(axis=-1).astype(np.int64)
        return out

    while seqs.shape[1] < s.max_length and unfinished.any():
        length = seqs.shape[1]
        count = min(stats.tokens, s.max_length - length - 1)  # a full acceptance must still fit
        proposals = np.zeros((batch, 0), dtype=np.int64)
        context = seqs
        for _ in range(count):
            if cancel is not None:
                cancel.raise_if_cancelled()
            pending = context[:, draft.length:]
            guess = choose(draft.feed(pending)[:, -1], context)
            proposals = np.concatenate([proposals, guess[:, None]], axis=1)
            context = np.concatenate([context, guess[:, None]], axis=1)
        if cancel is not None:
            cancel.raise_if_cancelled()
        logits = target.feed(np.concatenate([seqs[:, target.length:], proposals], axis=1))[:, -(count + 1):]
        stats.verifies += 1
        stats.drafted += count
        right = 0
        for i in range(count + 1):
            nxt = np.where(unfinished, choose(logits[:, i], seqs), s.pad_token)
            seqs = np.concatenate([seqs, nxt[:, None]], axis=1)
            if eos.size:
                unfinished &= ~np.isin(nxt, eos)
            if i == count or seqs.shape[1] >= s.max_length or not unfinished.any():
                break
            # the next position's logits followed proposal i: valid where it is the token just kept
            if not np.array_equal(proposals[unfinished, i], nxt[unfinished]):
                break
            right += 1
        stats.accepted += right
        if count:
            stats.adapt(right == count)
        target.truncate(seqs.shape[1] - 1)
        draft.truncate(min(draft.length, seqs.shape[1] - 1))
    return [list(map(int, row)) for row in seqs]
