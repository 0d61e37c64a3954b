"""Model weights in transparent huge pages, on Linux.

A CPU decode streams every weight once per token. With llama.cpp's default memory map the
weights sit in the page cache in 4 KiB pages, and a 250 MB model takes about 60,000 TLB entries
a token. Loaded without the map, the weights go into one anonymous buffer of llama.cpp's own;
advised with `MADV_HUGEPAGE` before llama.cpp reads the file into it, the kernel backs it with
2 MiB pages as the pages are first written. Measured on gemma-3-270m Q4_K_M, 2 threads
(docs/performance.md): tg128 +6 to 8 %, pp512 +3 to 5 % against the memory map.

The context's compute buffers, reserved at creation and first touched by the first decode, are
advised right after the context is made (pp512 +3 to 4 %).

The weights' buffer is allocated inside `llama_model_load_from_file`, so the advice is given from
llama.cpp's progress callback, which it calls before it reads the first tensor: the anonymous
mappings that appeared since the load began are the model's buffers. llama-cpp-python's `Llama`
takes no progress callback, so its call of `llama_model_load_from_file` is wrapped once; the
wrapper adds the callback only for loads that asked for it (a thread-local).

Best effort throughout: on other systems, with huge pages off (`never`), with
`CANDEIA_HUGE_PAGES=0`, or if anything fails, the model loads memory-mapped as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

THP_SETTING = Path("/sys/kernel/mm/transparent_hugepage/enabled")
MADV_HUGEPAGE = 14  # linux/mman.h; the same on every architecture
HUGE_PAGE = 2 << 20
MALLOC_HEAP_SIZE = 64 << 20  # glibc's HEAP_MAX_SIZE on 64-bit systems
MIN_REGION = 16 << 20  # smaller new mappings are not model weights (Python's own arenas, thread stacks)
ENV = "CANDEIA_HUGE_PAGES"
ROOM_FACTOR = 2  # unmapped only while the file fits in available memory twice over

_state = threading.local()
_install_lock = threading.Lock()
_installed: set[int] = set()


def thp_mode(setting: Path = THP_SETTING) -> str | None:
    """The kernel's transparent huge page mode ("always", "madvise", "never"), None where unknown."""
    try:
        text = setting.read_text()
    except OSError:
        return None
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else None


def wanted(model_bytes: int, gpu_layers: int) -> bool:
    """Load this model unmapped and advise huge pages? Only for weights that stay in CPU memory, and
    only with room to spare: mapped weights are page cache the system can drop and re-read under
    memory pressure, unmapped ones are the process's own memory."""
    if not sys.platform.startswith("linux") or gpu_layers != 0 or os.environ.get(ENV, "1") == "0":
        return False
    if thp_mode() not in ("madvise", "always") or _madvise() is None:
        return False
    from engines.system.memory import memory

    available = memory()[1]
    return available is not None and model_bytes * ROOM_FACTOR <= available


@cache
def _madvise() -> Any:
    try:
        fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def anonymous_regions(maps: Path = Path("/proc/self/maps")) -> set[tuple[int, int]]:
    """(start, end) of the process's private, writable, anonymous mappings."""
    regions: set[tuple[int, int]] = set()
    with contextlib.suppress(OSError), maps.open() as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 5 and parts[1] == "rw-p":  # no path: anonymous
                start, end = (int(x, 16) for x in parts[0].split("-"))
                regions.add((start, end))
    return regions


def is_malloc_arena(start: int, end: int) -> bool:
    """A glibc malloc arena of another thread (the loading thread's own, often): arenas live in
    mappings aligned to and at most as large as glibc's 64 MiB heap size. Advised, they would grow in
    2 MiB steps that malloc_trim cannot give back (measured: +4 MB left after an unload)."""
    return start % MALLOC_HEAP_SIZE == 0 and end - start <= MALLOC_HEAP_SIZE


@dataclass
class Advice:
    """One load's huge-page advice: the mappings seen so far, and what was advised."""

    before: set[tuple[int, int]]
    advised_bytes: int = 0  # the model's weights
    done: bool = False
    regions: list[tuple[int, int]] = field(default_factory=list)
    context_regions: list[tuple[int, int]] = field(default_factory=list)

    def advise_model_buffers(self) -> None:
        """From the progress callback, before the first tensor is read: the new mappings are the
        weights' buffers, still untouched, so the file is read straight into huge pages."""
        self.done = True
        self.regions = self._advise_new()
        self.advised_bytes = sum(end - start for start, end in self.regions)
        log.debug("advised huge pages for %.0f MiB of weights in %d regions", self.advised_bytes / 2**20,
                  len(self.regions))

    def advise_context_buffers(self) -> None:
        """After the context is made: its compute buffers are reserved for the largest batch and first
        touched by the first decode. A 512-token batch's activations then sit in huge pages too
        (pp512 +3 to 4 % in 8 of 9 alternating pairs; AnonHugePages +20 MB, the part a batch touches).
        The key/value cache was already cleared, so it stays in small pages."""
        self.context_regions = self._advise_new()

    def _advise_new(self) -> list[tuple[int, int]]:
        madvise = _madvise()
        current = anonymous_regions()
        new, self.before = sorted(current - self.before), current
        advised: list[tuple[int, int]] = []
        if madvise is None:
            return advised
        for start, end in new:
            if end - start < MIN_REGION or is_malloc_arena(start, end):
                continue
            first = (start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
            last = end & ~(HUGE_PAGE - 1)
            if last > first and madvise(first, last - first, MADV_HUGEPAGE) == 0:
                advised.append((first, last))
        return advised


def install(llama_cpp: ModuleType) -> bool:
    """Wrap llama-cpp-python's `llama_model_load_from_file` (once) so a load can carry the advice.
    False where this llama-cpp-python lacks what the wrapper needs: the caller then keeps the map."""
    module = getattr(llama_cpp, "llama_cpp", None)
    original = getattr(module, "llama_model_load_from_file", None)
    callback_type = getattr(module, "llama_progress_callback", None)
    if module is None or original is None or callback_type is None:
        return False
    with _install_lock:
        if id(module) in _installed:
            return True

        def load_from_file(path_model: bytes, params: Any) -> Any:
            advice: Advice | None = getattr(_state, "advice", None)
            if advice is None or params.progress_callback:
                return original(path_model, params)

            def on_progress(progress: float, user_data: Any) -> bool:
                if not advice.done:  # called before the first tensor is read: the buffers exist, still empty
                    with contextlib.suppress(Exception):  # never let the advice fail a load
                        advice.advise_model_buffers()
                return True

            params.progress_callback = callback_type(on_progress)
            try:
                return original(path_model, params)
            finally:
                params.progress_callback = callback_type()

        module.llama_model_load_from_file = load_from_file
        _installed.add(id(module))
        return True


@contextlib.contextmanager
def advising() -> Iterator[Advice]:
    """Loads of llama.cpp models on this thread, inside the block, get their buffers advised."""
    advice = Advice(before=anonymous_regions())
    _state.advice = advice
    try:
        yield advice
    finally:
        _state.advice = None
