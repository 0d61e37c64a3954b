"""System memory: how much there is, and handing freed heap memory back after unloading a model.

glibc keeps freed blocks in its arenas, so without a trim the process's resident memory stays
about a third of a model's size higher after unloading it. Other platforms' allocators return
large blocks on their own; there this is a no-op.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_freed_memory() -> None:
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def memory() -> tuple[int | None, int | None]:
    """(total, available) system RAM in bytes."""
    with contextlib.suppress(ImportError):
        import psutil

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available)
    if sys.platform.startswith("linux"):
        try:
            text = Path("/proc/meminfo").read_text(encoding="utf-8")
        except OSError:
            return None, None
        values = {k: int(v) * 1024 for k, v in re.findall(r"^(\w+):\s+(\d+) kB", text, re.MULTILINE)}
        return values.get("MemTotal"), values.get("MemAvailable", values.get("MemFree"))
    if sys.platform == "darwin":
        total = run_quiet(["sysctl", "-n", "hw.memsize"])
        stats = run_quiet(["vm_stat"])
        page = re.search(r"page size of (\d+)", stats)
        pages = sum(int(n) for n in re.findall(r"Pages (?:free|inactive|speculative|purgeable):\s+(\d+)", stats))
        available = pages * int(page[1]) if page else None
        return (int(total) if total.isdigit() else None), available
    if sys.platform == "win32":
        class _Status(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

        status = _Status()
        status.dwLength = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.ullTotalPhys), int(status.ullAvailPhys)
    return None, None


def run_quiet(cmd: list[str]) -> str:
    """A short command's output, or "" when it is missing or fails."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
