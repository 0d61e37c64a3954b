"""Named entities (token classification) with a BERT-class ONNX model, as TokenClassificationPipeline.

Aggregation `simple` groups adjacent tokens by tag; `first` first gives each word its first
sub-token's label. Words and entities carry character offsets into the text.

A text longer than the model takes is not truncated (the pipeline's default would drop its end): it
is cut into windows of the model's length that overlap by a quarter of it, and entities found twice
in an overlap are merged as the pipeline merges them when given `stride` — the result equals
`pipeline(..., stride=max_length // 4)`, and the note says how many windows the text took.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engines.analysis.entity_groups import Aggregation, Token, continuation, entities_of, merge_overlapping
from engines.analysis.head import FloatArray, HeadAnalyzer, in_chunks, softmax
from engines.analysis.notes import windows_note
from engines.analysis.results import AnalysisItem, AnalysisOptions, AnalysisResult, AnalysisTask, Entities
from engines.jobs import CancelToken, ProgressCallback


class EntityRecognizer(HeadAnalyzer):
    task: AnalysisTask = "entities"

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        super().__init__(folder, **kwargs)
        tokenizer = self.model.tokenizer
        self.stride = tokenizer.max_length // 4
        self.prefix = tokenizer.subword_prefix
        self.unk_id = tokenizer.unk_id

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None,
                progress: ProgressCallback | None = None) -> list[AnalysisResult]:
        def work(part: Sequence[AnalysisItem]) -> list[AnalysisResult]:
            texts = [item.text for item in part]
            windows = self.model.tokenizer.windows(texts, stride=self.stride)
            flat = [w for text_windows in windows for w in text_windows]
            outputs = iter(self.model.run(flat, per_token=True, batch_size=self.batch_size, cancel=cancel))
            results: list[AnalysisResult] = []
            for text, text_windows in zip(texts, windows, strict=True):
                found = [e for w in text_windows
                         for e in self._entities(text, w, next(outputs)["logits"], options.aggregation)]
                many = len(text_windows) > 1
                results.append(Entities(tuple(merge_overlapping(found) if many else found),
                                        windows_note(len(text_windows)) if many else None))
            return results

        return in_chunks(items, work, batch_size=self.batch_size, cancel=cancel, progress=progress)

    def _entities(self, text: str, window: Any, logits: FloatArray, aggregation: Aggregation) -> list[Any]:
        scores = softmax(logits)
        tokens = []
        for index, (token_id, special) in enumerate(zip(window.ids, window.special_tokens_mask, strict=True)):
            if special:
                continue
            start, end = window.offsets[index]
            word = self.model.tokenizer.id_to_token(token_id)
            subword = continuation(word, text, start, end, self.prefix)
            if token_id == self.unk_id:
                word, subword = text[start:end], False
            tokens.append(Token(word, scores[index], start, end, subword))
        return entities_of(tokens, self.model.config.id2label, aggregation, self.model.tokenizer.tokens_to_string)
