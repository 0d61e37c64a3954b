"""Greedy and beam search over a step function, reproducing transformers' `generate()` token for token.

The model side (`StepModel`) runs the encoder once and then one decoder step per call, keeping its
key/value cache to itself; this module only sees logits and tells the model how to reorder beams.
The logits processors run in the order transformers applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from engines.jobs import CancelToken
from engines.translate.generation import GenerationSettings

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
NEG_INF = np.float32(-np.inf)


class StepModel(Protocol):
    def start(self, input_ids: IntArray, attention_mask: IntArray, expand: int) -> None:
        """Encode a padded batch; each row is repeated `expand` times (beams) for decoding."""

    def step(self, tokens: IntArray) -> FloatArray:
        """Feed one token per row; return the next-token logits, shape (rows, vocab)."""

    def reorder(self, rows: IntArray) -> None:
        """Keep the cache rows `rows` (beam search), in that order."""

    def finish(self) -> None:
        """Free the cache."""


StepCallback = Callable[[int], None]


def _log_softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


class LogitsProcessor:
    """transformers' processors for the settings a translation model uses, in transformers' order."""

    def __init__(self, settings: GenerationSettings, vocab_size: int) -> None:
        self.s = settings
        self.max_length = settings.total_length
        self.static_ban = np.zeros(vocab_size, dtype=bool)
        self.sequence_bans: list[tuple[int, ...]] = []
        for seq in settings.bad_words_ids:
            if len(seq) == 1:
                if seq[0] < vocab_size:
                    self.static_ban[seq[0]] = True
            else:
                self.sequence_bans.append(seq)
        self.has_static_ban = bool(self.static_ban.any())
        self.eos = np.array(settings.eos_token_ids, dtype=np.int64)

    def __call__(self, sequences: IntArray, scores: FloatArray) -> FloatArray:
        """`sequences`: (rows, cur_len) including the decoder start token. Modifies and returns `scores`."""
        s = self.s
        cur_len = sequences.shape[1]
        if s.repetition_penalty != 1.0:
            picked = np.take_along_axis(scores, sequences, axis=1)
            picked = np.where(picked < 0, picked * s.repetition_penalty, picked / s.repetition_penalty)
            np.put_along_axis(scores, sequences, picked.astype(np.float32), axis=1)
        n = s.no_repeat_ngram_size
        if n > 0 and cur_len + 1 >= n:
            for row in range(sequences.shape[0]):
                tokens = sequences[row].tolist()
                prefix = tuple(tokens[cur_len + 1 - n:cur_len]) if n > 1 else ()
                banned = [
                    tokens[i + n - 1] for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n - 1]) == prefix
                ]
                if banned:
                    scores[row, banned] = NEG_INF
        if self.has_static_ban:
            scores[:, self.static_ban] = NEG_INF
        for seq in self.sequence_bans:
            k = len(seq) - 1
            if cur_len >= k:
                hits = np.all(sequences[:, cur_len - k:] == np.array(seq[:-1]), axis=1)
                scores[hits, seq[-1]] = NEG_INF
        if s.min_length > 0 and cur_len < s.min_length:
            scores[:, self.eos] = NEG_INF
        if s.forced_bos_token_id is not None and cur_len == 1:
            scores[:] = NEG_INF
            scores[:, s.forced_bos_token_id] = 0.0
        if s.forced_eos_token_id and cur_len == self.max_length - 1:
            scores[:] = NEG_INF
            scores[:, list(s.forced_eos_token_id)] = 0.0
        return scores


def greedy_search(
    model: StepModel,
    input_ids: IntArray,
    attention_mask: IntArray,
    settings: GenerationSettings,
    cancel: CancelToken | None = None,
    on_step: StepCallback | None = None,
) -> list[list[int]]:
    """Returns, per input row, the generated ids (without the start token, ending with EOS when reached)."""
    batch = input_ids.shape[0]
    model.start(input_ids, attention_mask, 1)
    try:
        max_length = settings.total_length
        sequences = np.full((batch, max_length), settings.decoder_start_token_id, dtype=np.int64)
        cur_len = 1
        unfinished = np.ones(batch, dtype=bool)
        pad = settings.pad_token_id if settings.pad_token_id is not None else settings.eos_token_ids[0]
        eos = np.array(settings.eos_token_ids, dtype=np.int64)
        processor: LogitsProcessor | None = None
        while cur_len < max_length:
            if cancel is not None:
                cancel.raise_if_cancelled()
            logits = model.step(sequences[:, cur_len - 1])
            if processor is None:
                processor = LogitsProcessor(settings, logits.shape[-1])
            scores = processor(sequences[:, :cur_len], logits)
            tokens = scores.argmax(axis=-1).astype(np.int64)
            tokens = np.where(unfinished, tokens, pad)
            sequences[:, cur_len] = tokens
            cur_len += 1
            unfinished &= ~np.isin(tokens, eos)
            if on_step is not None:
                on_step(cur_len - 1)
            if not unfinished.any():
                break
        return [_trim(row[1:cur_len], settings.eos_token_ids) for row in sequences]
    finally:
        model.finish()


def _trim(row: IntArray, eos: tuple[int, ...]) -> list[int]:
    out: list[int] = []
    for token in row.tolist():
        out.append(token)
        if token in eos:
            break
    return out


def _topk(values: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """Indices of the k largest values per row, largest first (ties: lower index first)."""
    if values.shape[1] > 4 * k:
        part = np.argpartition(-values, k - 1, axis=1)[:, :k]
        sub = np.take_along_axis(values, part, axis=1)
        order = np.lexsort((part, -sub), axis=1)  # by value, then by index, as a full stable sort would
        return np.take_along_axis(part, order, axis=1).astype(np.int64)
    return np.argsort(-values, axis=1, kind="stable")[:, :k].astype(np.int64)


def beam_search(
    model: StepModel,
    input_ids: IntArray,
    attention_mask: IntArray,
    settings: GenerationSettings,
    cancel: CancelToken | None = None,
    on_step: StepCallback | None = None,
) -> list[list[int]]:
    """transformers' vectorised beam search (4.5x), returning the best hypothesis per input row."""
    batch = input_ids.shape[0]
    num_beams = settings.num_beams
    max_length = settings.total_length
    length_penalty = settings.length_penalty
    early_stopping = settings.early_stopping
    eos = np.array(settings.eos_token_ids, dtype=np.int64)
    beams_to_keep = max(2, 1 + len(eos)) * num_beams
    top_num_beam_mask = np.zeros(beams_to_keep, dtype=bool)
    top_num_beam_mask[:num_beams] = True
    pad = settings.pad_token_id if settings.pad_token_id else int(eos[0])
    model.start(input_ids, attention_mask, num_beams)
    try:
        running = np.full((batch, num_beams, max_length), pad, dtype=np.int64)
        running[:, :, 0] = settings.decoder_start_token_id
        sequences = running.copy()
        running_scores = np.zeros((batch, num_beams), dtype=np.float32)
        running_scores[:, 1:] = -1e9
        beam_scores = np.full((batch, num_beams), -1e9, dtype=np.float32)
        finished = np.zeros((batch, num_beams), dtype=bool)
        heuristic_open = np.ones((batch, 1), dtype=bool)
        lengths = np.zeros((batch, num_beams), dtype=np.int64)  # generated length of each kept finished beam
        rows_b = np.arange(batch)[:, None]
        cur_len = 1
        processor: LogitsProcessor | None = None
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            flat = running[:, :, :cur_len].reshape(batch * num_beams, cur_len)
            logits = model.step(flat[:, -1])
            vocab = logits.shape[-1]
            if processor is None:
                processor = LogitsProcessor(settings, vocab)
            log_probs = processor(flat, _log_softmax(logits))
            log_probs = log_probs.reshape(batch, num_beams, vocab) + running_scores[:, :, None]
            log_probs = log_probs.reshape(batch, num_beams * vocab)
            # c. top-K continuations
            topk_idx = _topk(log_probs, beams_to_keep)
            topk_log_probs = np.take_along_axis(log_probs, topk_idx, axis=1)
            topk_beam = topk_idx // vocab
            topk_ids = topk_idx % vocab
            topk_running = running[rows_b, topk_beam]  # (batch, K, max_length)
            topk_running[:, :, cur_len] = topk_ids
            # d. which hit a stopping criterion (EOS or max length)
            hits = np.isin(topk_ids, eos) | (cur_len + 1 >= max_length)
            # e. next running beams
            topk_running_log_probs = topk_log_probs + hits.astype(np.float32) * np.float32(-1.0e9)
            next_idx = _topk(topk_running_log_probs, num_beams)
            running = topk_running[rows_b, next_idx]
            running_scores = np.take_along_axis(topk_running_log_probs, next_idx, axis=1)
            source_beam = np.take_along_axis(topk_beam, next_idx, axis=1)
            # f. update finished beams
            just_finished = hits & top_num_beam_mask[None, :]
            scores = topk_log_probs / np.float32((cur_len + 1 - 1) ** length_penalty)
            full = np.all(finished, axis=-1, keepdims=True) & (early_stopping is True)
            scores = scores + full.astype(np.float32) * np.float32(-1.0e9)
            scores = scores + (~heuristic_open).astype(np.float32) * np.float32(-1.0e9)
            scores = scores + (~just_finished).astype(np.float32) * np.float32(-1.0e9)
            merged_seq = np.concatenate((sequences, topk_running), axis=1)
            merged_scores = np.concatenate((beam_scores, scores.astype(np.float32)), axis=1)
            merged_finished = np.concatenate((finished, just_finished), axis=1)
            merged_lengths = np.concatenate((lengths, np.full(topk_ids.shape, cur_len, dtype=np.int64)), axis=1)
            keep = _topk(merged_scores, num_beams)
            sequences = merged_seq[rows_b, keep]
            beam_scores = np.take_along_axis(merged_scores, keep, axis=1)
            finished = np.take_along_axis(merged_finished, keep, axis=1)
            lengths = np.take_along_axis(merged_lengths, keep, axis=1)
            # g. reorder the cache, then check the stopping heuristics
            flat_rows = (source_beam + np.arange(batch)[:, None] * num_beams).reshape(-1)
            if not np.array_equal(flat_rows, np.arange(batch * num_beams)):
                model.reorder(flat_rows)
            cur_len += 1
            if on_step is not None:
                on_step(cur_len - 1)
            best_len = max_length - 1 if early_stopping == "never" and length_penalty > 0.0 else cur_len - 1
            best_running = running_scores[:, :1] / np.float32(best_len**length_penalty)
            worst_finished = np.where(finished, beam_scores.min(axis=1, keepdims=True), np.float32(-1.0e9))
            heuristic_open = heuristic_open & np.any(best_running > worst_finished, axis=-1, keepdims=True)
            improvement_possible = bool(heuristic_open.any())
            open_beam = not (bool(finished.all()) and early_stopping is True)
            valid = not bool(hits.all())
            if not (improvement_possible and open_beam and valid):
                break
        best = sequences[:, 0, :]
        return [_trim(best[b, 1:max(1, int(lengths[b, 0])) + 1], settings.eos_token_ids) for b in range(batch)]
    finally:
        model.finish()
