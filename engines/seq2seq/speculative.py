"""Speculative greedy decoding: a cheap draft decoder proposes tokens, the target checks them in one run.

The ids are exactly those of `greedy` on the target; only the number of target runs changes. It pays
where a target step is bound by memory bandwidth (an fp32 decoder streaming all its weights per token)
and the draft reads a quarter of the bytes: captioning's fp32 step with its int8 draft (caption/draft.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.jobs import CancelToken
from engines.seq2seq.processors import LogitsProcessor
from engines.seq2seq.settings import GenerationSettings
from engines.seq2seq.types import Cache, FloatArray, IntArray


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


class _Chooser:
    """Greedy's choice at one position: the processors on the context so far, then argmax."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.settings = settings
        self.processor: LogitsProcessor | None = None

    def __call__(self, logits: FloatArray, context: IntArray) -> IntArray:
        if self.processor is None:
            self.processor = LogitsProcessor(self.settings, logits.shape[-1])
        out: IntArray = self.processor(context, logits).argmax(axis=-1).astype(np.int64)
        return out


def _propose(draft: Cache, seqs: IntArray, count: int, choose: _Chooser, cancel: CancelToken | None) -> IntArray:
    """Up to `count` draft tokens per row, one draft run each."""
    proposals = np.zeros((seqs.shape[0], 0), dtype=np.int64)
    context = seqs
    for _ in range(count):
        if cancel is not None:
            cancel.raise_if_cancelled()
        guess = choose(draft.feed(context[:, draft.length:])[:, -1], context)
        proposals = np.concatenate([proposals, guess[:, None]], axis=1)
        context = np.concatenate([context, guess[:, None]], axis=1)
    return proposals


def speculative_greedy(target: Cache, draft: Cache, batch: int, s: GenerationSettings,
                       cancel: CancelToken | None = None, stats: DraftStats | None = None) -> list[list[int]]:
    """Greedy decoding of `target`, token for token the same as `greedy` on it, with fewer target runs.

    Each round the draft proposes up to `stats.tokens` tokens; `target` then runs the last accepted
    token and all proposals at once, and every position's argmax is a token greedy would have chosen
    as long as the proposals before it were right. So a round keeps target's tokens up to and including
    the first one that differs from the proposal (at least one token per round), and both caches are
    cut back to the kept length. Rows share the accepted length: a round stops at the first position
    where any unfinished row's proposal was wrong. Finished rows get the pad token; the processors
    (no_repeat_ngram_size bans...) apply to every position in order, as in `greedy`.
    """
    max_length = s.total_length
    seqs = np.full((batch, 1), s.decoder_start_token_id, dtype=np.int64)
    unfinished = np.ones(batch, dtype=bool)
    eos = np.asarray(s.eos_token_ids, dtype=np.int64)
    stats = stats if stats is not None else DraftStats()
    choose = _Chooser(s)
    while seqs.shape[1] < max_length and unfinished.any():
        count = min(stats.tokens, max_length - seqs.shape[1] - 1)  # a full acceptance must still fit
        proposals = _propose(draft, seqs, count, choose, cancel)
        if cancel is not None:
            cancel.raise_if_cancelled()
        logits = target.feed(np.concatenate([seqs[:, target.length:], proposals], axis=1))[:, -(count + 1):]
        stats.verifies += 1
        stats.drafted += count
        right = 0
        for i in range(count + 1):
            nxt = np.where(unfinished, choose(logits[:, i], seqs), s.pad)
            seqs = np.concatenate([seqs, nxt[:, None]], axis=1)
            unfinished &= ~np.isin(nxt, eos)
            if i == count or seqs.shape[1] >= max_length or not unfinished.any():
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
    out: list[list[int]] = seqs.tolist()
    return out
