"""The notes on a result (a cut text, an empty cell, a malformed row) in the user's language.

Notes leave engines/ in English, in fixed forms (engines/analysis/notes.py, engines/analysis/rows.py);
the files the CLI writes keep them so. A note this page does not know is shown as it is.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

from engines.analysis.notes import parse_note


def note_text(note: str | None) -> str:
    if not note:
        return ""
    return "; ".join(_one(part) for part in note.split("; "))


def _one(note: str) -> str:
    parsed = parse_note(note)
    if parsed is not None:
        kind, number = parsed
        if kind == "truncated":
            return QCoreApplication.translate(
                "AnalyzeNotes", "cut to fit the model (tokens kept: {count})").format(count=number)
        if kind == "windows":
            return QCoreApplication.translate("AnalyzeNotes", "read in parts (windows: {count})").format(count=number)
        return QCoreApplication.translate("AnalyzeNotes", "no answer found")
    if note == "empty text":
        return QCoreApplication.translate("AnalyzeNotes", "empty text")
    if note == "empty question":
        return QCoreApplication.translate("AnalyzeNotes", "empty question")
    if note.startswith("malformed"):
        return QCoreApplication.translate("AnalyzeNotes", "row could not be read")
    if cut := re.fullmatch(r"text cut to its first ([\d,]+) characters", note):
        return QCoreApplication.translate(
            "AnalyzeNotes", "text cut (characters kept: {count})").format(count=cut.group(1))
    if note.startswith("failed: "):
        return QCoreApplication.translate(
            "AnalyzeNotes", "failed: {reason}").format(reason=note.removeprefix("failed: "))
    return note
