"""Per-load overrides of llama.cpp's model parameters that llama-cpp-python's `Llama` does not take.

`use_extra_bufts` (llama.cpp's extra CPU buffer types: repacked weights, AMX) is the one the
engine host turns off when those kernels crash on a CPU (llama.cpp issue #20824). `Llama` builds
its `llama_model_params` itself, so its call of `llama_model_load_from_file` is wrapped once and
the wrapper applies the overrides a load asked for (a thread-local: a load runs on its owner thread).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

_state = threading.local()
_lock = threading.Lock()
_installed: set[int] = set()


def _install(llama_cpp: ModuleType) -> bool:
    module = getattr(llama_cpp, "llama_cpp", None)
    original = getattr(module, "llama_model_load_from_file", None)
    if module is None or original is None:
        return False
    with _lock:
        if id(module) in _installed:
            return True

        def load_from_file(path_model: bytes, params: Any) -> Any:
            for name, value in getattr(_state, "overrides", {}).items():
                if hasattr(params, name):
                    setattr(params, name, value)
            return original(path_model, params)

        module.llama_model_load_from_file = load_from_file
        _installed.add(id(module))
    return True


@contextlib.contextmanager
def overriding(llama_cpp: ModuleType, *, use_extra_bufts: bool) -> Iterator[None]:
    """Loads inside this block on this thread get these parameters (llama.cpp's default: True)."""
    overrides = {} if use_extra_bufts else {"use_extra_bufts": False}
    if not overrides or not _install(llama_cpp):
        yield
        return
    _state.overrides = overrides
    try:
        yield
    finally:
        _state.overrides = {}
