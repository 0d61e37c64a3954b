"""Load a GGUF into llama.cpp with Candeia's settings (batch sizes, flash attention, huge pages, buffer types)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engines.errors import ModelLoadError
from engines.llama import hugepages, load_params
from engines.llama.native import llama_cpp_module

if TYPE_CHECKING:
    from engines.llama.engine import LoadOptions


def load_llama(path: Path, options: LoadOptions, context_size: int) -> tuple[Any, hugepages.Advice | None]:
    """The loaded Llama, and the huge-page advice given to its buffers (None: loaded memory-mapped)."""
    llama_cpp = llama_cpp_module()  # deferred: importing it loads the native library
    try:
        # unmapped only when the advice can be given: an unmapped load without it is merely slower to load
        huge_pages = hugepages.wanted(path.stat().st_size, options.gpu_layers) and hugepages.install(llama_cpp)
        overrides = load_params.overriding(llama_cpp, use_extra_bufts=options.extra_buffers)
        with overrides, hugepages.advising() if huge_pages else contextlib.nullcontext() as advice:
            llm = llama_cpp.Llama(
                model_path=str(path),
                # unmapped, the weights go into a buffer of llama.cpp's own, in huge pages (hugepages.py)
                use_mmap=not huge_pages,
                n_ctx=context_size,
                n_batch=min(options.batch_size, context_size),
                n_ubatch=min(options.micro_batch_size, options.batch_size, context_size),
                # Requested outright only on the CPU, where it is always supported (llama-cpp-python has no "auto");
                # an offloaded model keeps llama.cpp's safe default rather than fail on a device without it.
                flash_attn=options.flash_attention and options.gpu_layers == 0,
                n_threads=options.threads,
                n_threads_batch=options.threads,
                n_gpu_layers=options.gpu_layers,
                verbose=False,
            )
            if advice is not None:
                with contextlib.suppress(Exception):  # best effort, as the weights' advice
                    advice.advise_context_buffers()
            return llm, advice
    except Exception as exc:
        raise ModelLoadError(f"llama.cpp could not load {path}: {exc}") from exc
