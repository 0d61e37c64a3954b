"""One `candeia-cli analyze` run: rows in, results out to the terminal and, with -o, to a resumable file."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

from engines.analysis.output import Done, ResultFile
from engines.analysis.records import headline, notes, record
from engines.analysis.results import AnalysisOptions, Analyzer
from engines.analysis.rows import Columns, Row, make_row, read_rows
from engines.analysis.run import analyze_stream

PROGRESS_EVERY_S = 2.0


def job_of(args: argparse.Namespace, options: AnalysisOptions) -> dict[str, Any]:
    """What a resumable OUT was made from: a re-run continues only the same job."""
    source = args.input.resolve() if args.input is not None else None
    return {"input": str(source), "size": source.stat().st_size if source else None, "texts": len(args.texts),
            "task": args.task, "model": args.model, "labels": list(options.labels),
            "multi_label": options.multi_label, "schema": options.extra.get("json_schema"),
            "column": args.column, "question": args.question, "question_column": args.question_column}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False), flush=True)


class AnalyzeRun:
    def __init__(self, args: argparse.Namespace, analyzer: Analyzer, options: AnalysisOptions) -> None:
        self.args = args
        self.analyzer = analyzer
        self.options = options
        self.columns = Columns(text=args.column, question=args.question_column, fixed_question=args.question)
        self.out = ResultFile(args.output, job_of(args, options)) if args.output is not None else None
        self.done = self.failed = self.noted = 0
        self._said_at = time.monotonic()

    def rows(self) -> Iterator[Row]:
        if self.args.input is not None:
            return read_rows(self.args.input, self.columns)
        return (make_row(i, text, None, self.columns) for i, text in enumerate(self.args.texts))

    def run(self) -> int:
        """Returns how many rows failed in the analyzer."""
        skip = self.out.rows_done if self.out is not None else 0
        if self.out is not None and self.out.complete:
            say(f"{self.out.path} is already complete ({self.out.rows_done:,} rows)")
            return 0
        if skip:
            say(f"continuing {self.out.path if self.out else ''} after row {skip:,}")
        try:
            analyze_stream(self.analyzer, self.rows(), self.options, skip=skip, batch=self.args.batch,
                           on_batch=self.batch)
        except KeyboardInterrupt:
            if self.out is not None:
                say(f"interrupted after {self.out.rows_done:,} rows; run the same command again to continue")
            raise
        if self.out is not None:
            self.out.finish()
        if self.args.input is not None or self.out is not None:
            say(self.summary())
        return self.failed

    def batch(self, rows: list[Done]) -> None:
        if self.out is not None:
            self.out.write(rows)
        for done in rows:
            self.done += 1
            note = notes(done.note, done.result.note if done.result else None)
            self.failed += done.failed
            self.noted += note is not None
            if self.out is None or self.args.json:
                self.show(done, note)
        if self.out is not None and time.monotonic() - self._said_at >= PROGRESS_EVERY_S:
            self._said_at = time.monotonic()
            say(f"{self.out.rows_done:,} rows done")

    def show(self, done: Done, note: str | None) -> None:
        if self.args.json:
            print_json(record(done.index, done.text, done.result, done.note))
            return
        if done.result is None:
            print(f"{done.index}\t-\t\t{note or ''}", flush=True)
            return
        label, score = headline(done.result)
        shown = "" if score is None else f"{score:.4f}"
        print(f"{done.index}\t{label}\t{shown}\t{note or ''}".rstrip("\t"), flush=True)

    def summary(self) -> str:
        where = f" -> {self.out.path}" if self.out is not None else ""
        return (f"{self.done:,} rows analysed{where}" + (f", {self.noted:,} with notes" if self.noted else "")
                + (f", {self.failed:,} failed" if self.failed else ""))
