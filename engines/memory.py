"""Hand freed heap memory back to the operating system after unloading a model.

glibc keeps freed blocks in its arenas, so without a trim the process's resident memory stays
about a third of a model's size higher after unloading it. Other platforms' allocators return
large blocks on their own; there this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
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
