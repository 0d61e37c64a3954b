"""The key/value cache of one generation, kept in OrtValues handed from each run's outputs to the next
run's inputs through one IO binding per session (the encoder-side inputs are bound once per generation;
a fresh binding per token cost ~75 binds a token for a vit-gpt2 step). Sessions are thread-safe and
every generation has its own `DecodeState`, so generations may run on one model at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engines.onnx.session import ort_module
from engines.seq2seq.graphs import DecoderGraphs
from engines.seq2seq.types import FloatArray, IntArray


class DecodeState:
    """`hidden`: the encoder output (rows, positions, size); `attention_mask`: the encoder's padding
    mask, when the decoder takes one; both repeated `beams` times per row here. `session`: a step
    session to run instead of the graphs' own (a draft); `share`: a state whose encoder output and
    cross-attention keys/values this one reuses (a draft's cache beside the target's)."""

    def __init__(self, graphs: DecoderGraphs, hidden: FloatArray, attention_mask: IntArray | None = None,
                 beams: int = 1, *, session: Any = None, share: DecodeState | None = None) -> None:
        self.g = graphs
        self.session = session
        self.value = ort_module().OrtValue.ortvalue_from_numpy
        self.past: list[Any] = []
        self.cross: list[Any] = []
        self.mask: Any = None
        self.rows: int
        self.hidden: FloatArray
        self.enc: Any
        if share is not None:
            self.rows, self.hidden, self.enc, self.mask, self.cross = (share.rows, share.hidden, share.enc,
                                                                       share.mask, share.cross)
        else:
            if beams > 1:
                hidden = np.repeat(hidden, beams, axis=0)
                attention_mask = None if attention_mask is None else np.repeat(attention_mask, beams, axis=0)
            self.rows = hidden.shape[0]
            self.hidden = np.ascontiguousarray(hidden)
            self.enc = self.value(self.hidden)
            if attention_mask is not None:
                self.mask = self.value(np.ascontiguousarray(attention_mask, dtype=np.int64))
            if graphs.cross is not None:
                self.cross = self._run_cross()
        self.flags = (self.value(np.array([False])), self.value(np.array([True])))
        self.binding: Any = None
        self.bound_to: Any = None
        self.length = 0  # cached positions

    def _run_cross(self) -> list[Any]:
        """Cross-attention keys/values: once per generation, not per token."""
        binding = self.g.cross.io_binding()
        binding.bind_ortvalue_input("encoder_hidden_states", self.enc)
        for name in self.g.cross_past:
            binding.bind_output(name, "cpu")
        self.g.cross.run_with_iobinding(binding)
        return list(binding.get_outputs())

    def _binding(self, session: Any) -> Any:
        """One IO binding per session: what stays the same for the whole generation is bound once."""
        if self.bound_to is not session:
            inputs = self.g.inputs_of(session)
            self.binding = session.io_binding()
            if "encoder_hidden_states" in inputs:
                self.binding.bind_ortvalue_input("encoder_hidden_states", self.enc)
            if "encoder_attention_mask" in inputs and self.mask is not None:
                self.binding.bind_ortvalue_input("encoder_attention_mask", self.mask)
            for name, ov in zip(self.g.cross_past, self.cross, strict=False):
                self.binding.bind_ortvalue_input(name, ov)
            self.bound_to = session
        return self.binding

    def feed(self, tokens: IntArray) -> FloatArray:
        """Logits [rows, T, vocab] of tokens [rows, T] run after the cached positions (T > 1 needs a
        step graph that takes several tokens per run, as captioning's split step does)."""
        g = self.g
        first = not self.past
        session = self.session or (g.first if first else g.rest)
        binding = self._binding(session)
        inputs = g.inputs_of(session)
        ids = np.ascontiguousarray(tokens, dtype=np.int64)
        binding.bind_cpu_input("input_ids", ids)
        if "use_cache_branch" in inputs:
            binding.bind_ortvalue_input("use_cache_branch", self.flags[not first])
        if first:
            self._bind_empty_past(binding, inputs)
        else:
            for name, ov in zip(g.self_past, self.past, strict=True):
                binding.bind_ortvalue_input(name, ov)
        outputs = ["logits", *g.self_present, *(g.cross_present if first else ())]
        binding.clear_binding_outputs()  # fresh output buffers: the previous run's are the cache now
        for name in outputs:
            binding.bind_output(name, "cpu")
        session.run_with_iobinding(binding)
        got = binding.get_outputs()
        n_self = len(g.self_present)
        self.past = list(got[1:1 + n_self])
        if first and g.cross_present:
            self.cross = list(got[1 + n_self:])
            self.bound_to = None  # the next run binds them as its cross-attention inputs
        self.length += ids.shape[1]
        logits: FloatArray = got[0].numpy()
        return logits

    def _bind_empty_past(self, binding: Any, inputs: set[str]) -> None:
        """Graphs with past inputs on their first step (merged, split step) get an empty cache."""
        names = [n for n in (*self.g.self_past, *(() if self.cross else self.g.cross_past)) if n in inputs]
        if names:
            empty = self.value(np.zeros((self.rows, self.g.heads, 0, self.g.head_dim), dtype=np.float32))
            for name in names:
                binding.bind_ortvalue_input(name, empty)

    def step(self, tokens: IntArray) -> FloatArray:
        """Next-token logits (rows, vocab) after one token per row."""
        return self.feed(np.asarray(tokens).reshape(-1, 1))[:, -1, :]

    def truncate(self, length: int) -> None:
        """Keep the first `length` cached positions (after a speculative round's rejected tokens)."""
        if length >= self.length:
            return
        self.past = [self.value(np.ascontiguousarray(ov.numpy()[:, :, :length])) for ov in self.past]
        self.length = length

    def reorder(self, rows: IntArray) -> None:
        """Keep the cache rows `rows`, in that order (beam search; cross-attention rows never move
        between inputs, so only the self-attention cache is reordered)."""
        if np.array_equal(rows, np.arange(self.rows)):
            return
        self.past = [self.value(np.ascontiguousarray(ov.numpy()[rows])) for ov in self.past]

    def release(self) -> None:
        self.binding = self.bound_to = None
        self.past = []
        self.cross = []
        self.enc = self.mask = None
