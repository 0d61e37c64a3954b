"""Reading the texts to analyse from a file, one row at a time (constant memory over any size).

A CSV's text column is `--column` (default: `text` if there is one, else the first column); a
JSONL line's is the same key (default `text`); a .txt file has one text per line. A row that
cannot be read (a broken quote, the wrong number of fields, bad JSON, an empty text) becomes a
`Row` with a note and no item: the run writes the note and goes on.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from engines.analysis.results import AnalysisItem
from engines.errors import UsageError

MAX_CHARS = 50_000  # longer texts are cut (with a note) before the model cuts them to its own limit
FIELD_LIMIT = 16 * 1024 * 1024  # one CSV cell may be this large before the row counts as malformed
INPUT_SUFFIXES = (".csv", ".jsonl", ".txt")


@dataclass(frozen=True)
class Row:
    index: int  # 0-based position among the file's records (a header is not one)
    item: AnalysisItem | None  # None: nothing to analyse, `note` says why
    note: str | None = None


@dataclass(frozen=True)
class Columns:
    text: str | None = None
    question: str | None = None  # qa: the column holding each row's question
    fixed_question: str | None = None  # qa: one question for every row


def make_row(index: int, text: Any, question: Any, columns: Columns) -> Row:
    if not isinstance(text, str) or not text.strip():
        return Row(index, None, "empty text")
    note = None
    if len(text) > MAX_CHARS:
        text, note = text[:MAX_CHARS], f"text cut to its first {MAX_CHARS:,} characters"
    asked = columns.fixed_question if columns.fixed_question is not None else question
    if (columns.question is not None or columns.fixed_question is not None) and (
            not isinstance(asked, str) or not asked.strip()):
        return Row(index, None, "empty question")
    return Row(index, AnalysisItem(text, asked if isinstance(asked, str) else None), note)


def read_rows(path: Path, columns: Columns) -> Iterator[Row]:
    suffix = path.suffix.lower()
    if suffix not in INPUT_SUFFIXES:
        raise UsageError(f"{path.name}: give a .csv, .jsonl or .txt file")
    try:
        handle = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    with handle:
        if suffix == ".csv":
            yield from _csv_rows(handle, columns, path.name)
        elif suffix == ".jsonl":
            yield from _jsonl_rows(handle, columns)
        else:
            for index, line in enumerate(handle):
                yield make_row(index, line.rstrip("\r\n"), None, columns)


def _csv_rows(handle: TextIO, columns: Columns, name: str) -> Iterator[Row]:
    csv.field_size_limit(min(FIELD_LIMIT, sys.maxsize))
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise UsageError(f"{name}: the header line cannot be read ({exc})") from None
    text_at = _column(header, columns.text, name, default=0 if "text" not in header else header.index("text")) or 0
    question_at = _column(header, columns.question, name, default=None)
    index = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(index, None, f"malformed row ({exc})")
            index += 1
            continue
        if not fields:  # a blank line is no record
            continue
        if len(fields) != len(header):
            yield Row(index, None, f"malformed row: {len(fields)} fields, the header has {len(header)}")
        else:
            question = fields[question_at] if question_at is not None else None
            yield make_row(index, fields[text_at], question, columns)
        index += 1


def _column(header: list[str], wanted: str | None, name: str, *, default: int | None) -> int | None:
    if wanted is None:
        return default
    if wanted not in header:
        raise UsageError(f"{name} has no column '{wanted}' (it has: {', '.join(header)})")
    return header.index(wanted)


def _jsonl_rows(handle: TextIO, columns: Columns) -> Iterator[Row]:
    key = columns.text or "text"
    for index, line in enumerate(handle):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(index, None, f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            yield Row(index, None, "malformed row: not a JSON object")
            continue
        question = record.get(columns.question) if columns.question else None
        yield make_row(index, record.get(key), question, columns)
