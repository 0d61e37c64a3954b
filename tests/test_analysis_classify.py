"""Sequence classification and zero-shot on ONNX equal transformers' pipelines on the same weights."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_heads import SEQUENCE_LABELS, build_head, cached, labels_config, reference_pipeline, variant

from engines.analysis.classify import SequenceClassifier
from engines.analysis.results import AnalysisItem, AnalysisOptions, Classification
from engines.analysis.zero_shot import ZeroShotClassifier
from engines.errors import InvalidModelFileError, UsageError

TEXTS = [
    "The weather is nice today.",
    "Olá mundo, isto é um teste!",
    "Where is the station?",
    "Ships sail over the sea while birds fly over land, and the quick brown fox jumps over the lazy dog.",
    "I would like a cup of coffee, please 🙂",
    "",
    "Numbers like 12 and 345 appear too.",
]
TOPICS = ["sports", "weather", "travel", "food"]


@pytest.fixture(scope="session")
def sequence_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached(tmp_path_factory.getbasetemp(), "bert-sequence", lambda root: build_head(root, "bert", "sequence"))


def _items(texts: list[str]) -> list[AnalysisItem]:
    return [AnalysisItem(t) for t in texts]


def _same(ours: Classification, labels: list[str], scores: list[float]) -> None:
    assert [x.label for x in ours.labels] == labels
    assert [x.score for x in ours.labels] == pytest.approx(scores, abs=1e-4)


@pytest.mark.parametrize("multi", [False, True])
def test_sequence_classification_parity(sequence_model: Path, multi: bool) -> None:
    folder = (variant(sequence_model, "multi", problem_type="multi_label_classification") if multi
              else sequence_model)
    expected = reference_pipeline("text-classification", folder, top_k=None)(TEXTS)
    classifier = SequenceClassifier(folder, task="sentiment", threads=1, batch_size=3)
    ours = classifier.analyze(_items(TEXTS), AnalysisOptions())
    assert len(ours) == len(TEXTS)
    for result, reference in zip(ours, expected, strict=True):
        assert isinstance(result, Classification) and result.note is None
        _same(result, [d["label"] for d in reference], [d["score"] for d in reference])
        total = sum(x.score for x in result.labels)
        assert (total > 1.01 or total < 0.99) if multi else total == pytest.approx(1.0, abs=1e-5)
    assert {x.label for x in ours[0].labels} == set(SEQUENCE_LABELS)


def test_long_text_is_truncated_with_a_note(sequence_model: Path) -> None:
    classifier = SequenceClassifier(sequence_model, threads=1)
    long_text = "good morning and good night " * 100
    [result] = classifier.analyze([AnalysisItem(long_text)], AnalysisOptions())
    assert isinstance(result, Classification) and result.note == "truncated to 64 tokens"
    # the pipeline itself does not truncate; asked to, it cuts where Candeia does
    expected = reference_pipeline("text-classification", sequence_model, top_k=None)([long_text], truncation=True)[0]
    _same(result, [d["label"] for d in expected], [d["score"] for d in expected])


@pytest.mark.parametrize(("order", "multi"), [("entail-last", False), ("entail-last", True), ("entail-first", False)])
def test_zero_shot_parity(sequence_model: Path, order: str, multi: bool) -> None:
    names = ["contradiction", "neutral", "entailment"]
    folder = variant(sequence_model, f"nli-{order}", **labels_config(names if order == "entail-last" else names[::-1]))
    reference = reference_pipeline("zero-shot-classification", folder)
    template = "This text is about {}."
    texts = [t for t in TEXTS if t]  # the pipeline refuses an empty text
    expected = reference(texts, candidate_labels=TOPICS, multi_label=multi, hypothesis_template=template)
    classifier = ZeroShotClassifier(folder, threads=1, batch_size=5)
    ours = classifier.analyze(_items(texts), AnalysisOptions(labels=tuple(TOPICS), multi_label=multi,
                                                            hypothesis_template=template))
    for result, ref in zip(ours, expected, strict=True):
        assert isinstance(result, Classification)
        _same(result, ref["labels"], ref["scores"])
    single = classifier.analyze(_items(TEXTS[:2]), AnalysisOptions(labels=("weather",)))
    ref_single = reference(TEXTS[:2], candidate_labels=["weather"])
    for result, ref in zip(single, ref_single, strict=True):  # one label: entailment vs contradiction
        assert isinstance(result, Classification)
        _same(result, ref["labels"], ref["scores"])


def test_zero_shot_needs_labels_and_a_template_slot(sequence_model: Path) -> None:
    folder = variant(sequence_model, "nli-entail-last", **labels_config(["contradiction", "neutral", "entailment"]))
    classifier = ZeroShotClassifier(folder, threads=1)
    with pytest.raises(UsageError, match="at least one label"):
        classifier.analyze(_items(["hi"]), AnalysisOptions())
    with pytest.raises(UsageError, match="template"):
        classifier.analyze(_items(["hi"]), AnalysisOptions(labels=("a",), hypothesis_template="No slot."))


def test_progress_cancel_and_wrong_model(sequence_model: Path, tmp_path: Path) -> None:
    from engines.jobs import Cancelled, CancelToken

    classifier = SequenceClassifier(sequence_model, threads=1, batch_size=1)
    seen: list[tuple[int, int]] = []
    classifier.analyze(_items(TEXTS), AnalysisOptions(), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 7), (7, 7)]  # chunks of 4 batches
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        classifier.analyze(_items(TEXTS), AnalysisOptions(), cancel=token)
    assert classifier.analyze([], AnalysisOptions()) == []
    with pytest.raises(InvalidModelFileError, match=r"tokenizer\.json"):
        SequenceClassifier(tmp_path)


def test_notes_parse_back_for_translation() -> None:
    from engines.analysis.notes import NO_ANSWER, parse_note, truncated_note, windows_note

    assert parse_note(truncated_note(512)) == ("truncated", 512)
    assert parse_note(windows_note(3)) == ("windows", 3)
    assert parse_note(NO_ANSWER) == ("no-answer", 0)
    assert parse_note(None) is None and parse_note("something else") is None
