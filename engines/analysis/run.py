"""Running an analyzer over a stream of rows in batches: what the CLI and the Analyze page share.

Rows arrive one at a time and leave in batches, so memory stays the same over 100 rows or
100,000. A batch the analyzer refuses is tried again row by row, and a row that still fails gets
its error as a note: one bad text never stops a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from engines.analysis.output import Done
from engines.analysis.results import AnalysisOptions, AnalysisResult, Analyzer
from engines.analysis.rows import Row
from engines.errors import CandeiaError
from engines.jobs import CancelToken

BATCH = 32


def batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def analyze_batch(analyzer: Analyzer, rows: list[Row], options: AnalysisOptions,
                  cancel: CancelToken | None = None) -> list[Done]:
    todo = [row for row in rows if row.item is not None]
    results: dict[int, Done] = {}
    try:
        found = analyzer.analyze([row.item for row in todo if row.item is not None], options, cancel=cancel)
        results = {row.index: _done(row, result) for row, result in zip(todo, found, strict=True)}
    except CandeiaError:
        for row in todo:  # find the row it was about; the others still get their results
            if cancel is not None:
                cancel.raise_if_cancelled()
            results[row.index] = _one(analyzer, row, options, cancel)
    return [results.get(row.index) or Done(row.index, None, None, row.note) for row in rows]


def _done(row: Row, result: AnalysisResult) -> Done:
    assert row.item is not None
    return Done(row.index, row.item.text, result, row.note)


def _one(analyzer: Analyzer, row: Row, options: AnalysisOptions, cancel: CancelToken | None) -> Done:
    assert row.item is not None
    try:
        result = analyzer.analyze([row.item], options, cancel=cancel)[0]
    except CandeiaError as exc:
        note = f"failed: {exc}" if not row.note else f"{row.note}; failed: {exc}"
        return Done(row.index, row.item.text, None, note, failed=True)
    return Done(row.index, row.item.text, result, row.note)


def analyze_stream(analyzer: Analyzer, rows: Iterable[Row], options: AnalysisOptions, *,
                   skip: int = 0, batch: int = BATCH, cancel: CancelToken | None = None,
                   on_batch: Callable[[list[Done]], None]) -> int:
    """Analyse every row from index `skip` on, calling `on_batch` with each batch's results in order.
    Returns how many rows were passed on."""
    count = 0
    remaining = (row for row in rows if row.index >= skip)
    for chunk in batches(remaining, max(1, batch)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        done = analyze_batch(analyzer, chunk, options, cancel)
        on_batch(done)
        count += len(done)
    return count
