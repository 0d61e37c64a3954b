"""open_analyzer: the right head for the task from an ONNX folder or file; a .gguf goes to the chat-model analyzer."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from tiny_heads import build_head, cached

from engines.analysis.classify import SequenceClassifier
from engines.analysis.open import open_analyzer
from engines.analysis.results import AnalysisItem, AnalysisOptions, Classification
from engines.analysis.zero_shot import ZeroShotClassifier
from engines.errors import InvalidModelFileError, UsageError


@pytest.fixture(scope="session")
def sequence_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached(tmp_path_factory.getbasetemp(), "bert-sequence", lambda root: build_head(root, "bert", "sequence"))


def test_folder_and_hub_layout(sequence_model: Path, tmp_path: Path) -> None:
    analyzer = open_analyzer("sentiment", str(sequence_model), threads=1)
    assert isinstance(analyzer, SequenceClassifier) and analyzer.task == "sentiment"
    [result] = analyzer.analyze([AnalysisItem("Good morning")], AnalysisOptions())
    assert isinstance(result, Classification) and len(result.labels) == 3
    # the hub's layout: config and tokenizer at the top, graphs under onnx/
    hub = tmp_path / "hub-model"
    shutil.copytree(sequence_model, hub, ignore=shutil.ignore_patterns("model.onnx", "*.safetensors"))
    (hub / "onnx").mkdir()
    shutil.copyfile(sequence_model / "model.onnx", hub / "onnx" / "model_quantized.onnx")
    by_file = open_analyzer("classify", str(hub / "onnx" / "model_quantized.onnx"), threads=1)
    assert isinstance(by_file, SequenceClassifier) and by_file.model.session.graph.name == "model_quantized.onnx"
    assert by_file.labels == ["negative", "neutral", "positive"]
    # a classification head without NLI labels still opens for zero-shot (entailment id -1: the last class)
    assert isinstance(open_analyzer("zero-shot", str(sequence_model), threads=1), ZeroShotClassifier)


def test_wrong_head_unknown_task_and_not_a_model(sequence_model: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFileError, match="start_logits"):
        open_analyzer("qa", str(sequence_model), threads=1)
    with pytest.raises(UsageError, match="unknown analysis task"):
        open_analyzer("summarize", str(sequence_model))  # type: ignore[arg-type]
    text = tmp_path / "notes.txt"
    text.write_text("hi", encoding="utf-8")
    with pytest.raises(InvalidModelFileError, match="not an analysis model"):
        open_analyzer("sentiment", str(text))


def test_gguf_goes_to_the_chat_model_analyzer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "chat.gguf"
    model.write_bytes(b"GGUF")
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("engines.analysis.llm")
    fake.open_llm_analyzer = lambda task, path, threads=None: calls.append((task, path, threads)) or "llm"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "engines.analysis.llm", fake)
    assert open_analyzer("classify", str(model), threads=3) == "llm"  # type: ignore[comparison-overlap]
    assert calls == [("classify", model.resolve(), 3)]


def test_models_convert_analysis_checkpoint(tmp_path_factory: pytest.TempPathFactory,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from engines.analysis.results import Entities
    from engines.cli.main import main

    checkpoint = cached(tmp_path_factory.getbasetemp(), "bert-token", lambda root: build_head(root, "bert", "token"))
    assert main(["models", "convert", str(checkpoint), "--task", "analysis", "--int8", "--id", "ner", "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["tasks"] == ["entities"] and (Path(entry["path"]) / "model_quantized.onnx").is_file()
    text = [AnalysisItem("Hello world, this is a test in Lisbon.")]
    ours = open_analyzer("entities", "ner", threads=1).analyze(text, AnalysisOptions())
    direct = open_analyzer("entities", str(checkpoint), threads=1).analyze(text, AnalysisOptions())
    assert isinstance(ours[0], Entities) and ours == direct  # the same export, registered under its id
    assert main(["models", "convert", str(checkpoint), "--task", "caption"]) == 1  # a BERT is no captioner
    assert "vision-encoder-decoder" in capsys.readouterr().err


def test_int8_is_derived_once_for_an_fp32_folder(sequence_model: Path, tmp_path: Path) -> None:
    from engines.analysis.int8 import CACHE
    from engines.paths import cache_dir

    folder = tmp_path / "fp32-only"
    shutil.copytree(sequence_model, folder)
    texts = [AnalysisItem(t) for t in ("Good morning", "The weather is nice today.", "Where is the station?")]
    full = open_analyzer("sentiment", str(folder), threads=1).analyze(texts, AnalysisOptions())
    int8 = open_analyzer("sentiment", str(folder), threads=1, variant="quantized")
    assert isinstance(int8, SequenceClassifier)
    graph = int8.model.session.graph
    assert graph.name == "model_quantized.onnx" and graph.is_relative_to(cache_dir() / CACHE)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in sequence_model.iterdir())  # untouched
    ours = int8.analyze(texts, AnalysisOptions())
    for a, b in zip(full, ours, strict=True):  # int8 keeps the labels of the scaled-up random head
        assert isinstance(a, Classification) and isinstance(b, Classification)
        assert a.labels[0].label == b.labels[0].label
    again = open_analyzer("sentiment", str(folder), threads=1, variant="quantized")
    assert again.model.session.graph == graph  # type: ignore[attr-defined]  # made once, then reused
