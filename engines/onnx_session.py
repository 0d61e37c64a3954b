"""ONNX Runtime sessions, set up the same way for every ONNX engine (translation, captioning).

One intra-op pool of `threads`, sequential execution (decoding is a chain of small steps, so
inter-op parallelism only adds contention), full graph optimisation, and one clear sentence when
a file is not a model ONNX Runtime can load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import InvalidModelFileError, ModelLoadError

SPIN_ENV = "CANDEIA_ORT_SPIN"


def ort_module() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - the cpu or gpu extra is part of every install
        raise ModelLoadError("ONNX Runtime is not installed; install Candeia with the 'cpu' or 'gpu' extra") from exc
    return onnxruntime


def make_session(path: Path, threads: int | None, providers: list[str] | None = None,
                 spin: bool | None = None, mem_pattern: bool = True) -> Any:
    """`spin`: let idle worker threads busy-wait between ops (ONNX Runtime's default). Faster on an idle
    machine, much slower when other programs compete for the cores; None reads CANDEIA_ORT_SPIN (0/1)."""
    ort = ort_module()
    options = ort.SessionOptions()
    if spin is None and os.environ.get(SPIN_ENV) in ("0", "1"):
        spin = os.environ[SPIN_ENV] == "1"
    if spin is not None:
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = mem_pattern  # False: a graph whose shapes change every run (a decoder step)
    try:
        return ort.InferenceSession(str(path), options, providers=providers or ["CPUExecutionProvider"])
    except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf/... classes
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise InvalidModelFileError(path, f"ONNX Runtime cannot load it ({first[:200]})") from None
