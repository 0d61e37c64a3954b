"""Sentence embeddings from a BERT-class ONNX model: tokenize, run, pool, normalise.

Texts are sorted by length before batching, so each batch pads to similar lengths (with mixed
lengths, padding to the longest text in a random batch wastes most of the compute); the vectors
come back in the caller's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engines.encoders.base import Vectors
from engines.encoders.pooling import PoolingConfig, pool, read_pooling
from engines.encoders.session import EncoderSession, Variant
from engines.encoders.tokenize import EncoderTokenizer
from engines.jobs import CancelToken, ProgressCallback


class OnnxTextEncoder:
    def __init__(self, folder: Path, *, name: str | None = None, threads: int | None = None,
                 variant: Variant = "auto", pooling: PoolingConfig | None = None,
                 max_length: int | None = None) -> None:
        self.folder = folder
        self.name = name or folder.name
        self.tokenizer = EncoderTokenizer(folder, max_length)
        self.session = EncoderSession(folder, threads, variant)
        self.pooling = pooling or read_pooling(folder)
        self.normalized = self.pooling.normalize
        self.dimensions = int(self.embed(["dimensions"]).shape[1])

    @property
    def device(self) -> str:
        return self.session.device

    def embed(self, texts: Sequence[str], *, batch_size: int = 32, cancel: CancelToken | None = None,
              progress: ProgressCallback | None = None) -> Vectors:
        if not texts:
            return np.zeros((0, getattr(self, "dimensions", 0)), dtype=np.float32)
        # length in characters is a cheap, good enough proxy of the token count for sorting
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: Vectors | None = None
        done = 0
        for start in range(0, len(order), max(1, batch_size)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            rows = order[start:start + batch_size]
            batch = self.tokenizer.encode([texts[i] for i in rows])
            vectors = pool(self.session.token_states(batch), batch.attention_mask, self.pooling)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
            done += len(rows)
            if progress is not None:
                progress(done, len(texts))
        assert out is not None
        return out

    def close(self) -> None:
        self.session.close()
