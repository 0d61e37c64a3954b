"""ggml's backend registry, reached through libggml with ctypes (llama-cpp-python does not bind it).

A portable build of llama.cpp (GGML_BACKEND_DL=ON, GGML_CPU_ALL_VARIANTS=ON: what the installers carry,
docs/packaging.md) has no backend linked in: the CPU code is one module per instruction-set level
(libggml-cpu-x64, -sse42, -haswell, -skylakex, ... beside libllama), plus any GPU backend as a module
too. ggml's own `ggml_backend_load_all()` looks beside the executable and in the current folder, which
for Python is neither, so llama.cpp would find no backend ("no backends are loaded").
`load_from_own_folder` loads them from llama_cpp's library folder; ggml scores every CPU variant on
this CPU and keeps the best one. A build with its backends linked in (the README's source install) has
them registered already, and this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

# enum ggml_backend_dev_type (ggml-backend.h)
DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "IGPU", 3: "ACCEL", 4: "META"}


def library_folder(llama_cpp: ModuleType) -> Path:
    """Where llama-cpp-python loaded libllama from (LLAMA_CPP_LIB_PATH when set; a frozen bundle's copy)."""
    inner = getattr(llama_cpp, "llama_cpp", None)
    base = getattr(inner, "_base_path", None)
    if base is not None:
        return Path(base)
    return Path(llama_cpp.__file__ or ".").parent / "lib"


def _ggml_names() -> list[str]:
    if sys.platform == "win32":
        return ["ggml.dll", "libggml.dll"]
    if sys.platform == "darwin":
        return ["libggml.dylib", "libggml.so"]
    return ["libggml.so"]


def ggml_for(llama_cpp: ModuleType) -> ctypes.CDLL | None:
    """The libggml that libllama itself uses.

    A wheel holds libggml.so, libggml.so.0 and libggml.so.0.x.y as three copies (wheels have no links):
    opening one of them by path can load a second libggml with its own, empty, backend registry. On Linux
    and macOS a symbol looked up through libllama's handle comes from libllama's own dependencies; on
    Windows (one ggml.dll) opening it by path gives the module already loaded."""
    inner = getattr(llama_cpp, "llama_cpp", None)
    lib = getattr(inner, "_lib", None)
    if sys.platform != "win32" and isinstance(lib, ctypes.CDLL):
        try:
            lib.ggml_backend_reg_count  # noqa: B018 - raises AttributeError on a libllama without the registry
        except AttributeError:
            return None
        _declare(lib)
        return lib
    return open_ggml(library_folder(llama_cpp))


def open_ggml(folder: Path) -> ctypes.CDLL | None:
    """libggml from `folder`, opened by path (see ggml_for)."""
    for name in _ggml_names():
        path = folder / name
        if path.exists():
            try:
                library = ctypes.CDLL(str(path))
            except OSError as exc:
                log.debug("cannot open %s: %s", path, exc)
                return None
            _declare(library)
            return library
    return None


# ggml's backend registry, as ctypes needs it declared: name -> (return type, argument types)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "ggml_backend_reg_count": (ctypes.c_size_t, []),
    "ggml_backend_load_all_from_path": (None, [ctypes.c_char_p]),
    "ggml_backend_dev_count": (ctypes.c_size_t, []),
    "ggml_backend_dev_get": (ctypes.c_void_p, [ctypes.c_size_t]),
    "ggml_backend_dev_type": (ctypes.c_int, [ctypes.c_void_p]),
    "ggml_backend_dev_name": (ctypes.c_char_p, [ctypes.c_void_p]),
    "ggml_backend_dev_description": (ctypes.c_char_p, [ctypes.c_void_p]),
    "ggml_backend_dev_backend_reg": (ctypes.c_void_p, [ctypes.c_void_p]),
    "ggml_backend_reg_name": (ctypes.c_char_p, [ctypes.c_void_p]),
}


def _declare(lib: ctypes.CDLL) -> None:
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def load_from_own_folder(llama_cpp: ModuleType) -> int:
    """Register the backend modules beside libllama when nothing is registered yet; returns how many
    backends are registered afterwards (0 when libggml cannot be opened)."""
    folder = library_folder(llama_cpp)
    ggml = ggml_for(llama_cpp)
    if ggml is None:
        return 0
    count = int(ggml.ggml_backend_reg_count())
    if count == 0:
        # ggml takes a UTF-8 path on every OS (std::filesystem::u8path)
        ggml.ggml_backend_load_all_from_path(str(folder).encode("utf-8"))
        count = int(ggml.ggml_backend_reg_count())
        log.info("loaded %d ggml backends from %s", count, folder)
    return count


@dataclass(frozen=True)
class BackendDevice:
    backend: str  # the backend's name: "CPU", "CUDA", "Metal", "Vulkan", "BLAS", ...
    name: str  # the device: "CPU", "CUDA0", "MTL0", ...
    kind: str  # "CPU", "GPU", "IGPU", "ACCEL"
    description: str


def devices(llama_cpp: ModuleType) -> list[BackendDevice]:
    """Every device llama.cpp can use here (after `load_from_own_folder`); empty when unknown."""
    ggml = ggml_for(llama_cpp)
    if ggml is None:
        return []
    found = []
    for index in range(int(ggml.ggml_backend_dev_count())):
        dev = ggml.ggml_backend_dev_get(index)
        if not dev:
            continue
        reg = ggml.ggml_backend_dev_backend_reg(dev)
        found.append(BackendDevice(
            backend=_text(ggml.ggml_backend_reg_name(reg)) if reg else "",
            name=_text(ggml.ggml_backend_dev_name(dev)),
            kind=DEVICE_TYPES.get(int(ggml.ggml_backend_dev_type(dev)), "other"),
            description=_text(ggml.ggml_backend_dev_description(dev)),
        ))
    return found


def gpu_backend(found: list[BackendDevice]) -> str | None:
    """The backend llama.cpp offloads layers to ("CUDA", "Metal", "Vulkan"), or None for a CPU-only build."""
    return next((d.backend or d.name for d in found if d.kind in ("GPU", "IGPU")), None)


def _text(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw else ""
