"""What every text encoder offers: texts in, one L2-comparable vector per text out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from engines.jobs import CancelToken, ProgressCallback

Vectors = npt.NDArray[np.float32]  # shape (texts, dimensions)


class TextEncoder(Protocol):
    name: str
    dimensions: int
    normalized: bool  # True when vectors come out unit-length (cosine == dot product)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32, cancel: CancelToken | None = None,
              progress: ProgressCallback | None = None) -> Vectors: ...

    def close(self) -> None: ...
