"""A llama_batch written through numpy views of its own arrays, and greedy picks read in place.

The scheduler fills one batch per step. Writing it item by item through ctypes costs about a
microsecond a field (a new ctypes object for every `seq_id[i]`), so a 2048-token prompt took
milliseconds of Python before llama.cpp saw it; here a prompt chunk is a few slice writes, the
seq_id rows are bound once, and a row's sequence is written only when it changes. Logits rows are
viewed in place (no copy) and the view is kept while llama.cpp's buffer stays where it is.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np


class BatchArrays:
    """One llama_batch of `size` tokens, one sequence per token; free it with close()."""

    def __init__(self, lib: Any, size: int) -> None:
        self._lib = lib
        self._decode = lib.llama_decode
        self.batch = lib.llama_batch_init(size, 0, 1)
        batch = self.batch
        self._token = np.ctypeslib.as_array(batch.token, shape=(size,))
        self._pos = np.ctypeslib.as_array(batch.pos, shape=(size,))
        self._logits = np.ctypeslib.as_array(batch.logits, shape=(size,))
        np.ctypeslib.as_array(batch.n_seq_id, shape=(size,))[:] = 1
        self._seq_rows = [batch.seq_id[i] for i in range(size)]
        self._seq_of = [-1] * size  # what each row's seq_id holds now
        self.size = size
        self.count = 0

    def add(self, tokens: Sequence[int], first_pos: int, seq: int, *, logits: bool) -> int:
        """Append tokens of one sequence at positions from `first_pos`; the last one gets logits if asked.
        Returns the last token's row."""
        start, end = self.count, self.count + len(tokens)
        if len(tokens) == 1:  # the usual case, a reply's next token: scalar writes beat slices
            self._token[start] = tokens[0]
            self._pos[start] = first_pos
        else:
            self._token[start:end] = tokens
            self._pos[start:end] = np.arange(first_pos, first_pos + len(tokens), dtype=self._pos.dtype)
        self._logits[start:end] = 0
        if logits:
            self._logits[end - 1] = 1
        seq_of, rows = self._seq_of, self._seq_rows
        for row in range(start, end):
            if seq_of[row] != seq:
                rows[row][0] = seq
                seq_of[row] = seq
        self.count = end
        return end - 1

    def decode(self, ctx: Any) -> int:
        """Decode what was added (llama_decode's status) and start the next batch empty."""
        self.batch.n_tokens = self.count
        self.count = 0
        return int(self._decode(ctx, self.batch))

    def close(self) -> None:
        self._lib.llama_batch_free(self.batch)


class LogitsRows:
    """Greedy picks (argmax) over llama.cpp's logits rows, viewed in place."""

    def __init__(self, lib: Any, ctx: Any, n_vocab: int) -> None:
        self._ctx = ctx
        self._logits_ith = lib.llama_get_logits_ith
        self._n_vocab = n_vocab
        self._views: dict[int, np.ndarray[Any, np.dtype[np.float32]]] = {}

    def argmax(self, row: int) -> int:
        pointer = self._logits_ith(self._ctx, row)
        address = ctypes.cast(pointer, ctypes.c_void_p).value or 0
        view = self._views.get(address)
        if view is None:
            if not address:
                raise RuntimeError("llama.cpp returned no logits")
            if len(self._views) > 64:  # llama.cpp moved its buffer; a view is read only while its address
                self._views.clear()  # is the row's, so old ones are merely dropped
            view = self._views[address] = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        return int(view.argmax())
