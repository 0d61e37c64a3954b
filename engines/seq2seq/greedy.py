"""Greedy search over a step function, token for token as transformers' `_sample` without sampling."""

from __future__ import annotations

import numpy as np

from engines.jobs import CancelToken
from engines.seq2seq.processors import LogitsProcessor
from engines.seq2seq.settings import GenerationSettings
from engines.seq2seq.types import StepCallback, StepFn


def greedy(step: StepFn, batch: int, settings: GenerationSettings, cancel: CancelToken | None = None,
           on_step: StepCallback | None = None) -> list[list[int]]:
    """What `generate()` returns: per row the start token, the generated ids, and the pad token after
    a row's end-of-sequence token up to the longest row. `step` takes each row's last token and
    returns next-token logits (rows, vocab); `on_step` gets the number of tokens generated so far."""
    max_length = settings.total_length
    sequences = np.full((batch, max_length), settings.decoder_start_token_id, dtype=np.int64)
    cur_len = 1
    unfinished = np.ones(batch, dtype=bool)
    eos = np.array(settings.eos_token_ids, dtype=np.int64)
    processor: LogitsProcessor | None = None
    while cur_len < max_length:
        if cancel is not None:
            cancel.raise_if_cancelled()
        logits = step(sequences[:, cur_len - 1])
        if processor is None:
            processor = LogitsProcessor(settings, logits.shape[-1])
        tokens = processor(sequences[:, :cur_len], logits).argmax(axis=-1).astype(np.int64)
        tokens = np.where(unfinished, tokens, settings.pad)
        sequences[:, cur_len] = tokens
        cur_len += 1
        unfinished &= ~np.isin(tokens, eos)
        if on_step is not None:
            on_step(cur_len - 1)
        if not unfinished.any():
            break
    return sequences[:, :cur_len].tolist()  # type: ignore[no-any-return]
