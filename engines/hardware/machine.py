"""What this machine offers a model: CPU, SIMD, memory, GPUs, ONNX Runtime providers, llama.cpp offload.

Every probe is optional and cheap; one that fails leaves its field empty instead of failing the
whole report. NVIDIA GPUs are read through nvidia-ml-py (`pynvml`) when it is installed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engines.system.memory import memory, run_quiet

# Flags that matter to llama.cpp and ONNX Runtime kernels, in the order people know them.
_X86_FLAGS = (
    "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni",
    "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile",
)
_ARM_FLAGS = {"asimd": "neon", "asimddp": "dotprod", "i8mm": "i8mm", "sve": "sve", "sve2": "sve2", "bf16": "bf16"}


@dataclass(frozen=True)
class GPU:
    name: str
    vendor: str
    memory_total: int | None = None  # bytes
    memory_free: int | None = None
    unified: bool = False  # shares system RAM (Apple Silicon)


@dataclass(frozen=True)
class Hardware:
    os: str
    arch: str
    cpu_model: str | None
    logical_cores: int
    physical_cores: int | None
    simd: list[str]
    ram_total: int | None
    ram_available: int | None
    gpus: list[GPU] = field(default_factory=list)
    onnx_providers: list[str] = field(default_factory=list)
    llama_gpu_offload: bool | None = None
    llama_system_info: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def best_gpu(self) -> GPU | None:
        usable = [g for g in self.gpus if g.memory_total]
        return max(usable, key=lambda g: g.memory_free or g.memory_total or 0) if usable else None


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_model() -> str | None:
    if sys.platform.startswith("linux"):
        for key in ("model name", "Hardware", "Model", "cpu model"):
            match = re.search(rf"^{key}\s*:\s*(.+)$", _cpuinfo(), re.MULTILINE)
            if match:
                return match[1].strip()
    if sys.platform == "darwin":
        return run_quiet(["sysctl", "-n", "machdep.cpu.brand_string"]) or None
    if sys.platform == "win32":
        with contextlib.suppress(OSError):
            import winreg

            key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0")
            return str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
    return platform.processor() or None


def physical_cores() -> int | None:
    with contextlib.suppress(ImportError):
        import psutil

        count = psutil.cpu_count(logical=False)
        return int(count) if count else None
    if sys.platform.startswith("linux"):
        pairs = set(re.findall(r"physical id\s*:\s*(\d+)\s*\n(?:.*\n)*?core id\s*:\s*(\d+)", _cpuinfo()))
        return len(pairs) or None
    if sys.platform == "darwin":
        value = run_quiet(["sysctl", "-n", "hw.physicalcpu"])
        return int(value) if value.isdigit() else None
    return None


def simd_flags() -> list[str]:
    if sys.platform.startswith("linux"):
        match = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", _cpuinfo(), re.MULTILINE)
        present = set(match[1].split()) if match else set()
        if "pni" in present:  # Linux calls SSE3 "pni" (Prescott New Instructions)
            present.add("sse3")
        found = [f for f in _X86_FLAGS if f in present]
        found += [name for flag, name in _ARM_FLAGS.items() if flag in present]
        return found
    if sys.platform == "darwin" and platform.machine() == "arm64":
        flags = ["neon"]
        for feature, name in (("FEAT_DotProd", "dotprod"), ("FEAT_I8MM", "i8mm"), ("FEAT_BF16", "bf16")):
            if run_quiet(["sysctl", "-n", f"hw.optional.arm.{feature}"]) == "1":
                flags.append(name)
        return flags
    if sys.platform == "darwin":
        text = (run_quiet(["sysctl", "-n", "machdep.cpu.features"]) + " " +
                run_quiet(["sysctl", "-n", "machdep.cpu.leaf7_features"])).lower().replace(".", "_")
        return [f for f in _X86_FLAGS if f in text.split()]
    if sys.platform == "win32":
        # IsProcessorFeaturePresent ids (winnt.h): 36 SSSE3, 37 SSE4.1, 38 SSE4.2, 39 AVX, 40 AVX2, 41 AVX-512F
        check = ctypes.windll.kernel32.IsProcessorFeaturePresent  # type: ignore[attr-defined]
        ids = {36: "ssse3", 37: "sse4_1", 38: "sse4_2", 39: "avx", 40: "avx2", 41: "avx512f"}
        return [name for number, name in ids.items() if check(number)]
    return []


def nvidia_gpus() -> list[GPU]:
    try:
        import pynvml  # from nvidia-ml-py
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # no driver, no device: simply no NVIDIA GPU
        return []
    gpus = []
    try:
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            info = pynvml.nvmlDeviceGetMemoryInfo(handle)
            gpus.append(GPU(
                name=name.decode() if isinstance(name, bytes) else str(name),
                vendor="NVIDIA",
                memory_total=int(info.total),
                memory_free=int(info.free),
            ))
    except Exception:
        pass
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
    return gpus


def apple_gpu(ram_total: int | None, ram_available: int | None) -> list[GPU]:
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return [GPU("Apple Silicon GPU (Metal)", "Apple", ram_total, ram_available, unified=True)]
    return []


def onnx_providers() -> list[str]:
    from engines.onnx.providers import available_providers

    return available_providers()


def llama_info() -> tuple[bool | None, str | None]:
    try:
        from engines.llama.native import llama_cpp_module

        llama_cpp = llama_cpp_module()  # registers a portable build's backends first (llama/backends.py)
    except Exception:  # the native library may fail to load on an odd machine
        return None, None
    offload = None
    with contextlib.suppress(Exception):
        offload = bool(llama_cpp.llama_supports_gpu_offload())
    info = None
    with contextlib.suppress(Exception):
        raw = llama_cpp.llama_print_system_info()
        info = (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)).strip()
    return offload, info


def detect(*, llama: bool = True, onnx: bool = True) -> Hardware:
    """Describe this computer; `llama` and `onnx` ask the engines too, which imports their native libraries."""
    total, available = memory()
    offload, system_info = llama_info() if llama else (None, None)
    return Hardware(
        os=f"{platform.system()} {platform.release()}".strip(),
        arch=platform.machine(),
        cpu_model=cpu_model(),
        logical_cores=os.cpu_count() or 1,
        physical_cores=physical_cores(),
        simd=simd_flags(),
        ram_total=total,
        ram_available=available,
        gpus=nvidia_gpus() + apple_gpu(total, available),
        onnx_providers=onnx_providers() if onnx else [],
        llama_gpu_offload=offload,
        llama_system_info=system_info,
    )
