"""Document readers: a file in, blocks of text out, each with its page and heading path.

Blocks are paragraphs (or a code file's blank-line-separated parts) and come as a stream, so a
large text file is never held in memory whole. PDF goes through pypdfium2 (read_pdf.py): on a
36-page manual and a 3-page paper it read pages about 12x faster than pypdf (14 against 175 ms a
page) with the same words and no more run-together words (benchmarks/kb_pdf_readers.py,
docs/knowledge-base.md). An encrypted or broken file raises UnreadableFile with one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engines.errors import CandeiaError

TEXT_SUFFIXES = {".txt", ".text", ".rst", ".log", ".csv", ".tsv", ".org", ".tex"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
CODE_SUFFIXES = {
    ".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs",
    ".go", ".rs", ".rb", ".php", ".swift", ".scala", ".sh", ".bash", ".ps1", ".sql", ".r", ".lua", ".pl",
    ".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".xml", ".css", ".scss", ".qml", ".cmake",
}
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | CODE_SUFFIXES | {".pdf", ".docx"}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class UnreadableFile(CandeiaError):
    """A file that cannot be read as a document; the message is the reason, in one sentence."""


@dataclass(frozen=True)
class Block:
    text: str
    page: int | None = None  # 1-based, PDF only
    headings: tuple[str, ...] = ()
    kind: str = "text"  # "text" or "code": code blocks are not split at sentence ends

    @property
    def heading(self) -> str:
        return " > ".join(h for h in self.headings if h)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def read_blocks(path: Path) -> Iterator[Block]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from engines.kb.read_pdf import pdf_blocks

        return pdf_blocks(path)
    if suffix == ".docx":
        from engines.kb.read_docx import docx_blocks

        return docx_blocks(path)
    if suffix in HTML_SUFFIXES:
        from engines.kb.read_html import html_blocks

        return html_blocks(path)
    if suffix in MARKDOWN_SUFFIXES:
        return markdown_blocks(text_lines(path))
    if suffix in CODE_SUFFIXES:
        return paragraph_blocks(text_lines(path), kind="code", title=path.name)
    if suffix in TEXT_SUFFIXES:
        return paragraph_blocks(text_lines(path))
    raise UnreadableFile(f"Candeia does not read {suffix or 'extension-less'} files")


def text_lines(path: Path) -> Iterator[str]:
    """Lines of a text file, decoded as UTF-8 (or the encoding detected in its first 64 KiB)."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    if b"\0" in head[:8192]:
        raise UnreadableFile("looks like a binary file, not text")
    encoding = "utf-8"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            from charset_normalizer import from_bytes

            results = from_bytes(head)
            best = results.best()
            encoding = best.encoding if best is not None else "cp1252"
            # single-byte Latin code pages often tie; Windows-1252 is by far the likeliest of them
            if any(m.encoding == "cp1252" and best is not None and m.chaos <= best.chaos for m in results):
                encoding = "cp1252"
    with path.open("r", encoding=encoding, errors="replace", newline=None) as fh:
        yield from fh


def paragraph_blocks(lines: Iterator[str], kind: str = "text", title: str = "") -> Iterator[Block]:
    """Blank-line-separated paragraphs; a paragraph longer than 64 lines is cut into parts."""
    headings = (title,) if title else ()
    buffer: list[str] = []
    for line in lines:
        if line.strip():
            buffer.append(line.rstrip("\n"))
            if len(buffer) < 64:
                continue
        if buffer:
            yield Block("\n".join(buffer).strip("\n"), None, headings, kind)
            buffer = []
    if buffer:
        yield Block("\n".join(buffer).strip("\n"), None, headings, kind)


def markdown_blocks(lines: Iterator[str]) -> Iterator[Block]:
    """Paragraphs under their heading path; fenced code stays one block (never read as headings)."""
    headings: list[str] = []
    buffer: list[str] = []
    fenced = False

    def flush() -> Iterator[Block]:
        if any(b.strip() for b in buffer):
            yield Block("\n".join(buffer).strip("\n"), None, tuple(headings), "code" if fenced else "text")
        buffer.clear()

    for raw in lines:
        line = raw.rstrip("\n")
        if _FENCE.match(line):
            if not fenced:
                yield from flush()
            buffer.append(line)
            if fenced:
                yield from flush()
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading:
            yield from flush()
            level = len(heading.group(1))
            del headings[level - 1:]
            headings.extend([""] * (level - 1 - len(headings)))
            headings.append(heading.group(2))
            continue
        if not line.strip() and not fenced:
            yield from flush()
        else:
            buffer.append(line)
            if len(buffer) >= 64 and not fenced:
                yield from flush()
    yield from flush()
