"""One row's result as rich text: the text with its entities or its answer highlighted, and every label.

Offsets are character offsets into the text (the analyzers' contract); everything from the text
is HTML-escaped, so a review that holds markup shows as text.
"""

from __future__ import annotations

from html import escape

from desktop.pages.analyze.notes import note_text
from engines.analysis.output import Done
from engines.analysis.records import notes
from engines.analysis.results import Answer, Classification, Entities

COLORS = ("#f6c85f", "#9dd866", "#6fb1e6", "#f4a6c0", "#c3a6f4", "#8fd3c7")


def _group_color(group: str, groups: list[str]) -> str:
    if group not in groups:
        groups.append(group)
    return COLORS[groups.index(group) % len(COLORS)]


def highlighted(text: str, spans: list[tuple[int, int, str, str]]) -> str:
    """`text` with each (start, end, colour, title) span marked; overlapping or out-of-range spans are skipped."""
    out: list[str] = []
    at = 0
    for start, end, color, title in sorted(spans):
        if start < at or end > len(text) or start >= end:
            continue
        out.append(escape(text[at:start]))
        out.append(f'<span style="background-color:{color}; color:#000000;" title="{escape(title)}">'
                   f"{escape(text[start:end])}</span>")
        at = end
    out.append(escape(text[at:]))
    return "".join(out).replace("\n", "<br>")


def details_html(done: Done) -> str:
    text = done.text or ""
    result = done.result
    if isinstance(result, Entities):
        groups: list[str] = []
        spans = [(e.start, e.end, _group_color(e.group, groups), f"{e.group} {e.score:.3f}") for e in result.entities]
        body = highlighted(text, spans)
        legend = " ".join(f'<span style="background-color:{_group_color(g, groups)}; color:#000000;">&nbsp;'
                          f"{escape(g)}&nbsp;</span>" for g in groups)
        return f"<p>{body}</p><p>{legend}</p>"
    if isinstance(result, Answer):
        return f"<p>{highlighted(text, [(result.start, result.end, COLORS[0], f'{result.score:.3f}')])}</p>"
    rows = ""
    if isinstance(result, Classification):
        rows = "".join(f"<tr><td>{escape(s.label)}</td><td align='right'>{s.score:.3f}</td></tr>"
                       for s in result.labels)
    shown = note_text(notes(done.note, result.note if result is not None else None))
    note = f"<p><i>{escape(shown)}</i></p>" if shown else ""
    return f"<p>{escape(text[:5000])}</p><table cellspacing='6'>{rows}</table>{note}"
