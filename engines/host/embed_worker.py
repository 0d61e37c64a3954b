"""The engine host's side of a GGUF embedding model (BERT, nomic-bert, ... converted by llama.cpp).

llama-cpp-python's `Llama(embedding=True)` pools as the GGUF's `pooling_type` says (mean, CLS,
last token); vectors leave un-normalised, like the ONNX encoders, and the client normalises when
the caller wants it. Only ever imported inside the host process: llama.cpp never runs in the app.
"""

from __future__ import annotations

import time
from typing import Any

from engines.errors import ModelLoadError
from engines.gguf.info import GGUFInfo


class GGUFEmbedder:
    def __init__(self, info: GGUFInfo, options: Any) -> None:
        from engines.llama.native import llama_cpp_module

        module = llama_cpp_module()
        started = time.perf_counter()
        trained = info.context_length or 512
        try:
            self._llama: Any = module.Llama(
                model_path=str(info.path), embedding=True, n_ctx=min(options.context_size, trained),
                n_batch=min(options.context_size, trained), n_ubatch=min(options.context_size, trained),
                n_threads=options.threads, n_gpu_layers=options.gpu_layers, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"llama.cpp could not load {info.path.name} as an embedding model ({exc})") from None
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.context = int(self._llama.n_ctx())
        self.pooling = str(self._llama.pooling_type())
        self.dimensions = int(self._llama.n_embd())

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        out: list[list[float]] = []
        # one at a time: a batch of sequences needs a context as long as all of them together;
        # truncate=True cuts a text longer than the context instead of failing
        for text in texts:
            raw = np.asarray(self._llama.embed(text or " ", normalize=False, truncate=True), dtype=np.float32)
            if raw.ndim == 2:  # a model without a pooling type (a chat model) gives one vector per token
                raw = raw.mean(axis=0)
            out.append([float(x) for x in raw])
        return out
