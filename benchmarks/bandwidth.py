"""Memory read bandwidth, and the least time a captioner's weights take to stream through it.

A decoder step at batch 1 multiplies one vector by every weight matrix, so each generated token
reads all of the step graph's weights (embedding tables excepted: one row each) plus the cached
cross-attention keys and values. No kernel can beat bytes / bandwidth; the floor shows whether a
target is physically reachable on the machine at hand.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ITEM_BYTES = {1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 16: 2}  # ONNX TensorProto data types


def read_bandwidth(threads: int, mib: int = 1024, repeats: int = 5) -> float:
    """Bytes per second that `threads` threads read from memory, best of `repeats` (load only slows it).

    Each thread sums its own slice of a buffer far larger than the caches; numpy releases the GIL
    while it sums, and an int64 sum is cheap enough to leave memory as the limit."""
    data = np.ones(mib * 2**20 // 8, dtype=np.int64)
    parts = np.array_split(data, threads)
    best = float("inf")
    for _ in range(repeats):
        workers = [threading.Thread(target=np.add.reduce, args=(part,)) for part in parts]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        best = min(best, time.perf_counter() - started)
    return data.nbytes / best


@dataclass(frozen=True)
class StepBytes:
    weights: int  # read once per generated token at batch 1
    tables: int  # embedding tables: one row per token, not counted in `weights`
    once: int  # encoder and cross-attention projections: read once per batch of images


def _initializer_bytes(path: Path) -> dict[str, int]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    sizes = {}
    for tensor in graph.initializer:
        count = int(np.prod(tensor.dims)) if tensor.dims else 1
        sizes[tensor.name] = count * ITEM_BYTES.get(tensor.data_type, 4)
    return sizes


def step_bytes(step: Path, others: list[Path]) -> StepBytes:
    """Weight bytes of a split step graph (`step`) and of the graphs run once per batch (`others`)."""
    import onnx

    graph = onnx.load(str(step), load_external_data=False).graph
    sizes = _initializer_bytes(step)
    readers: dict[str, set[str]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, set()).add(node.op_type)
    tables = sum(size for name, size in sizes.items() if readers.get(name) == {"Gather"})
    once = sum(sum(_initializer_bytes(p).values()) for p in others)
    return StepBytes(weights=sum(sizes.values()) - tables, tables=tables, once=once)


def cross_cache_bytes(config: dict[str, Any], encoder_length: int) -> int:
    """fp32 cross-attention keys and values one image's step reads: layers x 2 x length x width."""
    decoder = config.get("decoder", {})
    return int(decoder.get("n_layer", 12)) * 2 * encoder_length * int(decoder.get("n_embd", 768)) * 4


def floor_seconds(b: StepBytes, cross_cache: int, tokens: int, bandwidth: float) -> float:
    """Least seconds for one image at batch 1: every token streams the step weights and the cross cache."""
    return (tokens * (b.weights + cross_cache) + b.once) / bandwidth
