"""What every analyzer returns, whichever runtime (an ONNX encoder head or a chat model) produced it.

Field names follow the transformers pipelines' dictionaries, so `--json` output reads like theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from engines.jobs import CancelToken, ProgressCallback

AnalysisTask = Literal["sentiment", "classify", "zero-shot", "entities", "qa"]
ANALYSIS_TASKS: tuple[AnalysisTask, ...] = ("sentiment", "classify", "zero-shot", "entities", "qa")


@dataclass(frozen=True)
class LabelScore:
    label: str
    score: float


@dataclass(frozen=True)
class Classification:
    """Labels best first. With one label per text the scores sum to 1; with multi-label each is its own."""

    labels: tuple[LabelScore, ...]
    note: str | None = None  # e.g. "truncated to 512 tokens"


@dataclass(frozen=True)
class Entity:
    group: str  # "PER", "LOC", ... (the pipeline's entity_group)
    score: float
    word: str
    start: int  # character offsets into the input text
    end: int


@dataclass(frozen=True)
class Entities:
    entities: tuple[Entity, ...]
    note: str | None = None


@dataclass(frozen=True)
class Answer:
    answer: str
    score: float
    start: int  # character offsets into the context
    end: int
    note: str | None = None


AnalysisResult = Classification | Entities | Answer


@dataclass(frozen=True)
class AnalysisItem:
    """One row: the text (a review, a message, a QA context) and, for `qa`, its question."""

    text: str
    question: str | None = None


@dataclass(frozen=True)
class AnalysisOptions:
    labels: tuple[str, ...] = ()  # zero-shot and chat-model classification: the labels the user typed
    multi_label: bool = False
    hypothesis_template: str = "This example is {}."  # zero-shot, as the transformers pipeline
    aggregation: Literal["simple", "first"] = "simple"  # entities
    extra: dict[str, str] = field(default_factory=dict)  # runtime-specific knobs (e.g. a JSON schema)


class Analyzer(Protocol):
    task: AnalysisTask
    name: str

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]: ...

    def close(self) -> None: ...
