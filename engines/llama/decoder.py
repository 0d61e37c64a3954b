"""The per-token loop, straight on llama.cpp's C API: decode, sample with the native sampler
chain, turn the token into bytes. Nothing else happens per token.

Greedy decoding skips the sampler chain: llama.cpp's `llama_sampler_sample` first copies all
logits into a token-data array (262k entries for Gemma 3, about 0.35 ms a token here), while an
argmax over llama.cpp's own logits buffer, viewed in place, takes about 0.09 ms and picks the same
token (the first of equal maxima, as llama.cpp's greedy sampler does).

llama-cpp-python's `Llama.generate` does more per token (numpy bookkeeping of every token and
a sampler chain that always runs the repetition penalty over the whole vocabulary); this loop
keeps what Candeia needs and builds the chain from only the samplers that change the result.
It runs only on the model's owner thread.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engines.errors import GenerationError
from engines.llama.native import llama_cpp_module, native_context
from engines.llama.sampling import SamplingOptions

if TYPE_CHECKING:
    import numpy as np

PENALTY_WINDOW = 64  # tokens the repetition penalty looks back over, as llama.cpp's default


class Sampler:
    """A native sampler chain, or none for plain greedy decoding (argmax); free it with close()."""

    def __init__(self, decoder: NativeDecoder | Any, options: SamplingOptions, seed: int, first: Any = None) -> None:
        """`decoder` needs `lib` and `n_vocab`; `first` (a native sampler, e.g. a grammar) runs before the rest."""
        lib = decoder.lib
        self._lib = lib
        self.chain: Any = None
        self.greedy = options.temperature <= 0.0 and options.repeat_penalty == 1.0 and first is None
        if self.greedy:
            return  # nothing changes the logits: NativeDecoder.sample takes their argmax
        self.chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        add = lib.llama_sampler_chain_add
        if first is not None:
            add(self.chain, first)
        if options.repeat_penalty != 1.0:
            add(self.chain, lib.llama_sampler_init_penalties(
                decoder.n_vocab, PENALTY_WINDOW, options.repeat_penalty, 0.0, 0.0))
        if options.temperature <= 0.0:
            add(self.chain, lib.llama_sampler_init_greedy())
            return
        if options.top_k > 0:
            add(self.chain, lib.llama_sampler_init_top_k(options.top_k))
        if options.top_p < 1.0:
            add(self.chain, lib.llama_sampler_init_top_p(options.top_p, 1))
        if options.min_p > 0.0:
            add(self.chain, lib.llama_sampler_init_min_p(options.min_p, 1))
        add(self.chain, lib.llama_sampler_init_temp(options.temperature))
        add(self.chain, lib.llama_sampler_init_dist(seed))

    def accept_history(self, tokens: Sequence[int]) -> None:
        """Let the repetition penalty see the end of the prompt, not only the reply."""
        if self.chain is None:
            return
        for token in tokens[-PENALTY_WINDOW:]:
            self._lib.llama_sampler_accept(self.chain, token)

    def close(self) -> None:
        if self.chain is not None:
            self._lib.llama_sampler_free(self.chain)
            self.chain = None


class NativeDecoder:
    """Owns the KV-cache bookkeeping of one llama context (sequence 0)."""

    def __init__(self, llm: Any) -> None:
        lib = llama_cpp_module()
        self.lib = lib
        self._ctx = native_context(llm)
        self._vocab = llm._model.vocab
        self.n_vocab: int = llm.n_vocab()
        self._n_batch: int = llm.n_batch
        self._memory = lib.llama_get_memory(self._ctx)
        self._cached: list[int] = []  # tokens whose keys/values are in the cache, in order
        self._one = (lib.llama_token * 1)()
        self._piece = ctypes.create_string_buffer(256)
        # Bound once: attribute lookups on the ctypes module cost more than the calls themselves.
        self._decode = lib.llama_decode
        self._batch_one = lib.llama_batch_get_one
        self._sample = lib.llama_sampler_sample
        self._to_piece = lib.llama_token_to_piece
        self._is_eog = lib.llama_vocab_is_eog
        self._logits_ith = lib.llama_get_logits_ith
        self._logits_at = 0  # address of the buffer `_logits` views; llama.cpp may reallocate it
        self._logits: np.ndarray[Any, np.dtype[np.float32]] | None = None

    @property
    def cached_tokens(self) -> int:
        return len(self._cached)

    def reset(self) -> None:
        self.lib.llama_memory_clear(self._memory, True)
        self._cached = []

    def prefill(self, tokens: Sequence[int]) -> int:
        """Bring the cache to `tokens`, reusing the longest cached prefix. Returns tokens evaluated."""
        common = 0
        for a, b in zip(self._cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        if common == len(tokens):
            common -= 1  # re-evaluate the last token: its logits are what we sample from
        if common < len(self._cached):
            if not self.lib.llama_memory_seq_rm(self._memory, -1, common, -1):
                self.reset()
                common = 0
            del self._cached[common:]
        for start in range(common, len(tokens), self._n_batch):
            chunk = list(tokens[start : start + self._n_batch])
            self._eval((self.lib.llama_token * len(chunk))(*chunk), len(chunk))
            self._cached.extend(chunk)
        return len(tokens) - common

    def _eval(self, array: Any, count: int) -> None:
        status = self._decode(self._ctx, self._batch_one(array, count))
        if status != 0:
            del self._cached[:]
            self.lib.llama_memory_clear(self._memory, True)
            if status == 1:
                raise GenerationError("the context is full (no room left in the KV cache)")
            raise GenerationError(f"llama.cpp failed to decode (status {status})")

    def sample(self, sampler: Sampler) -> int:
        if sampler.greedy:
            return self.argmax()
        if sampler.chain is None:
            raise GenerationError("the sampler was already closed")
        return int(self._sample(sampler.chain, self._ctx, -1))

    def argmax(self) -> int:
        """The likeliest next token, read from llama.cpp's logits of the last decoded position."""
        pointer = self._logits_ith(self._ctx, -1)
        address = ctypes.cast(pointer, ctypes.c_void_p).value
        if not address:
            raise GenerationError("llama.cpp returned no logits")
        if address != self._logits_at or self._logits is None:
            import numpy  # already imported by llama_cpp; kept out of the app's start-up imports

            self._logits = numpy.ctypeslib.as_array(pointer, shape=(self.n_vocab,))  # a view, no copy
            self._logits_at = address
        return int(self._logits.argmax())

    def feed(self, token: int) -> None:
        self._one[0] = token
        self._eval(self._one, 1)
        self._cached.append(token)

    def piece(self, token: int) -> bytes:
        size = self._to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        if size < 0:  # the buffer was too small: -size is what it needs
            self._piece = ctypes.create_string_buffer(-size)
            size = self._to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        return self._piece.raw[:size]

    def is_eog(self, token: int) -> bool:
        return bool(self._is_eog(self._vocab, token))
