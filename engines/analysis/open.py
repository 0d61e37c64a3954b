"""Open an analyzer from what a user typed: an installed model id, an ONNX folder, or a .gguf chat model.

An ONNX folder (optimum's export or the hub's `onnx/` layout, with tokenizer.json and config.json)
gets the head for the task; a .gguf file is a chat model that labels texts with grammar-constrained
decoding (`engines.analysis.llm`).
"""

from __future__ import annotations

from pathlib import Path

from engines.analysis.results import ANALYSIS_TASKS, AnalysisTask, Analyzer
from engines.encoders.session import QUANTIZED_NAMES, Variant
from engines.errors import InvalidModelFileError, ModelLoadError, UsageError


def model_folder(path: Path) -> tuple[Path, Variant]:
    """The folder holding config.json and tokenizer.json, and which graph a path to a file asks for."""
    if path.is_dir():
        return path, "auto"
    variant: Variant = "quantized" if path.name in QUANTIZED_NAMES else "full"
    folder = path.parent
    if folder.name == "onnx" and not (folder / "tokenizer.json").is_file():
        folder = folder.parent
    return folder, variant


def open_onnx_analyzer(task: AnalysisTask, folder: Path, *, name: str | None = None, threads: int | None = None,
                       variant: Variant = "auto") -> Analyzer:
    if task in ("sentiment", "classify"):
        from engines.analysis.classify import SequenceClassifier

        return SequenceClassifier(folder, task=task, name=name, threads=threads, variant=variant)
    if task == "zero-shot":
        from engines.analysis.zero_shot import ZeroShotClassifier

        return ZeroShotClassifier(folder, name=name, threads=threads, variant=variant)
    if task == "entities":
        from engines.analysis.entities import EntityRecognizer

        return EntityRecognizer(folder, name=name, threads=threads, variant=variant)
    from engines.analysis.qa import QuestionAnswerer

    return QuestionAnswerer(folder, name=name, threads=threads, variant=variant)


def open_analyzer(task: AnalysisTask, ref: str, *, threads: int | None = None, variant: Variant = "auto") -> Analyzer:
    """`variant` for an ONNX folder: "quantized" runs its int8 graph, derived once when it has none."""
    from engines.store.models import resolve_model

    if task not in ANALYSIS_TASKS:
        raise UsageError(f"unknown analysis task '{task}' (one of {', '.join(ANALYSIS_TASKS)})")
    resolved = resolve_model(ref)
    path = resolved.path
    if path.is_file() and path.suffix.lower() == ".gguf":
        try:
            from engines.analysis.llm import open_llm_analyzer  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ModelLoadError("chat models as classifiers are not available in this build") from None
        analyzer: Analyzer = open_llm_analyzer(task, path, threads=threads)
        return analyzer
    if path.is_dir() or path.suffix.lower() == ".onnx":
        folder, chosen = model_folder(path)
        return open_onnx_analyzer(task, folder, name=resolved.label, threads=threads,
                                  variant=variant if path.is_dir() else chosen)
    raise InvalidModelFileError(path, "is not an analysis model (an ONNX folder or a .gguf chat model)")
