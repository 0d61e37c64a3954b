"""A chat model loaded for serving: one llama context with a sequence per parallel slot.

`Llama` cannot create a context with several sequences, so it is loaded with a small context of
its own (it is used for tokenizing and the template's special tokens only) and the serving context
is created here from the same model with n_seq_max = parallel and a KV cache of `parallel` times
the per-slot context; each sequence keeps a cache of its own (kv_unified off, which llama.cpp
advises for sequences that share no long prefix). Runs only inside an engine host.
"""

from __future__ import annotations

import time
from typing import Any

from engines.errors import ModelLoadError
from engines.gguf.info import GGUFInfo
from engines.llama.batching import BatchScheduler
from engines.llama.engine import LoadOptions
from engines.llama.loader import load_llama
from engines.llama.native import close_llama, llama_cpp_module
from engines.llama.template import ChatTemplate

OWN_CONTEXT = 256  # the Llama object's own context: it never decodes


class ServedModel:
    def __init__(self, info: GGUFInfo, options: LoadOptions, parallel: int) -> None:
        lib = llama_cpp_module()
        started = time.perf_counter()
        trained = info.context_length or options.context_size
        self.slot_context = max(16, min(options.context_size, trained))
        self.parallel = max(1, parallel)
        self._llm, _ = load_llama(info.path, options, min(OWN_CONTEXT, self.slot_context))
        params = type(self._llm.context_params).from_buffer_copy(self._llm.context_params)
        params.n_ctx = self.slot_context * self.parallel
        params.n_batch = min(options.batch_size, params.n_ctx)
        params.n_ubatch = min(options.micro_batch_size, params.n_batch)
        params.n_seq_max = self.parallel
        params.kv_unified = False
        self._ctx: Any = lib.llama_init_from_model(self._llm._model.model, params)
        if not self._ctx:
            close_llama(self._llm)
            raise ModelLoadError(f"llama.cpp could not make a context of {params.n_ctx} tokens for "
                                 f"{self.parallel} parallel replies of {info.path.name}")
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.template = ChatTemplate(source=info.chat_template, bos_token=self._token_text(self._llm.token_bos()),
                                     eos_token=self._token_text(self._llm.token_eos()))
        self.scheduler = BatchScheduler(lib, self._ctx, self._llm._model.vocab, self._llm.n_vocab(),
                                        parallel=self.parallel, slot_context=self.slot_context,
                                        batch_size=int(params.n_batch), load_ms=self.load_ms)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return bytes(self._llm.detokenize([token], special=True)).decode("utf-8", errors="replace")

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8"), add_special, True))

    def close(self) -> None:
        self.scheduler.close()
        llama_cpp_module().llama_free(self._ctx)
        close_llama(self._llm)
