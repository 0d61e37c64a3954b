"""A GGUF embedding model that runs in an engine host: the app-side client (a TextEncoder)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engines.errors import InvalidModelFileError
from engines.gguf.info import read_gguf
from engines.host import spare
from engines.jobs import CancelToken, ProgressCallback
from engines.llama.engine import LoadOptions

BATCH = 16  # texts per request: small enough that a cancel is honoured quickly


class HostedEmbedder:
    normalized = True

    def __init__(self, path: Path, *, threads: int | None = None, gpu_layers: int = 0,
                 context_size: int = 512) -> None:
        info = read_gguf(path)  # validated here, before any native code sees the file
        if info.is_companion:
            raise InvalidModelFileError(path, "is a vision projector, not an embedding model")
        self.name = path.stem
        options = LoadOptions(context_size=max(64, context_size), threads=threads, gpu_layers=gpu_layers)
        started = time.perf_counter()
        self._host, loaded = spare.take_loaded(f"embed:{path.name}", kind="embed", path=str(path),
                                               options=dataclasses.asdict(options))
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.dimensions: int = int(loaded["dimensions"])
        self.device: str = loaded["device"]

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH, cancel: CancelToken | None = None,
              progress: ProgressCallback | None = None) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        step = max(1, min(batch_size, BATCH))
        for start in range(0, len(texts), step):
            if cancel is not None:
                cancel.raise_if_cancelled()
            rows = self._host.call("embed", texts=list(texts[start:start + step]))
            out[start:start + len(rows)] = np.asarray(rows, dtype=np.float32)
            if progress is not None:
                progress(min(start + step, len(texts)), len(texts))
        # unit length, as an encoder with a Normalize module gives (engines/encoders/pooling.py)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), np.float32(1e-12))
        return out

    def close(self) -> None:
        self._host.close()
