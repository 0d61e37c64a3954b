"""Chat models as classifiers: llama.cpp's grammar keeps every reply one of the labels (or JSON that fits
the schema), on a tiny random GGUF in an engine host, whatever the labels hold."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from engines.analysis.llm import prompts
from engines.analysis.llm.analyzer import LLMAnalyzer, normalised
from engines.analysis.llm.grammar import check_schema, gbnf_literal, label_grammar
from engines.analysis.llm.hosted import HostedLabeler, open_labeler
from engines.analysis.notes import parse_note
from engines.analysis.results import AnalysisItem, AnalysisOptions, Classification
from engines.errors import CandeiaError
from engines.jobs import CancelToken

TEXTS = [
    "the water was good and the people were kind",
    "I did not like it at all",
    "Onde fica a estação de trem?",
    "",  # the analyzer gets what the rows give it: even an empty text must come back labelled
    "!!! ??? ...",
    "write a long line about the world " * 3,
    "emoji 😀 and tabs\tand\nnew lines",
    "he said \"no\" and left",
]
LABELS = ("good", "water", "kind of", "ação", 'say "hi"', "back\\slash")


@pytest.fixture(scope="module")
def labeler(tiny_gguf: Path) -> Iterator[HostedLabeler]:
    loaded = open_labeler(tiny_gguf, threads=1)
    yield loaded
    loaded.close()


def _check(result: object, labels: tuple[str, ...]) -> Classification:
    assert isinstance(result, Classification)
    assert sorted(s.label for s in result.labels) == sorted(labels)
    assert all(0.0 <= s.score <= 1.0 for s in result.labels)
    return result


def test_every_reply_is_one_of_the_labels(labeler: HostedLabeler) -> None:
    analyzer = LLMAnalyzer("zero-shot", labeler)
    seen: list[tuple[int, int]] = []
    results = analyzer.analyze([AnalysisItem(t) for t in TEXTS], AnalysisOptions(labels=LABELS),
                               progress=lambda done, total: seen.append((done, total)))
    assert len(results) == len(TEXTS) and seen[-1] == (len(TEXTS), len(TEXTS))
    for result in results:
        checked = _check(result, LABELS)
        assert math.isclose(sum(s.score for s in checked.labels), 1.0, rel_tol=1e-6)


def test_the_written_label_is_the_one_the_grammar_produced(labeler: HostedLabeler) -> None:
    labelled = labeler.label(prompts.one_label("classify", LABELS), "good water",
                             grammar=label_grammar(LABELS), choices=LABELS, max_tokens=16)
    assert labelled.text in LABELS  # the raw reply, straight from the grammar-constrained decoder
    assert len(labelled.logprobs) == len(LABELS) and all(lp <= 0.0 for lp in labelled.logprobs)
    result = _check(LLMAnalyzer("classify", labeler).analyze(
        [AnalysisItem("good water")], AnalysisOptions(labels=LABELS))[0], LABELS)
    assert result.labels[0].label == labelled.text  # same prompt through the analyzer: same answer


def test_sentiment_has_default_labels_and_classify_needs_them(labeler: HostedLabeler) -> None:
    result = LLMAnalyzer("sentiment", labeler).analyze([AnalysisItem("good")], AnalysisOptions())[0]
    _check(result, ("positive", "negative", "neutral"))
    with pytest.raises(CandeiaError, match="labels"):
        LLMAnalyzer("classify", labeler).analyze([AnalysisItem("good")], AnalysisOptions())


def test_multi_label_scores_each_label_on_its_own(labeler: HostedLabeler) -> None:
    labels = ("good", "water", "people")
    result = _check(LLMAnalyzer("zero-shot", labeler).analyze(
        [AnalysisItem(TEXTS[0])], AnalysisOptions(labels=labels, multi_label=True))[0], labels)
    scores = [s.score for s in result.labels]
    assert scores == sorted(scores, reverse=True)


def test_a_json_schema_reply_always_parses(labeler: HostedLabeler) -> None:
    schema = json.dumps({"type": "object", "required": ["mood", "stars"], "properties": {
        "mood": {"enum": ["happy", "angry", "calm"]}, "stars": {"type": "integer", "minimum": 1, "maximum": 5}}})
    options = AnalysisOptions(extra={"json_schema": schema})
    for result in LLMAnalyzer("classify", labeler).analyze([AnalysisItem(t) for t in TEXTS[:3]], options):
        assert isinstance(result, Classification) and len(result.labels) == 1
        value = json.loads(result.labels[0].label)
        assert value["mood"] in ("happy", "angry", "calm") and isinstance(value["stars"], int)
        assert 0.0 < result.labels[0].score <= 1.0


def test_a_text_longer_than_the_context_is_cut_with_a_note(labeler: HostedLabeler) -> None:
    long_text = "the world " * 3000  # about 6,000 tokens for a 2,048-token context
    result = _check(LLMAnalyzer("zero-shot", labeler).analyze(
        [AnalysisItem(long_text)], AnalysisOptions(labels=("good", "water")))[0], ("good", "water"))
    assert result.note is not None and parse_note(result.note) is not None
    kind, kept = parse_note(result.note) or ("", 0)
    assert kind == "truncated" and 1500 < kept < 2048


def test_cancel_stops_between_texts(labeler: HostedLabeler) -> None:
    token = CancelToken()
    token.cancel()
    from engines.jobs import Cancelled

    with pytest.raises(Cancelled):
        LLMAnalyzer("sentiment", labeler).analyze([AnalysisItem("good")], AnalysisOptions(), cancel=token)


def test_chat_models_refuse_entities_and_qa(labeler: HostedLabeler) -> None:
    for task in ("entities", "qa"):
        with pytest.raises(CandeiaError, match="needs an analysis model"):
            LLMAnalyzer(task, labeler)  # type: ignore[arg-type]


def test_grammar_literals_escape_what_gbnf_reads() -> None:
    assert gbnf_literal('say "hi"') == '"say \\"hi\\""'
    assert gbnf_literal("a\\b\nc\x01") == '"a\\\\b\\nc\\x01"'
    assert label_grammar(("yes", "no")) == 'root ::= "yes" | "no"\n'
    with pytest.raises(CandeiaError):
        label_grammar(())


def test_a_schema_must_be_a_json_object() -> None:
    assert check_schema('{ "type": "object" }') == '{"type":"object"}'
    for bad in ("{not json", "[1, 2]"):
        with pytest.raises(CandeiaError, match="schema"):
            check_schema(bad)


def test_scores_are_a_softmax_over_the_labels_log_probabilities() -> None:
    scores = normalised([math.log(0.2), math.log(0.6), -1000.0])
    assert scores[0] == pytest.approx(0.25) and scores[1] == pytest.approx(0.75) and scores[2] < 1e-300 + 1e-12
