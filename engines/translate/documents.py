"""Split documents into what is translated and what is kept, and put them back together.

A document becomes a flat list of pieces; translatable pieces are single sentences (with their
surrounding whitespace kept as separate pieces), so the output keeps the input's structure:
paragraphs and blank lines, Markdown headings, lists, quotes, tables, code blocks and inline code,
links' targets, subtitle numbers and timings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engines.errors import CandeiaError

DocKind = Literal["text", "markdown", "srt", "vtt"]


class DocumentError(CandeiaError, ValueError):
    """A document cannot be read as text."""


@dataclass
class Piece:
    text: str
    translate: bool = False
    lines: int = 1  # subtitle cues: re-wrap the translation into this many lines


@dataclass
class Document:
    kind: DocKind
    pieces: list[Piece] = field(default_factory=list)

    def keep(self, text: str) -> None:
        if text:
            if self.pieces and not self.pieces[-1].translate and self.pieces[-1].lines == 1:
                self.pieces[-1].text += text
            else:
                self.pieces.append(Piece(text))

    def add_text(self, text: str, protect: bool = False) -> None:
        """Add running text: sentences are translated, whitespace (and protected spans) kept."""
        parts = _PROTECTED.split(text) if protect else [text]
        for index, part in enumerate(parts):
            if index % 2 == 1:
                self.keep(part)
                continue
            for sentence, gap in split_sentences(part):
                if sentence:
                    self.pieces.append(Piece(sentence, translate=True))
                self.keep(gap)

    @property
    def sentences(self) -> list[str]:
        return [p.text for p in self.pieces if p.translate]

    def render(self, translations: list[str]) -> str:
        it = iter(translations)
        out: list[str] = []
        for piece in self.pieces:
            if not piece.translate:
                out.append(piece.text)
                continue
            text = next(it)
            out.append(_wrap(text, piece.lines) if piece.lines > 1 else text)
        return "".join(out)


# --- sentences ---------------------------------------------------------------------------------
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "sra", "dra",
                  "z.b", "bzw", "ca", "nr", "p", "pp", "fig", "no", "vol", "art", "cf"}
_PUNCT = re.compile(r"[.!?…。！？]+")
_CLOSERS = re.compile(r"[\"'”’»)\]]*")
_SPACE = re.compile(r"\s+")


def _sentence_ends(body: str) -> Iterator[tuple[int, int, int]]:
    r"""(start, end of punctuation and closers, end of the whitespace after) for each candidate end.

    Found in three greedy steps rather than one regex: `[.!?]+["')]*\s+` backtracks through every
    dot of a long run of dots, which made one line of dots quadratic.
    """
    position = 0
    while (punct := _PUNCT.search(body, position)) is not None:
        closers = _CLOSERS.match(body, punct.end())
        assert closers is not None  # `*` always matches
        space = _SPACE.match(body, closers.end())
        if space is None:
            position = closers.end()
            continue
        yield punct.start(), closers.end(), space.end()
        position = space.end()


def _last_word(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of text[start:end], without splitting the whole span
    (that made a long run of abbreviations quadratic)."""
    stop = end
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    begin = stop
    while begin > start and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:stop]


def split_sentences(text: str) -> list[tuple[str, str]]:
    """[(sentence, following whitespace)], leading whitespace as an empty sentence's gap."""
    out: list[tuple[str, str]] = []
    lead = len(text) - len(text.lstrip())
    if lead:
        out.append(("", text[:lead]))
    body = text[lead:]
    start = 0
    for begin, mark_end, end in _sentence_ends(body):
        mark = body[begin:mark_end]
        word = _last_word(body, start, begin).lower().rstrip(".")
        nxt = body[end:end + 1]
        if mark == "." and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        if nxt and (nxt.islower() or (nxt.isdigit() and mark == ".")):
            continue
        out.append((body[start:mark_end], body[mark_end:end]))
        start = end
    rest = body[start:]
    stripped = rest.rstrip()
    if stripped:
        out.append((stripped, rest[len(stripped):]))
    elif rest:
        out.append(("", rest))
    return out


# --- plain text and Markdown ---------------------------------------------------------------------
_PROTECTED = re.compile(
    r"(`+[^`]*?`+"                      # inline code
    r"|\]\([^)\]\s]*(?:\s+\"[^\"]*\")?\)"  # a link's target: ](url "title")
    r"|!\[|\[|\]"                         # link brackets
    r"|<[^<>\s][^<>]*>"                   # HTML tags and autolinks
    r"|https?://\S+"                     # bare URLs
    r"|\*\*|__|\*|~~)"                   # emphasis markers
)
_FENCE = re.compile(r"^(\s{0,3})(`{3,}|~{3,})")
# Every pattern here runs on lines of user documents, so none may backtrack more than linearly:
# no two adjacent quantifiers may match the same characters (`\s*\s*`, `(.*?)(\s*#*\s*)$`).
_PREFIX = re.compile(
    r"\s*(?:>\s*)*(?:(?:#{1,6}|[-*+](?:\s+\[[ xX]\](?=\s))?|\d{1,9}[.)])(?=\s)\s*)?")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_SEP = re.compile(r"^\s*(?:\|\s*)?:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*(?:\|\s*)?$")


def _split_line(body: str) -> tuple[str, str, str]:
    """A Markdown line's (prefix: quotes, heading or list marker; content; closing hashes and spaces)."""
    lead = _PREFIX.match(body)
    prefix = lead.group(0) if lead else ""
    rest = body[len(prefix):]
    trimmed = rest.rstrip().rstrip("#").rstrip()
    return prefix, trimmed, rest[len(trimmed):]


def parse_text(text: str) -> Document:
    """Each line's sentences are translated; line breaks, indentation and blank lines are kept."""
    doc = Document("text")
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        doc.add_text(body)
        doc.keep(line[len(body):])
    return doc


def parse_markdown(text: str) -> Document:
    doc = Document("markdown")
    fence: str | None = None
    previous_blank = True
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if fence is not None:
            doc.keep(line)
            if body.strip().startswith(fence):
                fence = None
            continue
        m = _FENCE.match(body)
        if m:
            fence = m.group(2)[0] * len(m.group(2))
            doc.keep(line)
            continue
        indented_code = previous_blank and (body.startswith("    ") or body.startswith("\t")) and body.strip()
        if not body.strip() or indented_code or _RULE.match(body) or _TABLE_SEP.match(body) \
                or body.lstrip().startswith(("<!--", "<div", "</div", "[//]:")) or re.match(r"^\s*\[[^\]]+\]:\s", body):
            doc.keep(line)
            previous_blank = not body.strip() or bool(indented_code and previous_blank)
            continue
        previous_blank = False
        if body.lstrip().startswith("|"):
            for index, cell in enumerate(re.split(r"(\|)", body)):
                if index % 2 == 1 or not cell.strip():
                    doc.keep(cell)
                else:
                    lead = cell[: len(cell) - len(cell.lstrip())]
                    trail = cell[len(cell.rstrip()):]
                    doc.keep(lead)
                    doc.add_text(cell.strip(), protect=True)
                    doc.keep(trail)
            doc.keep(ending)
            continue
        prefix, content, suffix = _split_line(body)
        doc.keep(prefix)
        doc.add_text(content, protect=True)
        doc.keep(suffix + ending)
    return doc


# --- subtitles -----------------------------------------------------------------------------------
_TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{2}:\d{2}[,.]\d{3}\s*-->\s*(\d{1,2}:)?\d{2}:\d{2}[,.]\d{3}")


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines; each blank line is a block of its own."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.strip():
            current.append(line)
            continue
        if current:
            blocks.append(current)
            current = []
        blocks.append([line])
    if current:
        blocks.append(current)
    return blocks


def parse_subtitles(text: str, kind: DocKind) -> Document:
    """SRT and WebVTT: numbers, timings, headers and NOTE/STYLE blocks are kept; each cue's text is one
    unit (cues often split sentences over lines), re-wrapped into as many lines as it had."""
    doc = Document(kind)
    saw_timing = False
    for block in _blocks(text):
        if not block[0].strip():
            doc.keep("".join(block))
            continue
        first = block[0].strip()
        if kind == "vtt" and (first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
            doc.keep("".join(block))
            continue
        timing_at = next((i for i, line in enumerate(block) if _TIMING.match(line)), None)
        if timing_at is None:
            doc.keep("".join(block))
            continue
        saw_timing = True
        doc.keep("".join(block[: timing_at + 1]))
        cue = block[timing_at + 1:]
        if not cue:
            continue
        bodies = [line.rstrip("\r\n") for line in cue]
        ending = cue[-1][len(bodies[-1]):]
        joined = " ".join(b.strip() for b in bodies if b.strip())
        tags = _PROTECTED.findall(joined)
        if tags or joined.startswith(("-", "♪")):  # dialogue dashes and tags: line by line
            for body, line in zip(bodies, cue, strict=True):
                doc.add_text(body, protect=True)
                doc.keep(line[len(body):])
            continue
        doc.pieces.append(Piece(joined, translate=True, lines=len(bodies)))
        doc.keep(ending)
    if not saw_timing:
        raise DocumentError(f"this does not look like a {kind.upper()} file: no cue timings (00:00:01,000 --> …)")
    return doc


def _wrap(text: str, lines: int) -> str:
    """Split `text` into `lines` lines at the spaces nearest equal lengths."""
    words = text.split()
    if lines <= 1 or len(words) < 2:
        return text
    lines = min(lines, len(words))
    out: list[str] = []
    remaining = words
    for left in range(lines, 1, -1):
        total = len(" ".join(remaining))
        target = total / left
        best, acc = 1, 0
        best_score = float("inf")
        for i, word in enumerate(remaining[:-1]):
            acc += len(word) + (1 if i else 0)
            # break near the middle, preferably after punctuation
            score = abs(acc - target) - (0.3 * target if word[-1] in ",.;:!?" else 0.0)
            if score < best_score:
                best, best_score = i + 1, score
        out.append(" ".join(remaining[:best]))
        remaining = remaining[best:]
    out.append(" ".join(remaining))
    return "\n".join(out)


def parse_document(text: str, kind: DocKind) -> Document:
    if kind == "markdown":
        return parse_markdown(text)
    if kind in ("srt", "vtt"):
        return parse_subtitles(text, kind)
    return parse_text(text)


def kind_for(path: Path | None, text: str | None = None) -> DocKind:
    suffix = path.suffix.lower() if path else ""
    if suffix in (".md", ".markdown", ".mdown"):
        return "markdown"
    if suffix == ".srt":
        return "srt"
    if suffix == ".vtt" or (text is not None and text.lstrip("\ufeff").startswith("WEBVTT")):
        return "vtt"
    return "text"


# --- reading -------------------------------------------------------------------------------------
def decode_bytes(data: bytes, where: str = "the input") -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM) first, then charset detection; binary is refused."""
    if not data:
        raise DocumentError(f"{where} is empty; there is nothing to translate")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{where} starts like UTF-16 but is not valid UTF-16") from exc
    sample = data[:65536]
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 100 + 1:
        raise DocumentError(f"{where} looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None or best.encoding is None:
        raise DocumentError(f"cannot tell the text encoding of {where}; save it as UTF-8 and try again")
    # Single-byte Latin code pages often tie; Windows-1252 is by far the likeliest of them.
    for match in results:
        if match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return str(match)
    return str(best)
