"""Import llama-cpp-python once, with llama.cpp's own log routed into Python logging.

llama.cpp prints some messages at its "none" level, which llama-cpp-python's default callback
always writes to stderr; those lines would land in the CLI's output and fail in windowed builds
where there is no stderr. Everything goes to the `llama.cpp` logger at debug level instead.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from types import ModuleType
from typing import Any

log = logging.getLogger("llama.cpp")
_lock = threading.Lock()
_module: ModuleType | None = None
_callback: Any = None  # kept referenced: llama.cpp holds a raw pointer to it


def llama_cpp_module() -> ModuleType:
    global _module, _callback
    with _lock:
        if _module is None:
            import llama_cpp

            @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
            def _route(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("%s", text.decode("utf-8", errors="replace").rstrip())

            _callback = _route
            llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
            _load_backends(llama_cpp)
            _module = llama_cpp
        return _module


def _load_backends(llama_cpp: ModuleType) -> None:
    """A portable build keeps its CPU variants and GPU backends as modules beside libllama: register
    them from there before any model loads (backends.py). Does nothing for a build with them linked in."""
    from engines.llama.backends import load_from_own_folder

    try:
        load_from_own_folder(llama_cpp)
    except (OSError, AttributeError) as exc:  # an older libggml without the registry: its backends are linked in
        log.debug("ggml backend registry not available: %s", exc)


def native_context(llm: Any) -> Any:
    """The `llama_context` pointer of a `llama_cpp.Llama`, for calls into the C API.

    llama-cpp-python keeps it private (`_ctx.ctx`); this is the one place that reaches for it."""
    return llm._ctx.ctx


def close_llama(llm: Any) -> None:
    """Free a Llama's model, context and buffers, then hand the freed heap back to the OS."""
    from engines.system.memory import release_freed_memory

    if llm is not None:
        llm.close()
        del llm
        release_freed_memory()
