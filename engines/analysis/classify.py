"""Sequence classification (sentiment, topics) with a BERT-class ONNX model's own labels.

The scores are the text-classification pipeline's (`top_k=None`): sigmoid for a multi-label head
(`problem_type` "multi_label_classification") or a single logit, none for regression, softmax
otherwise; every label comes back, best first. `multi_label=True` in the options asks for sigmoid
on any head (the pipeline's `function_to_apply="sigmoid"`). The pipeline does not truncate; a text
longer than the model takes is cut to its limit here, and the result says so in its note.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engines.analysis.head import FloatArray, HeadAnalyzer, HeadConfig, in_chunks, sigmoid, softmax
from engines.analysis.notes import truncated_note
from engines.analysis.results import (
    AnalysisItem,
    AnalysisOptions,
    AnalysisResult,
    AnalysisTask,
    Classification,
    LabelScore,
)
from engines.encoders.session import Variant
from engines.jobs import CancelToken, ProgressCallback


def scores_for(logits: FloatArray, config: HeadConfig, multi_label: bool = False) -> FloatArray:
    if multi_label or config.problem_type == "multi_label_classification" or config.num_labels == 1:
        return sigmoid(logits)
    if config.problem_type == "regression":
        return logits
    return softmax(logits)


def ranked(scores: FloatArray, id2label: dict[int, str]) -> tuple[LabelScore, ...]:
    labels = [LabelScore(id2label.get(i, f"LABEL_{i}"), float(s)) for i, s in enumerate(np.ravel(scores))]
    labels.sort(key=lambda x: x.score, reverse=True)  # stable, as the pipeline's sort
    return tuple(labels)


class SequenceClassifier(HeadAnalyzer):
    def __init__(self, folder: Path, *, task: AnalysisTask = "classify", name: str | None = None,
                 threads: int | None = None, variant: Variant = "auto", batch_size: int = 32) -> None:
        super().__init__(folder, name=name, threads=threads, variant=variant, batch_size=batch_size)
        self.task: AnalysisTask = task

    @property
    def labels(self) -> list[str]:
        return [self.model.config.id2label[i] for i in sorted(self.model.config.id2label)]

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]:
        def work(part: Sequence[AnalysisItem]) -> list[AnalysisResult]:
            windows = self.model.tokenizer.windows([item.text for item in part])
            outputs = self.model.run([w[0] for w in windows], per_token=False, batch_size=self.batch_size,
                                     cancel=cancel)
            note = truncated_note(self.model.tokenizer.max_length)
            return [Classification(ranked(scores_for(out["logits"], self.model.config, options.multi_label),
                                          self.model.config.id2label), note if len(w) > 1 else None)
                    for w, out in zip(windows, outputs, strict=True)]

        return in_chunks(items, work, batch_size=self.batch_size, cancel=cancel, progress=progress)
