"""The Analyze page: a pasted text or a CSV through a (fake or tiny real) analyzer, the table, the chart,
highlighted entities, Stop, Export, and the fields each task needs."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.analyze import AnalyzePage
from desktop.pages.analyze.details import highlighted
from engines.analysis.results import (
    AnalysisItem,
    AnalysisOptions,
    AnalysisResult,
    Classification,
    Entities,
    Entity,
    LabelScore,
)
from engines.jobs import CancelToken
from engines.store.model_store import InstalledModel, ModelStore

from .pages import shown_page


class FakeAnalyzer:
    name = "fake"

    def __init__(self, task: str, gate: threading.Event | None = None) -> None:
        self.task = task
        self.gate = gate
        self.closed = False

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, *,
                cancel: CancelToken | None = None, **_: object) -> list[AnalysisResult]:
        if self.gate is not None:
            while not self.gate.wait(0.02):
                if cancel is not None:
                    cancel.raise_if_cancelled()
        if self.task == "entities":
            return [Entities(tuple(Entity("PER", 0.99, item.text[:3], 0, 3) for _ in [0]
                                   if len(item.text) >= 3)) for item in items]
        labels = options.labels or ("POSITIVE", "NEGATIVE")
        return [Classification((LabelScore(labels[0] if "good" in item.text else labels[-1], 0.8),
                                LabelScore(labels[-1] if "good" in item.text else labels[0], 0.2)))
                for item in items]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def page(qtbot: QtBot, installed_model: InstalledModel) -> Iterator[AnalyzePage]:
    ctx = AppContext()
    opened: list[FakeAnalyzer] = []

    def opener(task: str, model: str, threads: int | None) -> FakeAnalyzer:
        opened.append(FakeAnalyzer(task, getattr(page, "gate", None)))
        return opened[-1]

    page = AnalyzePage(ctx, opener=opener)  # type: ignore[arg-type]
    page.opened = opened  # type: ignore[attr-defined]
    with shown_page(qtbot, ctx, page, (1000, 700)):
        yield page


def _run(qtbot: QtBot, page: AnalyzePage) -> None:
    page.run_button.click()
    qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=20_000)


def test_chat_models_are_offered_for_labels_and_the_fields_follow_the_task(page: AnalyzePage) -> None:
    assert page.model.count() == 1 and "chat model" in page.model.currentText()
    assert page.labels.isVisible() and not page.question.isVisible()  # a chat model takes labels
    page.task.setCurrentIndex(page.task.findData("qa"))
    assert page.model.count() == 0 and page.no_model.isVisible() and page.question.isVisible()
    assert not page.run_button.isEnabled()
    page.analyze()
    assert page.status.text() == "Pick a model first."


def test_a_csv_fills_the_table_and_the_chart(qtbot: QtBot, page: AnalyzePage, tmp_path: Path) -> None:
    source = tmp_path / "reviews.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["id", "review"], *[[str(i), "good" if i % 4 else "awful"] for i in range(40)],
                                      ["41", ""], ["42", "x", "extra"]])
    page.set_source(source)
    page.column.setCurrentIndex(page.column.findData("review"))
    page.labels.setText("praise, complaint")
    _run(qtbot, page)
    assert len(page.results.rows) == 42
    assert page.results.counts == {"praise": 30, "complaint": 10}
    assert [label for label, _ in page.chart.bars] == ["praise", "complaint"]
    assert page.results.data(page.results.index(40, 4)) == "empty text"
    assert "Rows analysed: 42" in page.status.text() and "with notes: 2" in page.status.text()
    page.table.selectRow(1)
    assert "praise" in page.details.toPlainText()
    out = tmp_path / "out.jsonl"
    page.export_to(out)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 42 and lines[1]["result"][0]["label"] == "praise"


def test_entities_are_highlighted_and_escaped(qtbot: QtBot, page: AnalyzePage, tmp_path: Path) -> None:
    ModelStore().add(_onnx_folder(tmp_path), name="Tiny NER", tasks=["token-classification"])
    page.task.setCurrentIndex(page.task.findData("entities"))
    assert page.model.count() == 1 and not page.labels.isVisible()
    page.text.setPlainText("<b>Ana</b> lives in Lisbon")
    _run(qtbot, page)
    html = page.details.toHtml()
    assert "&lt;b&gt;" in html and "background-color" in html
    assert page.results.counts == {"PER": 1}


def test_stop_ends_a_run_and_says_so(qtbot: QtBot, page: AnalyzePage) -> None:
    page.gate = threading.Event()  # type: ignore[attr-defined]
    page.text.setPlainText("good day")
    page.run_button.click()
    qtbot.waitUntil(lambda: page.stop_button.isEnabled(), timeout=5_000)
    page.stop_button.click()
    qtbot.waitUntil(lambda: page.run_button.isEnabled(), timeout=10_000)
    assert page.status.text().startswith("Stopped")


def test_highlighting_skips_spans_that_overlap_or_run_past_the_text() -> None:
    html = highlighted("Ana & Bo", [(0, 3, "#fff", "PER"), (2, 5, "#fff", "X"), (6, 99, "#fff", "Y")])
    assert html.count("<span") == 1 and "&amp;" in html and html.endswith("Bo")


def _onnx_folder(tmp_path: Path) -> Path:
    """An installed ONNX folder with the task on its record (the fake opener never reads it)."""
    folder = tmp_path / "ner"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"\x08\x07")
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    return folder


def test_notes_are_shown_in_the_page_language_form() -> None:
    from desktop.pages.analyze.notes import note_text

    assert note_text("truncated to 512 tokens; empty text") == "cut to fit the model (tokens kept: 512); empty text"
    assert note_text("malformed row: 3 fields, the header has 2") == "row could not be read"
    assert note_text("something new") == "something new" and note_text(None) == ""
