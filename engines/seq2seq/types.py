"""Array aliases and the decoder interface the searches run against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

FloatArray = np.ndarray[Any, np.dtype[np.float32]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]
StepFn = Callable[[IntArray], FloatArray]
ReorderFn = Callable[[IntArray], None]
StepCallback = Callable[[int], None]


class Cache(Protocol):
    """A decoder with its own key/value cache: `feed` runs tokens [rows, T] after the cached ones and
    returns their logits [rows, T, vocab]; `truncate(n)` keeps the first n cached positions."""

    @property
    def length(self) -> int: ...

    def feed(self, tokens: IntArray) -> FloatArray: ...

    def truncate(self, length: int) -> None: ...
