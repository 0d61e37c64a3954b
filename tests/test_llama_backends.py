"""engines/llama/backends.py: a portable llama.cpp build's backend modules are registered from llama_cpp's
own library folder, once, and a build with its backends linked in is left alone.

A stand-in libggml is compiled here (the registry calls only), so the real ctypes path runs without a
portable build of llama.cpp; the installed llama-cpp-python (the README's native build) is asked too."""

from __future__ import annotations

import ctypes
import functools
import shutil
import subprocess
import sys
import types
import uuid
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


def _build(tmp_path: Path) -> Path:
    """llama_cpp/lib as a wheel lays it out: libllama's libggml (found by soname through its RPATH, $ORIGIN)
    and libggml.so, a second copy of the same file. The soname is unique to this test, so the stand-in can
    never be taken for the real libggml by a later load in this process."""
    if COMPILER is None or not sys.platform.startswith("linux"):
        pytest.skip("needs a C compiler on Linux")
    lib = tmp_path / "llama_cpp" / "lib"
    lib.mkdir(parents=True)
    soname = f"libggml-test-{uuid.uuid4().hex[:8]}.so.0"
    ggml_c, llama_c = tmp_path / "ggml.c", tmp_path / "llama.c"
    ggml_c.write_text(FAKE_GGML, encoding="utf-8")
    llama_c.write_text("#include <stddef.h>\nsize_t ggml_backend_reg_count(void);\n"
                       "size_t llama_fake_backends(void) { return ggml_backend_reg_count(); }\n", encoding="utf-8")
    run = functools.partial(subprocess.run, check=True, timeout=60)
    run([COMPILER, "-shared", "-fPIC", "-O1", f"-Wl,-soname,{soname}", str(ggml_c), "-o", str(lib / soname)])
    shutil.copy(lib / soname, lib / "libggml.so")
    run([COMPILER, "-shared", "-fPIC", "-O1", str(llama_c), "-o", str(lib / "libllama.so"), "-Wl,--no-as-needed",
         f"-L{lib}", f"-l:{soname}", "-Wl,-rpath,$ORIGIN"])
    return lib


@pytest.fixture
def fake_llama_cpp(tmp_path: Path) -> types.ModuleType:
    """A module shaped like llama_cpp: its `llama_cpp._lib` is the loaded libllama, as in llama-cpp-python."""
    lib = _build(tmp_path)
    inner = types.SimpleNamespace(_base_path=lib, _lib=ctypes.CDLL(str(lib / "libllama.so")))
    module = types.ModuleType("llama_cpp")
    module.__file__ = str(tmp_path / "llama_cpp" / "__init__.py")
    module.llama_cpp = inner  # type: ignore[attr-defined]
    return module


def test_backends_load_into_the_libggml_libllama_uses(fake_llama_cpp: types.ModuleType) -> None:
    folder = backends.library_folder(fake_llama_cpp)
    assert backends.load_from_own_folder(fake_llama_cpp) == 2
    assert backends.load_from_own_folder(fake_llama_cpp) == 2  # registered already: not loaded twice
    used = fake_llama_cpp.llama_cpp._lib  # what libllama sees
    used.fake_loaded_from.restype = ctypes.c_char_p
    assert used.fake_loaded_from().decode() == str(folder)
    assert used.fake_loads() == 1
    # the other copy, opened by path, is a second libggml with an empty registry: the trap ggml_for avoids
    copy = ctypes.CDLL(str(folder / "libggml.so"))
    assert copy.fake_loads() == 0
    found = backends.devices(fake_llama_cpp)
    assert [(d.backend, d.name, d.kind) for d in found] == [("CPU", "CPU", "CPU"), ("CUDA", "CUDA0", "GPU")]
    assert backends.gpu_backend(found) == "CUDA"


def test_without_libllama_the_folder_copy_is_used(tmp_path: Path) -> None:
    """Windows has one ggml.dll, opened by path; here a module without `_lib` takes the same route."""
    lib = _build(tmp_path)
    module = types.ModuleType("llama_cpp")
    module.__file__ = str(tmp_path / "llama_cpp" / "__init__.py")
    module.llama_cpp = types.SimpleNamespace(_base_path=lib)  # type: ignore[attr-defined]
    assert backends.load_from_own_folder(module) == 2


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
