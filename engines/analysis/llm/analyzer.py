"""A chat model as an Analyzer: sentiment, topics and zero-shot labels (or a JSON schema's fields).

Labels come out of llama.cpp's grammar-constrained decoding, so every reply is one of the labels.
The confidence of a label is the probability the model gives its whole text after the prompt (the
product over its tokens), normalised over the label set: the scores sum to 1, as a softmax head's
do. The first label is the one the model wrote; the rest follow by score. With `multi_label` each
label is its own yes/no question and its score is P(yes) / (P(yes) + P(no)).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from engines.analysis.llm import prompts
from engines.analysis.llm.grammar import check_schema, label_grammar
from engines.analysis.llm.hosted import HostedLabeler, Labelled, open_labeler
from engines.analysis.notes import truncated_note
from engines.analysis.results import (
    AnalysisItem,
    AnalysisOptions,
    AnalysisResult,
    AnalysisTask,
    Classification,
    LabelScore,
)
from engines.errors import CandeiaError
from engines.jobs import CancelToken, ProgressCallback

LLM_TASKS: tuple[AnalysisTask, ...] = ("sentiment", "classify", "zero-shot")
SCHEMA_KEY = "json_schema"


def normalised(logprobs: Sequence[float]) -> list[float]:
    top = max(logprobs)
    weights = [math.exp(lp - top) for lp in logprobs]
    total = sum(weights)
    return [w / total for w in weights]


def truncation_note(labelled: Labelled) -> str | None:
    """The ONNX heads' note (engines/analysis/notes.py), so a UI translates both alike."""
    return truncated_note(labelled.kept_tokens) if labelled.kept_tokens < labelled.text_tokens else None


class LLMAnalyzer:
    def __init__(self, task: AnalysisTask, labeler: HostedLabeler) -> None:
        if task not in LLM_TASKS:
            raise CandeiaError(f"a chat model does {', '.join(LLM_TASKS)}; '{task}' needs an analysis model")
        self.task: AnalysisTask = task
        self.name = labeler.name
        self._labeler = labeler

    def labels_for(self, options: AnalysisOptions) -> tuple[str, ...]:
        labels = tuple(dict.fromkeys(label.strip() for label in options.labels if label.strip()))
        if labels:
            return labels
        if self.task == "sentiment":
            return prompts.SENTIMENT_LABELS
        raise CandeiaError("a chat model needs the labels to choose from (for example --labels sport,politics)")

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]:
        schema = options.extra.get(SCHEMA_KEY, "")
        labels = () if schema else self.labels_for(options)
        schema = check_schema(schema) if schema else ""
        out: list[AnalysisResult] = []
        for index, item in enumerate(items):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if schema:
                out.append(self._extract(item.text, schema))
            elif options.multi_label:
                out.append(self._multi(item.text, labels))
            else:
                out.append(self._single(item.text, labels))
            if progress is not None:
                progress(index + 1, len(items))
        return out

    def _single(self, text: str, labels: tuple[str, ...]) -> Classification:
        labelled = self._labeler.label(prompts.one_label(self.task, labels), text, grammar=label_grammar(labels),
                                       choices=labels, max_tokens=max(len(label) for label in labels) + 4)
        scores = dict(zip(labels, normalised(labelled.logprobs), strict=True))
        written = labelled.text.strip()
        ranked = sorted(labels, key=lambda label: (label != written, -scores[label]))
        return Classification(tuple(LabelScore(label, scores[label]) for label in ranked), truncation_note(labelled))

    def _multi(self, text: str, labels: tuple[str, ...]) -> Classification:
        grammar = label_grammar(prompts.YES_NO)
        scored: list[LabelScore] = []
        note = None
        for label in labels:
            labelled = self._labeler.label(prompts.label_applies(label), text, grammar=grammar,
                                           choices=prompts.YES_NO, max_tokens=4)
            scored.append(LabelScore(label, normalised(labelled.logprobs)[0]))
            note = note or truncation_note(labelled)
        return Classification(tuple(sorted(scored, key=lambda s: -s.score)), note)

    def _extract(self, text: str, schema: str) -> Classification:
        labelled = self._labeler.label(prompts.extract(schema), text, json_schema=schema, max_tokens=512)
        try:
            value = json.loads(labelled.text)
        except json.JSONDecodeError:  # only when the reply hit max_tokens before the JSON closed
            raise CandeiaError("the model's JSON reply was cut off at 512 tokens") from None
        steps = labelled.token_logprobs
        confidence = math.exp(sum(steps) / len(steps)) if steps else 0.0  # geometric mean per token
        compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return Classification((LabelScore(compact, confidence),), truncation_note(labelled))

    def close(self) -> None:
        self._labeler.close()


def open_llm_analyzer(task: AnalysisTask, path: str | Path, *, threads: int | None = None) -> LLMAnalyzer:
    """A GGUF chat model (an installed id or a file) as an Analyzer for `task`, in an engine host."""
    if task not in LLM_TASKS:
        raise CandeiaError(f"a chat model does {', '.join(LLM_TASKS)}; '{task}' needs an analysis model")
    return LLMAnalyzer(task, open_labeler(path, threads=threads))
