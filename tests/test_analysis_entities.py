"""Token classification (NER) on ONNX equals transformers' TokenClassificationPipeline on the same weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tiny_heads import MAX_LENGTH, build_head, cached, reference_pipeline

from engines.analysis.entities import EntityRecognizer
from engines.analysis.results import AnalysisItem, AnalysisOptions, Entities

TEXTS = [
    "Hello world, this is a test of the translation engine in Lisbon.",
    "Olá mundo, isto é um teste. Onde fica a estação?",
    "Guten Morgen und gute Nacht, Bonjour le monde 🙂 zzyzx!",
    "Numbers like 12 and 345 appear   too.",
    "",
]
LONG = " ".join(["The quick brown fox jumps over the lazy dog while ships sail over the sea near Lisbon."] * 12)


@pytest.fixture(scope="session", params=["bert", "xlmr"])
def ner_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    kind = str(request.param)
    return cached(tmp_path_factory.getbasetemp(), f"{kind}-token", lambda root: build_head(root, kind, "token"))


def _check(ours: Entities, expected: list[dict[str, Any]]) -> None:
    assert [(e.group, e.word, e.start, e.end) for e in ours.entities] == \
        [(d["entity_group"], d["word"], d["start"], d["end"]) for d in expected]
    assert [e.score for e in ours.entities] == pytest.approx([float(d["score"]) for d in expected], abs=1e-4)


@pytest.mark.parametrize("aggregation", ["simple", "first"])
def test_entities_parity(ner_model: Path, aggregation: str) -> None:
    reference = reference_pipeline("token-classification", ner_model, aggregation_strategy=aggregation)
    recognizer = EntityRecognizer(ner_model, threads=1, batch_size=2)
    ours = recognizer.analyze([AnalysisItem(t) for t in TEXTS], AnalysisOptions(aggregation=aggregation))  # type: ignore[arg-type]
    found = 0
    for text, result in zip(TEXTS, ours, strict=True):
        assert isinstance(result, Entities) and result.note is None
        _check(result, reference(text))
        found += len(result.entities)
        for entity in result.entities:  # offsets point into the text
            assert 0 <= entity.start < entity.end <= len(text)
    assert found > 5  # the random head does tag things: the comparison is not of empty lists


@pytest.mark.parametrize("aggregation", ["simple", "first"])
def test_long_text_in_windows_equals_the_pipeline_with_stride(ner_model: Path, aggregation: str) -> None:
    recognizer = EntityRecognizer(ner_model, threads=1)
    [result] = recognizer.analyze([AnalysisItem(LONG)], AnalysisOptions(aggregation=aggregation))  # type: ignore[arg-type]
    assert isinstance(result, Entities) and result.note is not None and "windows" in result.note
    reference = reference_pipeline("token-classification", ner_model, aggregation_strategy=aggregation,
                                   stride=MAX_LENGTH // 4)
    _check(result, reference(LONG))
    assert max(e.end for e in result.entities) > len(LONG) * 0.8  # the end of the text was read too
