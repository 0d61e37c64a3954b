"""Extractive question answering with a BERT-class ONNX model, as transformers' QA pipeline.

The question comes first and the context second; a context longer than the model takes is read in
windows of `max_seq_len` tokens (the smaller of the model's limit and 384) that overlap by
`doc_stride` (half of that, at most 128), the pipeline's defaults. Each window proposes its 12 best
spans (at most `max_answer_len` tokens, 15 by default), aligned to whole words; equal answers from
several windows add their scores, and the best one wins. `handle_impossible_answer` (off by default)
lets the empty answer win when the model's no-answer score is higher.

Knobs in `AnalysisOptions.extra`: max_answer_len, doc_stride, max_seq_len, handle_impossible_answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.analysis.head import HeadAnalyzer, in_chunks
from engines.analysis.notes import NO_ANSWER, windows_note
from engines.analysis.results import AnalysisItem, AnalysisOptions, AnalysisResult, AnalysisTask, Answer
from engines.analysis.spans import select_spans
from engines.errors import UsageError
from engines.jobs import CancelToken, ProgressCallback

NULL_SCORE = 1000000.0  # the pipeline's start: larger than any probability


@dataclass(frozen=True)
class QaSettings:
    max_answer_len: int = 15
    handle_impossible: bool = False
    max_seq_len: int = 384
    doc_stride: int = 128
    top_k: int = 1


def qa_settings(options: AnalysisOptions, model_limit: int) -> QaSettings:
    extra = options.extra
    try:
        seq = int(extra.get("max_seq_len", min(model_limit, 384)))
        stride = int(extra.get("doc_stride", min(seq // 2, 128)))
        answer_len = int(extra.get("max_answer_len", 15))
    except ValueError as exc:
        raise UsageError(f"question answering settings must be whole numbers ({exc})") from None
    if answer_len < 1 or not 0 <= stride < seq or seq > model_limit:
        raise UsageError(f"question answering needs max_answer_len >= 1 and doc_stride < max_seq_len <= "
                         f"{model_limit} (got {answer_len}, {stride}, {seq})")
    impossible = extra.get("handle_impossible_answer", "false").lower() in ("1", "true", "yes")
    return QaSettings(answer_len, impossible, seq, stride)


def _span_chars(window: Any, s: int, e: int) -> tuple[int, int]:
    """Character span of tokens s..e, widened to whole words (the pipeline's align_to_words)."""
    try:
        return (window.word_to_chars(window.token_to_word(s), sequence_index=1)[0],
                window.word_to_chars(window.token_to_word(e), sequence_index=1)[1])
    except Exception:  # a token outside any word: its own offsets, as the pipeline falls back
        return window.offsets[s][0], window.offsets[e][1]


class QuestionAnswerer(HeadAnalyzer):
    task: AnalysisTask = "qa"
    OUTPUTS = ("start_logits", "end_logits")

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        super().__init__(folder, **kwargs)
        self.cls_id = self.model.tokenizer.token_id("[CLS]")
        if self.cls_id is None:
            self.cls_id = self.model.tokenizer.token_id("<s>")

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]:
        settings = qa_settings(options, self.model.tokenizer.max_length)
        for item in items:
            if not item.question or not item.question.strip():
                raise UsageError("question answering needs a question for every context")

        def work(part: Sequence[AnalysisItem]) -> list[AnalysisResult]:
            windows = self.model.tokenizer.windows([item.question or "" for item in part],
                                                   [item.text for item in part], max_length=settings.max_seq_len,
                                                   strategy="only_second", stride=settings.doc_stride)
            flat = [w for item_windows in windows for w in item_windows]
            outputs = iter(self.model.run(flat, per_token=True, batch_size=self.batch_size, cancel=cancel))
            return [self._answer(item.text, ws, [next(outputs) for _ in ws], settings)
                    for item, ws in zip(part, windows, strict=True)]

        return in_chunks(items, work, batch_size=self.batch_size, cancel=cancel, progress=progress)

    def _answer(self, context: str, windows: Sequence[Any], outputs: Sequence[dict[str, Any]],
                settings: QaSettings) -> Answer:
        null = NULL_SCORE
        answers: list[dict[str, Any]] = []
        for window, out in zip(windows, outputs, strict=True):
            # only context tokens may be in the answer, and [CLS] (for the no-answer score)
            p_mask = np.array([[int(seq != 1 and tid != self.cls_id) for seq, tid in
                                zip(window.sequence_ids, window.ids, strict=True)]], dtype=np.int64)
            starts, ends, scores, null = select_spans(out["start_logits"][None], out["end_logits"][None], p_mask,
                                                      null, settings.top_k * 2 + 10, settings.handle_impossible,
                                                      settings.max_answer_len)
            for s, e, score in zip(starts, ends, scores, strict=True):
                first, last = _span_chars(window, int(s), int(e))
                text = context[first:last]
                same = next((a for a in answers if a["answer"].lower() == text.lower()), None)
                if same is not None:
                    same["score"] += float(score)
                else:
                    answers.append({"score": float(score), "start": first, "end": last, "answer": text})
        if settings.handle_impossible:
            answers.append({"score": null, "start": 0, "end": 0, "answer": ""})
        answers.sort(key=lambda a: a["score"], reverse=True)
        note = windows_note(len(windows)) if len(windows) > 1 else None
        if not answers:
            return Answer("", 0.0, 0, 0, note or NO_ANSWER)
        best = answers[0]
        return Answer(best["answer"], best["score"], best["start"], best["end"], note)
