"""transformers' logits processors for the settings encoder-decoder models use, in transformers' order,
and the small array helpers the searches share."""

from __future__ import annotations

import numpy as np

from engines.seq2seq.settings import GenerationSettings
from engines.seq2seq.types import FloatArray, IntArray

NEG_INF = np.float32(-np.inf)


def log_softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    out: FloatArray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out


def topk(values: FloatArray, k: int) -> IntArray:
    """Indices of the k largest values per row, largest first (ties: lower index first)."""
    if values.shape[1] > 4 * k:
        part = np.argpartition(-values, k - 1, axis=1)[:, :k]
        sub = np.take_along_axis(values, part, axis=1)
        order = np.lexsort((part, -sub), axis=1)  # by value, then by index, as a full stable sort would
        return np.take_along_axis(part, order, axis=1).astype(np.int64)
    return np.argsort(-values, axis=1, kind="stable")[:, :k].astype(np.int64)


def banned_ngram_tokens(tokens: list[int], n: int) -> list[int]:
    """Tokens that would repeat an n-gram already in `tokens` (NoRepeatNGramLogitsProcessor)."""
    length = len(tokens)
    if length + 1 < n:
        return []
    prefix = tuple(tokens[length + 1 - n:]) if n > 1 else ()
    return [tokens[i + n - 1] for i in range(length - n + 1) if tuple(tokens[i:i + n - 1]) == prefix]


class LogitsProcessor:
    """Applies the settings' processors to next-token scores; built once per generation."""

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
        if s.no_repeat_ngram_size > 0:
            for row, tokens in enumerate(sequences.tolist()):
                banned = banned_ngram_tokens(tokens, s.no_repeat_ngram_size)
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
