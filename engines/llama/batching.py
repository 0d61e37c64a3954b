"""Continuous batching: several replies share one loaded model, each in a sequence (slot) of its own.

One scheduler thread owns a llama context with `parallel` sequences (n_seq_max). Each step it
builds one llama_batch that holds the next token of every reply being written and, within the
batch size, the prompt tokens of replies that have just arrived (each token tagged with its
slot's seq_id), decodes it once, and samples every slot from its own logits row with its own
sampler chain. A reply joins the next step after it arrives and leaves the step after it ends, so
nothing waits behind another reply: this is not a queue. A cancelled or finished reply frees its
slot at once; the slot keeps its keys and values (slot_cache.py), and the next reply that takes it
removes only the part its prompt does not share (llama_memory_seq_rm from the first differing
position) and decodes only the rest, as llama-server's `cache_prompt` does.
"""

from __future__ import annotations

import ctypes
import queue
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from engines.errors import EngineClosedError, GenerationError, UsageError
from engines.jobs import CancelToken
from engines.llama.batch_arrays import BatchArrays, LogitsRows
from engines.llama.decoder import Sampler
from engines.llama.events import ChatEvent
from engines.llama.generation import Counts, ReplyText, finish
from engines.llama.sampling import SamplingOptions
from engines.llama.slot_cache import SlotCache

IDLE_WAIT_S = 0.5  # how long an idle scheduler sleeps before it looks for a close


@dataclass
class Request:
    tokens: list[int]
    sampling: SamplingOptions
    stops: tuple[str, ...]
    strip_leading: bool
    grammar: str | None
    cancel: CancelToken
    keep_cache: bool = True  # False: the slot's cache is emptied when the reply ends (nobody will reuse it)
    events: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)


@dataclass
class Slot:
    seq: int
    request: Request
    sampler: Sampler
    text: ReplyText
    started: float
    pending: list[int]  # prompt tokens not decoded yet
    cached: list[int]  # the tokens in this sequence's KV cache, in order (its length is the next position)
    counts: Counts = field(default_factory=Counts)
    last: int = -1  # the token sampled last, decoded in the next step
    row: int = -1  # its logits row in the current batch, or -1


_END = object()


class BatchScheduler:
    """Runs requests on one native context with `parallel` sequences. Thread-safe `stream`."""

    def __init__(self, lib: Any, ctx: Any, vocab: Any, n_vocab: int, *, parallel: int, slot_context: int,
                 batch_size: int, load_ms: float) -> None:
        self.lib, self._ctx, self._vocab, self.n_vocab = lib, ctx, vocab, n_vocab
        self.parallel, self.slot_context, self.load_ms = parallel, slot_context, load_ms
        self._memory = lib.llama_get_memory(ctx)
        self._batch = BatchArrays(lib, batch_size)
        self._rows = LogitsRows(lib, ctx, n_vocab)
        # Bound once: attribute lookups on the ctypes module cost more than the calls themselves.
        self._is_eog = lib.llama_vocab_is_eog
        self._to_piece = lib.llama_token_to_piece
        self._sample_native = lib.llama_sampler_sample
        self._incoming: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._slots: dict[int, Slot] = {}
        self._cache = SlotCache(parallel)
        self._waiting: list[Request] = []
        self._closed = threading.Event()
        self._admission = threading.Lock()  # a request is queued only while the scheduler still runs
        self._piece = ctypes.create_string_buffer(256)
        self._thread = threading.Thread(target=self._run, name="llama-batch", daemon=True)
        self._thread.start()

    @property
    def busy_slots(self) -> int:
        return len(self._slots)

    def held_tokens(self) -> list[tuple[int, int]]:
        """For each slot: the tokens its bookkeeping says it keeps, and the positions its sequence holds
        in the KV cache (they must agree). Only meaningful while no reply runs (tests)."""
        return [(len(self._cache.kept(seq)), self.lib.llama_memory_seq_pos_max(self._memory, seq) + 1)
                for seq in range(self.parallel)]

    def stream(self, tokens: Sequence[int], sampling: SamplingOptions, stops: Sequence[str], cancel: CancelToken,
               *, strip_leading: bool, grammar: str | None = None, keep_cache: bool = True) -> Iterator[ChatEvent]:
        """Queue a reply and return its events. A request this model cannot take is refused here, at the
        call, before it is queued (the server answers 400 then, before any byte of a stream)."""
        if len(tokens) >= self.slot_context:
            raise GenerationError(f"the prompt is {len(tokens)} tokens long but a slot's context holds "
                                  f"{self.slot_context}; shorten it or serve with a larger context")
        if tokens and (min(tokens) < 0 or max(tokens) >= self.n_vocab):
            # a client's token array: llama.cpp would refuse the whole shared batch (every slot's reply)
            wrong = next(t for t in tokens if not 0 <= t < self.n_vocab)
            raise UsageError(f"token id {wrong} is not in this model's vocabulary (0 to {self.n_vocab - 1})")
        if grammar:
            self.lib.llama_sampler_free(self._grammar_sampler(grammar))  # parsed again when the reply starts
        request = Request(list(tokens), sampling, tuple(stops), strip_leading, grammar, cancel, keep_cache)
        with self._admission:
            if self._closed.is_set():
                raise EngineClosedError("the model has been unloaded")
            self._incoming.put(request)
        return self._events(request)

    @staticmethod
    def _events(request: Request) -> Iterator[ChatEvent]:
        while True:
            event = request.events.get()
            if event is _END:
                return
            if isinstance(event, BaseException):
                raise event
            yield event

    def _grammar_sampler(self, grammar: str) -> Any:
        sampler = self.lib.llama_sampler_init_grammar(self._vocab, grammar.encode("utf-8"), b"root")
        if not sampler:  # the client's schema, as llama.cpp reads it (e.g. a repetition over its limit)
            raise UsageError("llama.cpp could not parse the grammar made from the JSON schema")
        return sampler

    def close(self) -> None:
        with self._admission:
            self._closed.set()
            self._incoming.put(None)
        self._thread.join(30.0)
        self._batch.close()

    # -- the scheduler thread -------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                self._take(block=not self._slots and not self._waiting)
                self._admit()
                self._drop_cancelled()
                if self._slots:
                    self._step()
            except Exception as exc:  # never let one request's surprise stop every other reply for good
                self._fail_all(GenerationError(f"the reply failed ({type(exc).__name__}: {exc})"))
        for slot in list(self._slots.values()):
            self._end(slot, "cancelled")
        self._take(block=False)  # close() queued nothing after its mark: every request is in _waiting now
        for request in self._waiting:
            request.events.put(EngineClosedError("the model has been unloaded"))
            request.events.put(_END)

    def _take(self, *, block: bool) -> None:
        try:
            item = self._incoming.get(timeout=IDLE_WAIT_S) if block else self._incoming.get_nowait()
            while True:
                if item is not None:
                    self._waiting.append(item)
                item = self._incoming.get_nowait()
        except queue.Empty:
            return

    def _admit(self) -> None:
        while self._waiting and self._cache.free:
            request = self._waiting.pop(0)
            if request.cancel.cancelled:
                self._reply_cancelled(request)
                continue
            try:
                sampler = self._sampler(request)
            except (GenerationError, UsageError) as exc:
                request.events.put(exc)
                request.events.put(_END)
                continue
            except Exception as exc:  # answered here: it is in neither list any more
                request.events.put(GenerationError(f"the reply could not start ({type(exc).__name__}: {exc})"))
                request.events.put(_END)
                continue
            seq, reused = self._take_slot(request.tokens)
            self._slots[seq] = Slot(seq, request, sampler, ReplyText(request.stops, request.strip_leading,
                                    request.events.put), time.perf_counter(), request.tokens[reused:],
                                    request.tokens[:reused])
            if request.sampling.max_tokens == 0:
                self._end(self._slots[seq], "length")

    def _take_slot(self, tokens: list[int]) -> tuple[int, int]:
        """A free sequence for this prompt, its cache cut back to the prefix the prompt shares with it."""
        seq, reused, kept = self._cache.take(tokens)
        lib, memory = self.lib, self._memory
        cut = reused >= kept or lib.llama_memory_seq_rm(memory, seq, reused, -1)
        # A sliding-window cache that is not full-size drops old positions: its start is then missing.
        if not cut or (reused > 0 and lib.llama_memory_seq_pos_min(memory, seq) > 0):
            lib.llama_memory_seq_rm(memory, seq, -1, -1)
            reused = 0
        return seq, reused

    def _reply_cancelled(self, request: Request) -> None:
        text = ReplyText((), False, request.events.put)
        request.events.put(finish(text, Counts(), time.perf_counter(), len(request.tokens), "cancelled",
                                  self.load_ms))
        request.events.put(_END)

    def _sampler(self, request: Request) -> Sampler:
        sampling = request.sampling
        seed = sampling.seed if sampling.seed is not None else random.randrange(2**32)
        grammar = self._grammar_sampler(request.grammar) if request.grammar else None
        sampler = Sampler(self, sampling, seed, first=grammar)
        if sampling.repeat_penalty != 1.0:
            sampler.accept_history(request.tokens)
        return sampler

    def _drop_cancelled(self) -> None:
        """Cancelled replies end now, waiting ones too: the client's Stop grace (3 s) must never run out
        while every slot is busy, or the whole host would be ended for one client that left."""
        for request in [r for r in self._waiting if r.cancel.cancelled]:
            self._waiting.remove(request)
            self._reply_cancelled(request)
        for slot in list(self._slots.values()):
            if slot.request.cancel.cancelled:
                self._end(slot, "cancelled")

    def _step(self) -> None:
        """One batch: the next token of every reply being written and, within the batch size, prompt
        chunks. Tokens go in by increasing sequence id: with a KV stream per sequence llama.cpp cuts a
        batch into micro-batches of consecutive, increasing ids only (split_equal), so slots in arrival
        order ([2, 3, 0, 1] after a lone reply) made two or more passes over the weights per step."""
        batch = self._batch
        slots = [self._slots[seq] for seq in sorted(self._slots)]
        budget = batch.size - sum(1 for slot in slots if not slot.pending)  # replies being written come first
        chunks: dict[int, list[int]] = {}
        for slot in slots:
            if slot.pending and budget > 0:
                chunks[slot.seq], slot.pending = slot.pending[:budget], slot.pending[budget:]
                budget -= len(chunks[slot.seq])
        for slot in slots:
            slot.row = -1
            chunk = chunks.get(slot.seq)
            if chunk is not None:
                row = batch.add(chunk, len(slot.cached), slot.seq, logits=not slot.pending)
                slot.row = -1 if slot.pending else row
                slot.cached.extend(chunk)
                slot.counts.evaluated += len(chunk)
            elif not slot.pending:
                slot.row = batch.add((slot.last,), len(slot.cached), slot.seq, logits=True)
                slot.cached.append(slot.last)
        status = batch.decode(self._ctx)
        if status != 0:
            self._fail_all(GenerationError("the context is full (no room left in the KV cache)" if status == 1
                                           else f"llama.cpp failed to decode (status {status})"))
            return
        for slot in list(self._slots.values()):
            if slot.row >= 0:
                self._advance(slot)

    def _advance(self, slot: Slot) -> None:
        """Sample this slot's next token from its logits row and decide whether its reply goes on."""
        token = self._sample(slot)
        counts, sampling = slot.counts, slot.request.sampling
        counts.last_at = now = time.perf_counter()
        counts.sampled += 1
        if counts.sampled == 1:
            counts.first_at = now
        if not sampling.ignore_eos and self._is_eog(self._vocab, token):
            self._end(slot, "eos")
            return
        counts.generated += 1
        if slot.text.add(self._token_bytes(token), now):
            self._end(slot, "stop")
        elif sampling.max_tokens is not None and counts.generated >= sampling.max_tokens:
            self._end(slot, "length")
        elif len(slot.cached) >= self.slot_context - 1:
            self._end(slot, "context")
        else:
            slot.last = token

    def _sample(self, slot: Slot) -> int:
        """Greedy: the argmax of the logits row in place (llama_sampler_sample would first copy the whole
        vocabulary into a candidates array); otherwise the slot's native chain, straight on its row."""
        if slot.sampler.greedy:
            return self._rows.argmax(slot.row)
        return int(self._sample_native(slot.sampler.chain, self._ctx, slot.row))

    def _token_bytes(self, token: int) -> bytes:
        size = self._to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        if size < 0:
            self._piece = ctypes.create_string_buffer(-size)
            size = self._to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        return self._piece.raw[:size]

    def _end(self, slot: Slot, reason: str) -> None:
        """Free the slot at once (keeping what its cache holds for the next reply) and send the reply's end."""
        self._slots.pop(slot.seq, None)
        slot.sampler.close()
        request = slot.request
        if request.keep_cache:
            self._cache.release(slot.seq, slot.cached)
        else:
            self.lib.llama_memory_seq_rm(self._memory, slot.seq, -1, -1)
            self._cache.release(slot.seq, [])
        request.events.put(finish(slot.text, slot.counts, slot.started, len(request.tokens), reason, self.load_ms))
        request.events.put(_END)

    def _fail_all(self, error: GenerationError) -> None:
        """End every running reply with `error`; their slots are emptied (what they hold is not known now)."""
        self._batch.count = 0  # a batch left half-filled is not decoded
        for slot in list(self._slots.values()):
            self._slots.pop(slot.seq, None)
            self.lib.llama_memory_seq_rm(self._memory, slot.seq, -1, -1)
            slot.sampler.close()
            self._cache.release(slot.seq, [])
            slot.request.events.put(error)
            slot.request.events.put(_END)
