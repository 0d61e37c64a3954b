"""`candeia-cli analyze` over files: streaming, malformed rows with notes, resumable output, exit codes.
A fake analyzer keeps these fast; tests/test_analysis_llm.py covers the chat-model analyzer itself."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

import pytest

from engines.analysis import open as analysis_open
from engines.analysis.output import Done, ResultFile
from engines.analysis.results import (
    AnalysisItem,
    AnalysisOptions,
    AnalysisResult,
    Classification,
    LabelScore,
)
from engines.analysis.rows import MAX_CHARS, Columns, read_rows
from engines.analysis.run import analyze_stream
from engines.cli.analyze_cmd import TASK_HELP
from engines.cli.main import main
from engines.errors import CandeiaError, UsageError


class FakeAnalyzer:
    task = "sentiment"
    name = "fake"

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls = 0
        self.stop_after = stop_after
        self.largest = 0

    def analyze(self, items: Sequence[AnalysisItem], options: AnalysisOptions, **_: object) -> list[AnalysisResult]:
        self.calls += 1
        self.largest = max(self.largest, len(items))
        if self.stop_after is not None and self.calls > self.stop_after:
            raise KeyboardInterrupt
        if any("BOOM" in item.text for item in items):
            raise CandeiaError("the model refused this text")
        out: list[AnalysisResult] = []
        for item in items:
            good = 0.9 if "good" in item.text else 0.2
            scores = sorted((LabelScore("POSITIVE", good), LabelScore("NEGATIVE", 1 - good)), key=lambda s: -s.score)
            out.append(Classification(tuple(scores)))
        return out

    def close(self) -> None:
        pass


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeAnalyzer:
    analyzer = FakeAnalyzer()
    monkeypatch.setattr(analysis_open, "open_analyzer", lambda *a, **k: analyzer)
    return analyzer


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_every_task_has_a_subcommand() -> None:
    from engines.analysis.results import ANALYSIS_TASKS

    assert tuple(TASK_HELP) == ANALYSIS_TASKS


def test_malformed_rows_empty_cells_and_long_texts_get_notes(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    long_text = "good " * (MAX_CHARS // 4)
    path.write_text('id,text\n1,good day\n2,\n3,a,b\n4,' + long_text + '\n5,"multi\nline good"\n',
                    encoding="utf-8")
    rows = list(read_rows(path, Columns()))
    assert [r.index for r in rows] == [0, 1, 2, 3, 4]
    assert rows[0].item is not None and rows[0].item.text == "good day"
    assert rows[1].item is None and rows[1].note == "empty text"
    assert rows[2].item is None and "3 fields" in (rows[2].note or "")
    assert rows[3].item is not None and len(rows[3].item.text) == MAX_CHARS and "cut" in (rows[3].note or "")
    assert rows[4].item is not None and rows[4].item.text == "multi\nline good"


def test_jsonl_and_txt_inputs(tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"body": "good"}\nnot json\n[1]\n{"body": "  "}\n', encoding="utf-8")
    rows = list(read_rows(jsonl, Columns(text="body")))
    assert rows[0].item == AnalysisItem("good")
    assert [r.note for r in rows[1:]] == ["malformed JSON (Expecting value)", "malformed row: not a JSON object",
                                          "empty text"]
    txt = tmp_path / "in.txt"
    txt.write_text("one\n\ntwo\n", encoding="utf-8")
    assert [r.item.text if r.item else None for r in read_rows(txt, Columns())] == ["one", None, "two"]
    with pytest.raises(UsageError, match="no column 'nope'"):
        list(read_rows(_write_csv(tmp_path / "x.csv", [["text"], ["a"]]), Columns(text="nope")))


def test_qa_rows_take_their_question_from_a_column(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "qa.csv", [["context", "q"], ["Ana lives in Lisbon.", "Where?"], ["x", ""]])
    rows = list(read_rows(path, Columns(text="context", question="q")))
    assert rows[0].item == AnalysisItem("Ana lives in Lisbon.", "Where?") and rows[1].note == "empty question"


def test_cli_streams_a_csv_to_a_csv_with_notes(tmp_path: Path, fake: FakeAnalyzer,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    source = _write_csv(tmp_path / "in.csv", [["text"], ["good one"], [""], ["BOOM"], ["bad one"]])
    out = tmp_path / "out.csv"
    assert main(["analyze", "sentiment", "-m", "fake", "-i", str(source), "-o", str(out), "--batch", "3"]) == 1
    with out.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [r["row"] for r in written] == ["0", "1", "2", "3"]
    assert written[0]["label"] == "POSITIVE" and float(written[0]["score"]) == pytest.approx(0.9)
    assert written[1]["note"] == "empty text" and written[1]["label"] == ""
    assert written[2]["note"].startswith("failed: the model refused") and written[3]["label"] == "NEGATIVE"
    assert json.loads(written[3]["details"])[0] == {"label": "NEGATIVE", "score": pytest.approx(0.8)}
    assert "4 rows analysed" in capsys.readouterr().err


def test_cli_json_lines_for_texts(fake: FakeAnalyzer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "sentiment", "-m", "fake", "good", "meh", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["result"][0]["label"] for line in lines] == ["POSITIVE", "NEGATIVE"]


def test_usage_errors_exit_2(tmp_path: Path, fake: FakeAnalyzer) -> None:
    assert main(["analyze", "sentiment", "-m", "fake"]) == 2
    assert main(["analyze", "zero-shot", "-m", "fake", "text"]) == 2  # no --labels
    assert main(["analyze", "qa", "-m", "fake", "text"]) == 2  # no question
    assert main(["analyze", "sentiment", "-m", "fake", "-i", str(tmp_path / "a.xlsx")]) == 2


def _numbered_csv(path: Path, count: int) -> Path:
    return _write_csv(path, [["text"]] + [[f"good text {i}" if i % 3 else f"text {i}"] for i in range(count)])


def test_an_interrupted_run_resumes_after_its_last_committed_row(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    source, out = _numbered_csv(tmp_path / "in.csv", 100), tmp_path / "out.jsonl"
    stopping = FakeAnalyzer(stop_after=3)
    monkeypatch.setattr(analysis_open, "open_analyzer", lambda *a, **k: stopping)
    args = ["analyze", "sentiment", "-m", "fake", "-i", str(source), "-o", str(out), "--batch", "10"]
    assert main(args) == 130  # Ctrl-C in the fourth batch
    assert len(out.read_text(encoding="utf-8").splitlines()) == 30
    with out.open("ab") as handle:  # a kill in the middle of writing a batch leaves half a line
        handle.write(b'{"row": 30, "text": "good te')
    resumed = FakeAnalyzer()
    monkeypatch.setattr(analysis_open, "open_analyzer", lambda *a, **k: resumed)
    assert main(args) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["row"] for line in lines] == list(range(100)) and resumed.calls == 7
    assert main(args) == 0 and resumed.calls == 7  # complete: nothing is analysed again


def test_an_output_from_another_job_is_not_overwritten(tmp_path: Path, fake: FakeAnalyzer) -> None:
    source, out = _numbered_csv(tmp_path / "in.csv", 5), tmp_path / "out.csv"
    assert main(["analyze", "sentiment", "-m", "fake", "-i", str(source), "-o", str(out)]) == 0
    before = out.read_bytes()
    assert main(["analyze", "classify", "-m", "fake", "-i", str(source), "-o", str(out), "--labels", "a,b"]) == 2
    foreign = tmp_path / "mine.csv"
    foreign.write_text("keep me\n", encoding="utf-8")
    assert main(["analyze", "sentiment", "-m", "fake", "-i", str(source), "-o", str(foreign)]) == 2
    assert out.read_bytes() == before and foreign.read_text(encoding="utf-8") == "keep me\n"


def test_a_big_csv_streams_in_constant_memory(tmp_path: Path) -> None:
    """30,000 rows through the reader, the batches and the output file: memory held stays at a batch's."""
    source = _numbered_csv(tmp_path / "big.csv", 30_000)
    analyzer = FakeAnalyzer()
    out = ResultFile(tmp_path / "big.jsonl", {"job": 1})
    tracemalloc.start()
    try:
        count = analyze_stream(analyzer, read_rows(source, Columns()), AnalysisOptions(), batch=64,
                               on_batch=out.write)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000 and analyzer.largest == 64 and out.rows_done == 30_000
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: rows are being held"


def test_done_rows_keep_their_order_in_csv_output(tmp_path: Path) -> None:
    out = ResultFile(tmp_path / "o.csv", {"job": 2})
    out.write([Done(0, "a", None, "empty text"), Done(1, "b", None, None)])
    assert out.path.read_text(encoding="utf-8").splitlines()[0] == "row,text,label,score,details,note"
    assert out.rows_done == 2


def test_a_run_killed_while_starting_starts_again(tmp_path: Path) -> None:
    first = ResultFile(tmp_path / "o.csv", {"job": 3})
    first.path.write_bytes(b"ro")  # killed while the header was being written
    again = ResultFile(tmp_path / "o.csv", {"job": 3})
    assert again.rows_done == 0 and again.path.read_text(encoding="utf-8") == "row,text,label,score,details,note\n"
    first.path.unlink()  # killed after the mark, before the file: a fresh start, not a refusal
    assert ResultFile(tmp_path / "o.csv", {"job": 3}).path.exists()
