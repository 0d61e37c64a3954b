"""Zero-shot classification through an NLI model, as transformers' zero-shot-classification pipeline.

Each (text, label) pair becomes a premise and the hypothesis "This example is {label}."; the
entailment logit says how well the label fits. One label per text: softmax of the entailment logits
over the labels. `multi_label` (or a single label): each label's own softmax of entailment against
contradiction. The entailment id is the first label in config.json whose name starts with
"entail"; only the premise is truncated, never the hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engines.analysis.head import FloatArray, HeadAnalyzer, HeadConfig, in_chunks
from engines.analysis.notes import truncated_note
from engines.analysis.results import (
    AnalysisItem,
    AnalysisOptions,
    AnalysisResult,
    AnalysisTask,
    Classification,
    LabelScore,
)
from engines.errors import InvalidModelFileError, UsageError
from engines.jobs import CancelToken, ProgressCallback


def entailment_id(config: HeadConfig) -> int:
    for label, index in config.label2id.items():
        if label.lower().startswith("entail"):
            return index
    return -1


def check_labels(labels: Sequence[str], template: str) -> None:
    if not labels:
        raise UsageError("zero-shot classification needs at least one label (for example --labels sports,politics)")
    if template.format(labels[0]) == template:
        raise UsageError(f'the hypothesis template "{template}" has no {{}} where the label goes')


def label_scores(logits: FloatArray, entail: int, multi_label: bool) -> FloatArray:
    """Scores per label from the (labels, classes) NLI logits of one text."""
    if multi_label or logits.shape[0] == 1:
        contradiction = -1 if entail == 0 else 0
        pair = np.exp(logits[:, [contradiction, entail]])
        return np.asarray(pair[:, 1] / pair.sum(-1), dtype=np.float32)
    entail_logits = np.exp(logits[:, entail])
    return np.asarray(entail_logits / entail_logits.sum(), dtype=np.float32)


class ZeroShotClassifier(HeadAnalyzer):
    task: AnalysisTask = "zero-shot"

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        super().__init__(folder, **kwargs)
        if self.model.config.num_labels < 2:
            raise InvalidModelFileError(folder, "is not an NLI model (its head has one output)")
        self.entail = entailment_id(self.model.config)

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]:
        labels = list(options.labels)
        check_labels(labels, options.hypothesis_template)
        hypotheses = [options.hypothesis_template.format(label) for label in labels]
        # a batch of texts becomes texts x labels pairs: keep about batch_size pairs per run
        per_run = max(1, self.batch_size // len(labels))

        def work(part: Sequence[AnalysisItem]) -> list[AnalysisResult]:
            premises = [item.text for item in part for _ in labels]
            windows = self.model.tokenizer.windows(premises, hypotheses * len(part), strategy="only_first")
            outputs = self.model.run([w[0] for w in windows], per_token=False, batch_size=self.batch_size,
                                     cancel=cancel)
            logits = np.stack([out["logits"] for out in outputs]).reshape(len(part), len(labels), -1)
            results: list[AnalysisResult] = []
            for row in range(len(part)):
                scores = label_scores(logits[row], self.entail, options.multi_label)
                # the pipeline's order: argsort reversed (ties keep its order, not a stable sort's)
                ranked = [LabelScore(labels[i], float(scores[i])) for i in reversed(np.argsort(scores))]
                cut = len(windows[row * len(labels)]) > 1
                results.append(Classification(tuple(ranked), truncated_note(self.model.tokenizer.max_length)
                                              if cut else None))
            return results

        return in_chunks(items, work, batch_size=per_run, cancel=cancel, progress=progress)
