"""One analysed row as the files and the screen show it: the pipeline-like dictionary, a short label."""

from __future__ import annotations

import json
from typing import Any

from engines.analysis.results import AnalysisResult, Answer, Classification, Entities

CSV_COLUMNS = ("row", "text", "label", "score", "details", "note")


def result_value(result: AnalysisResult) -> Any:
    """What the transformers pipeline would return for this row (lists of dicts, or a dict)."""
    if isinstance(result, Classification):
        return [{"label": s.label, "score": s.score} for s in result.labels]
    if isinstance(result, Entities):
        return [{"entity_group": e.group, "score": e.score, "word": e.word, "start": e.start, "end": e.end}
                for e in result.entities]
    return {"answer": result.answer, "score": result.score, "start": result.start, "end": result.end}


def headline(result: AnalysisResult) -> tuple[str, float | None]:
    """The one label (the best class, the answer, the entities found) and its score."""
    if isinstance(result, Classification):
        best = result.labels[0] if result.labels else None
        return (best.label, best.score) if best else ("", None)
    if isinstance(result, Entities):
        return "; ".join(f"{e.word} ({e.group})" for e in result.entities), None
    assert isinstance(result, Answer)
    return result.answer, result.score


def notes(*parts: str | None) -> str | None:
    joined = "; ".join(p for p in parts if p)
    return joined or None


def record(index: int, text: str | None, result: AnalysisResult | None, note: str | None) -> dict[str, Any]:
    """A JSONL line: the row, its text, the pipeline-like result and any note."""
    return {"row": index, "text": text, "result": None if result is None else result_value(result),
            "note": notes(note, None if result is None else result.note)}


def csv_fields(index: int, text: str | None, result: AnalysisResult | None, note: str | None) -> list[str]:
    if result is None:
        return [str(index), text or "", "", "", "", note or ""]
    label, score = headline(result)
    details = json.dumps(result_value(result), ensure_ascii=False)
    return [str(index), text or "", label, "" if score is None else f"{score:.6f}", details,
            notes(note, result.note) or ""]
