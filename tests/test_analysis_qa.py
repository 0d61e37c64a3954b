"""Extractive question answering on ONNX equals transformers' QA pipeline on the same weights."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_heads import build_head, cached, reference_pipeline

from engines.analysis.qa import QuestionAnswerer
from engines.analysis.results import AnalysisItem, AnalysisOptions, Answer
from engines.errors import UsageError

CONTEXTS = [
    "The weather is nice today. Ships sail over the sea while birds fly over land.",
    "Olá mundo, isto é um teste. Onde fica a estação? O tempo está bom hoje.",
    " ".join(["The quick brown fox jumps over the lazy dog near the station, 12 or 345 times."] * 8),
]
QUESTIONS = ["Where is the station?", "What is the weather like?", "Who jumps over the lazy dog?"]


@pytest.fixture(scope="session")
def qa_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached(tmp_path_factory.getbasetemp(), "distilbert-qa", lambda root: build_head(root, "distilbert", "qa"))


def _same(ours: Answer, expected: dict[str, object]) -> None:
    assert (ours.answer, ours.start, ours.end) == (expected["answer"], expected["start"], expected["end"])
    assert ours.score == pytest.approx(float(expected["score"]), abs=1e-4)  # type: ignore[arg-type]


@pytest.mark.parametrize("extra", [{}, {"max_answer_len": "3"}, {"handle_impossible_answer": "true"},
                                   {"doc_stride": "8"}])
def test_answers_parity(qa_model: Path, extra: dict[str, str]) -> None:
    kwargs: dict[str, object] = {k: (v == "true" if k.startswith("handle") else int(v)) for k, v in extra.items()}
    reference = reference_pipeline("question-answering", qa_model)
    answerer = QuestionAnswerer(qa_model, threads=1, batch_size=4)
    items = [AnalysisItem(c, q) for c, q in zip(CONTEXTS, QUESTIONS, strict=True)]
    ours = answerer.analyze(items, AnalysisOptions(extra=extra))
    for item, result in zip(items, ours, strict=True):
        assert isinstance(result, Answer)
        _same(result, reference(question=item.question, context=item.text, **kwargs))
        assert result.answer == item.text[result.start:result.end]
    assert ours[2].note is not None and "windows" in ours[2].note  # the long context took several windows
    assert ours[0].note is None


def test_bad_questions_and_settings(qa_model: Path) -> None:
    answerer = QuestionAnswerer(qa_model, threads=1)
    with pytest.raises(UsageError, match="question"):
        answerer.analyze([AnalysisItem("context only")], AnalysisOptions())
    with pytest.raises(UsageError, match="whole numbers"):
        answerer.analyze([AnalysisItem("c", "q?")], AnalysisOptions(extra={"max_answer_len": "many"}))
    with pytest.raises(UsageError, match="doc_stride"):
        answerer.analyze([AnalysisItem("c", "q?")], AnalysisOptions(extra={"doc_stride": "999"}))


def test_question_longer_than_the_model_says_so(qa_model: Path) -> None:
    answerer = QuestionAnswerer(qa_model, threads=1)
    with pytest.raises(UsageError, match="does not fit the model's 64 tokens"):
        answerer.analyze([AnalysisItem("A short context.", "where " * 80 + "?")], AnalysisOptions())
