"""The draft model of speculative decoding: an int8 copy of an fp32 captioner's decoder step.

An fp32 decoder step streams all of its weights (551 MB for vit-gpt2) for every token, so its speed
is the memory bandwidth's. The draft is the same step graph (split.py's `step.onnx`: the same inputs,
so it reads the fp32 cross-attention keys/values directly) with its weight MatMuls as MatMulNBits
blocks (nbits.py), a quarter of the bytes. It only proposes tokens: the fp32 step verifies them,
so the captions stay those of fp32 greedy decoding (decoding.speculative_greedy).

Made on the first load of an fp32 captioner and cached beside the split halves (one entry per
decoder file, split format and draft recipe); steps that are already quantized get no draft.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from engines.caption.split import FORMAT_VERSION

log = logging.getLogger(__name__)

DRAFT_VERSION = "1"
BITS, BLOCK_SIZE = 8, 128


def is_quantized(step: Path) -> bool:
    import onnx

    from engines.caption.probe import QUANTIZING_OPS

    graph = onnx.load(str(step), load_external_data=False).graph
    return any(n.op_type in QUANTIZING_OPS for n in graph.node)


def build_draft(step: Path, target: Path, *, bits: int = BITS, block_size: int = BLOCK_SIZE, label: str = "") -> bool:
    """Write `target / "draft.onnx"` (and its `.data`); False when `step` has nothing to quantize."""
    from engines.onnx.nbits import nbits_available, quantize_nbits

    if not nbits_available() or is_quantized(step):
        return False
    log.info("writing an int8 draft of %s's decoder step for speculative decoding (once: this first load takes "
             "a few seconds longer)", label or step.name)
    started = time.perf_counter()
    changed = quantize_nbits(step, target / "draft.onnx", bits=bits, block_size=block_size, external_data=True)
    log.info("quantized %d MatMuls of the draft in %.1f s", changed, time.perf_counter() - started)
    return changed > 0


def draft_file(decoder: Path, step: Path, cache_root: Path) -> Path | None:
    """The cached draft of `step` (split from `decoder`), made on first use; None when there is none."""
    from engines.onnx.derived import derived_entry

    version = f"{FORMAT_VERSION}-draft{DRAFT_VERSION}-{BITS}bit{BLOCK_SIZE}"
    entry = derived_entry(decoder, cache_root, version, lambda work: build_draft(step, work, label=decoder.parent.name),
                          expect=["draft.onnx"], expect_weights=["draft.onnx"], needs_bytes=step.stat().st_size // 2)
    return entry / "draft.onnx" if entry is not None else None
