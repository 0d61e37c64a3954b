"""Open whatever analyzer a model reference names: a GGUF chat model, or an ONNX analysis model."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import cast

from engines.analysis.results import AnalysisTask, Analyzer
from engines.errors import CandeiaError
from engines.store.model_store import ModelFormat
from engines.store.models import resolve_model


def is_chat_model(ref: str) -> bool:
    resolved = resolve_model(ref)
    if resolved.installed is not None:
        return resolved.installed.format is ModelFormat.gguf
    return resolved.path.is_file() and resolved.path.suffix.lower() == ".gguf"


def open_any_analyzer(task: AnalysisTask, ref: str | Path, *, threads: int | None = None) -> Analyzer:
    if is_chat_model(str(ref)):
        from engines.analysis.llm import open_llm_analyzer

        return open_llm_analyzer(task, ref, threads=threads)
    try:  # the ONNX heads (engines/analysis/open.py) may be absent from a build without them
        onnx = importlib.import_module("engines.analysis.open")
    except ModuleNotFoundError:
        raise CandeiaError(f"{Path(ref).name} is not a GGUF chat model, and this build has no ONNX "
                           "analysis models") from None
    return cast(Analyzer, onnx.open_analyzer(task, str(ref), threads=threads))
