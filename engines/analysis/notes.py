"""The notes ONNX analyzers attach to a result, in one place, so a UI can show them in its own language.

A note is English text in a fixed form; `parse_note` turns it back into (kind, number) for a
translated message: ("truncated", 512), ("windows", 3), ("no-answer", 0).
"""

from __future__ import annotations

import re

TRUNCATED = "truncated to {} tokens"  # classification: the text was cut at the model's limit
WINDOWS = "read in {} overlapping windows"  # entities, qa: a long text was split and the parts aggregated
NO_ANSWER = "no answer found"  # qa: no span passed the search (an empty context, say)

_FORMS = {"truncated": TRUNCATED, "windows": WINDOWS, "no-answer": NO_ANSWER}


def truncated_note(tokens: int) -> str:
    return TRUNCATED.format(tokens)


def windows_note(count: int) -> str:
    return WINDOWS.format(count)


def parse_note(note: str | None) -> tuple[str, int] | None:
    if not note:
        return None
    for kind, form in _FORMS.items():
        found = re.fullmatch(re.escape(form).replace(r"\{\}", r"(\d+)"), note)
        if found:
            return kind, int(found.group(1)) if found.groups() else 0
    return None
