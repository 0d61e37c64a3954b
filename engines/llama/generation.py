"""One reply on the model's owner thread: prefill, the per-token loop, and the text it hands over.

Sampling runs in llama.cpp's native sampler chain (greedy replies take an argmax over the logits
in place); the per-token Python work is a cancel check, an end-of-generation check and one piece
of detokenization. Text reaches the consumer in batches (EMIT_INTERVAL_S): waking the consumer's
thread for every token steals a core from llama.cpp's own threads.
"""

from __future__ import annotations

import codecs
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engines.jobs import CancelToken
from engines.llama.decoder import NativeDecoder, Sampler
from engines.llama.events import Finished, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats
from engines.llama.stops import StopFilter

EMIT_INTERVAL_S = 0.02  # text reaches the consumer at most about 50 times a second

Emit = Callable[[Any], None]


class ReplyText:
    """Bytes to text: UTF-8 split across tokens, the reply's leading blanks, stop strings, batches."""

    def __init__(self, stops: tuple[str, ...], strip_leading: bool, emit: Emit) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = StopFilter(stops)
        self._leading = strip_leading
        self._emit = emit
        self._pieces: list[str] = []
        self._shown = 0
        self._flushed_at = -EMIT_INTERVAL_S  # the first piece of text goes out at once

    def add(self, data: bytes, now: float) -> bool:
        """Take one token's bytes; True once a stop string has appeared."""
        text = self._decoder.decode(data)
        if self._leading and text:
            text = text.lstrip()
            self._leading = not text
        if text:
            visible = self._stops.feed(text)
            if visible:
                self._pieces.append(visible)
                if now - self._flushed_at >= EMIT_INTERVAL_S:
                    self._emit(TextDelta("".join(self._pieces[self._shown:])))
                    self._shown = len(self._pieces)
                    self._flushed_at = now
        return self._stops.stopped

    def finish(self) -> str:
        """Hand over what is held back and return the whole reply."""
        stops = self._stops
        tail = "" if stops.stopped else stops.feed(self._decoder.decode(b"", final=True)) + stops.flush()
        if tail and not (self._leading and not tail.strip()):
            self._pieces.append(tail)
        if self._shown < len(self._pieces):
            self._emit(TextDelta("".join(self._pieces[self._shown:])))
        return "".join(self._pieces)


@dataclass
class Counts:
    evaluated: int = 0
    generated: int = 0
    sampled: int = 0
    first_at: float = 0.0
    last_at: float = 0.0


def _decode(native: NativeDecoder, tokens: list[int], sampling: SamplingOptions, cancel: CancelToken,
            text: ReplyText, counts: Counts, room: int) -> str:
    """Prefill and sample until a reason to stop; returns the reason."""
    seed = sampling.seed if sampling.seed is not None else random.randrange(2**32)
    sampler = Sampler(native, sampling, seed)
    limit = sampling.max_tokens
    try:
        counts.evaluated = native.prefill(tokens)
        if sampling.repeat_penalty != 1.0:
            sampler.accept_history(tokens)
        while True:
            token = native.sample(sampler)
            counts.last_at = now = time.perf_counter()
            counts.sampled += 1
            if counts.sampled == 1:
                counts.first_at = now
            if cancel.cancelled:
                return "cancelled"
            if not sampling.ignore_eos and native.is_eog(token):
                return "eos"
            counts.generated += 1
            if text.add(native.piece(token), now):
                return "stop"
            if limit is not None and counts.generated >= limit:
                return "length"
            if counts.generated >= room - 1:
                return "context"
            native.feed(token)
    finally:
        sampler.close()


def generate(native: NativeDecoder, tokens: Sequence[int], sampling: SamplingOptions, stops: tuple[str, ...],
             cancel: CancelToken, emit: Emit, *, strip_leading: bool, context_size: int, load_ms: float) -> None:
    """Run one reply, emitting TextDelta batches and then one Finished."""
    started = time.perf_counter()
    prompt = list(tokens)
    text = ReplyText(stops, strip_leading, emit)
    counts = Counts()
    if sampling.max_tokens == 0:
        reason = "length"
    elif cancel.cancelled:
        reason = "cancelled"
    else:
        reason = _decode(native, prompt, sampling, cancel, text, counts, context_size - len(prompt))
    emit(finish(text, counts, started, len(prompt), reason, load_ms))


def finish(text: ReplyText, counts: Counts, started: float, prompt_tokens: int, reason: str,
           load_ms: float) -> Finished:
    """The reply's last event: what is held back goes out, and the whole text with its statistics."""
    whole = text.finish()
    ended = time.perf_counter()
    ttft = (counts.first_at if counts.sampled else ended) - started
    decode_span = counts.last_at - counts.first_at
    stats = GenerationStats(
        prompt_tokens=prompt_tokens,
        evaluated_prompt_tokens=counts.evaluated,
        generated_tokens=counts.generated,
        ttft_ms=ttft * 1000.0,
        tokens_per_s=(counts.sampled - 1) / decode_span if counts.sampled > 1 and decode_span > 0 else 0.0,
        prompt_tokens_per_s=counts.evaluated / ttft if ttft > 0 else 0.0,
        load_ms=load_ms,
        total_ms=(ended - started) * 1000.0,
        stop_reason=reason,
    )
    return Finished(whole, stats)
