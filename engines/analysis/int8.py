"""An int8 graph for an analysis model that ships only fp32: derived once into the cache.

Dynamic int8 quantization of the MatMul weights (ONNX Runtime's `quantize_dynamic`, the recipe of
`models convert --int8` and of the catalog's int8 encoders) takes a distilbert-base-sized graph from
255 MB to 65 MB and runs batches faster on CPUs with int8 dot products. The model's own files are
never touched: the copy lives in the cache (engines/onnx/derived.py), one entry per source version,
deleted with the model.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from engines.encoders.session import find_graph
from engines.errors import InvalidModelFileError

log = logging.getLogger(__name__)

CACHE = "analysis-int8"
VERSION = "1"
NAME = "model_quantized.onnx"


def quantize(source: Path, target: Path) -> bool:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    log.info("writing an int8 copy of %s (once: this first load takes longer)", source)
    quantize_dynamic(str(source), str(target), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
    log.info("quantized %s in %.1f s", source.name, time.perf_counter() - started)
    return True


def int8_graph(folder: Path, cache_root: Path | None = None) -> Path | None:
    """The folder's own int8 graph, else the derived one (made on first use); None when it cannot be made."""
    try:
        return find_graph(folder, "quantized")
    except InvalidModelFileError:
        pass
    from engines.onnx.derived import derived_entry
    from engines.paths import cache_dir

    source = find_graph(folder, "full")
    root = cache_root or cache_dir() / CACHE
    entry = derived_entry(source, root, VERSION, lambda work: quantize(source, work / NAME), expect=[NAME],
                          needs_bytes=source.stat().st_size // 2)
    return entry / NAME if entry is not None else None
