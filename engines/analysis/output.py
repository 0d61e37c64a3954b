"""Writing results to a CSV or JSONL file that survives an interruption and resumes where it stopped.

Each batch is appended, flushed and fsynced, and only then is `OUT.progress` (a small JSON file,
replaced atomically) moved on: it holds how many input rows are done and how many bytes of OUT
are theirs. A run killed mid-batch leaves bytes past that mark; the next run cuts them off and
carries on from the next row, so OUT never holds a half row or a row twice.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.analysis.records import CSV_COLUMNS, csv_fields, record
from engines.analysis.results import AnalysisResult
from engines.atomic import atomic_write_json, atomic_write_text
from engines.errors import UsageError

OUTPUT_SUFFIXES = (".csv", ".jsonl")


@dataclass(frozen=True)
class Done:
    index: int
    text: str | None
    result: AnalysisResult | None
    note: str | None
    failed: bool = False  # the analyzer raised on this row; `note` says why


def encode(rows: list[Done], as_csv: bool) -> str:
    if not as_csv:
        return "".join(json.dumps(record(d.index, d.text, d.result, d.note), ensure_ascii=False) + "\n"
                       for d in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for done in rows:
        writer.writerow(csv_fields(done.index, done.text, done.result, done.note))
    return buffer.getvalue()


def csv_header(as_csv: bool) -> str:
    if not as_csv:
        return ""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(CSV_COLUMNS)
    return buffer.getvalue()


class ResultFile:
    """OUT and its progress mark. `job` says what wrote it (input, task, model, options): a re-run
    continues only the same job."""

    def __init__(self, path: Path, job: dict[str, Any]) -> None:
        if path.suffix.lower() not in OUTPUT_SUFFIXES:
            raise UsageError(f"{path.name}: the output must be a .csv or .jsonl file")
        self.path = path
        self.mark = path.with_name(path.name + ".progress")
        self.as_csv = path.suffix.lower() == ".csv"
        self._job = job
        self.rows_done = 0
        self.complete = False
        self._bytes = 0
        self._resume()

    def _resume(self) -> None:
        if not self.path.exists():
            self._start()
            return
        try:
            mark = json.loads(self.mark.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise UsageError(f"{self.path} exists and was not written by an analysis run that can be "
                             "continued; delete it or choose another name") from None
        if mark.get("job") != self._job:
            raise UsageError(f"{self.path} holds another run's results (another input, task, model or "
                             "options); delete it or choose another name")
        self.rows_done, self._bytes = int(mark["rows_done"]), int(mark["bytes"])
        self.complete = bool(mark.get("complete"))
        if self.rows_done == 0 and self.path.stat().st_size < self._bytes:  # killed while writing the header
            self._start()
            return
        with self.path.open("r+b") as handle:  # cut a batch that was being written when the run stopped
            handle.truncate(self._bytes)

    def _start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = csv_header(self.as_csv).encode("utf-8")
        self._bytes = len(data)
        self._commit()  # the mark first: a run killed before OUT is whole starts again, never stalls
        with self.path.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def write(self, rows: list[Done]) -> None:
        if not rows:
            return
        data = encode(rows, self.as_csv).encode("utf-8")
        with self.path.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        self._bytes += len(data)
        self.rows_done = rows[-1].index + 1
        self._commit()

    def finish(self) -> None:
        self.complete = True
        self._commit()

    def _commit(self) -> None:
        atomic_write_json(self.mark, {"job": self._job, "rows_done": self.rows_done, "bytes": self._bytes,
                                      "complete": self.complete})


def export(path: Path, rows: list[Done]) -> None:
    """Write finished results (the Analyze page's Export) as CSV or JSONL, by the file's suffix."""
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"{path.name}: export to a .csv or .jsonl file")
    as_csv = path.suffix.lower() == ".csv"
    atomic_write_text(path, csv_header(as_csv) + encode(rows, as_csv))
