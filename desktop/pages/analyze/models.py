"""Which installed models can do an analysis task: analysis models by their tasks, and chat models."""

from __future__ import annotations

from engines.analysis.llm import LLM_TASKS
from engines.analysis.results import AnalysisTask
from engines.store.model_store import InstalledModel, ModelFormat

# the names a card or an ONNX folder may give each task (ours, and the transformers pipelines')
TASK_NAMES: dict[AnalysisTask, frozenset[str]] = {
    "sentiment": frozenset({"sentiment", "text-classification"}),
    "classify": frozenset({"classify", "text-classification"}),
    "zero-shot": frozenset({"zero-shot", "zero-shot-classification"}),
    "entities": frozenset({"entities", "ner", "token-classification"}),
    "qa": frozenset({"qa", "question-answering"}),
}


def analysis_models(task: AnalysisTask, installed: list[InstalledModel]) -> list[InstalledModel]:
    onnx = [m for m in installed if m.format is ModelFormat.onnx and TASK_NAMES[task] & set(m.tasks)]
    chat = [m for m in installed if m.format is ModelFormat.gguf and "chat" in m.tasks] if task in LLM_TASKS else []
    return onnx + chat
