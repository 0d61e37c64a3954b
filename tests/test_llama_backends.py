"""engines/llama/backends.py: a portable llama.cpp build's backend modules are registered from llama_cpp's
own library folder, once, and a build with its backends linked in is left alone.

A stand-in libggml is compiled here (the registry calls only), so the real ctypes path runs without a
portable build of llama.cpp; the installed llama-cpp-python (the README's native build) is asked too."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from engines.llama import backends

COMPILER = shutil.which("gcc") or shutil.which("cc")

FAKE_GGML = r"""
#include <stddef.h>
#include <string.h>
static size_t regs = 0;
static char loaded_from[4096];
static int loads = 0;
size_t ggml_backend_reg_count(void) { return regs; }
void ggml_backend_load_all_from_path(const char *dir) { strncpy(loaded_from, dir, 4095); loads++; regs = 2; }
const char *fake_loaded_from(void) { return loaded_from; }
int fake_loads(void) { return loads; }
static int devs[2] = {0, 1};  /* CPU, GPU */
size_t ggml_backend_dev_count(void) { return regs; }
void *ggml_backend_dev_get(size_t i) { return &devs[i]; }
int ggml_backend_dev_type(void *dev) { return *(int *)dev; }
const char *ggml_backend_dev_name(void *dev) { return *(int *)dev ? "CUDA0" : "CPU"; }
const char *ggml_backend_dev_description(void *dev) { return *(int *)dev ? "NVIDIA Test" : "Test CPU"; }
void *ggml_backend_dev_backend_reg(void *dev) { return dev; }
const char *ggml_backend_reg_name(void *reg) { return *(int *)reg ? "CUDA" : "CPU"; }
"""


@pytest.fixture
def fake_llama_cpp(tmp_path: Path) -> types.ModuleType:
    """A module shaped like llama_cpp whose library folder holds the stand-in libggml."""
    if COMPILER is None or not sys.platform.startswith("linux"):
        pytest.skip("needs a C compiler on Linux")
    lib = tmp_path / "llama_cpp" / "lib"
    lib.mkdir(parents=True)
    source = tmp_path / "ggml.c"
    source.write_text(FAKE_GGML, encoding="utf-8")
    subprocess.run([COMPILER, "-shared", "-fPIC", "-O1", str(source), "-o", str(lib / "libggml.so")], check=True,
                   timeout=60)
    inner = types.SimpleNamespace(_base_path=lib)
    module = types.ModuleType("llama_cpp")
    module.__file__ = str(tmp_path / "llama_cpp" / "__init__.py")
    module.llama_cpp = inner  # type: ignore[attr-defined]
    return module


def test_backends_load_from_the_library_folder_once(fake_llama_cpp: types.ModuleType) -> None:
    folder = backends.library_folder(fake_llama_cpp)
    assert backends.load_from_own_folder(fake_llama_cpp) == 2
    assert backends.load_from_own_folder(fake_llama_cpp) == 2  # registered already: not loaded twice
    ggml = backends.open_ggml(folder)
    assert ggml is not None
    ggml.fake_loaded_from.restype = ctypes.c_char_p
    assert ggml.fake_loaded_from().decode() == str(folder)
    assert ggml.fake_loads() == 1
    found = backends.devices(fake_llama_cpp)
    assert [(d.backend, d.name, d.kind) for d in found] == [("CPU", "CPU", "CPU"), ("CUDA", "CUDA0", "GPU")]
    assert backends.gpu_backend(found) == "CUDA"


def test_no_libggml_is_nothing_loaded(tmp_path: Path) -> None:
    module = types.ModuleType("llama_cpp")
    module.__file__ = str(tmp_path / "__init__.py")
    assert backends.load_from_own_folder(module) == 0
    assert backends.devices(module) == []


def test_the_installed_build_has_its_cpu_backend() -> None:
    """The README's native build links its backends in: registered before anything is loaded from disk."""
    from engines.llama.native import llama_cpp_module

    module = llama_cpp_module()
    found = backends.devices(module)
    assert any(d.kind == "CPU" for d in found)
    assert backends.load_from_own_folder(module) >= 1
