"""Word documents (.docx) through python-docx: paragraphs under the heading path their styles give,
then each table's rows as `cell | cell` lines."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engines.kb.readers import Block, UnreadableFile


def _heading_level(paragraph: Any) -> int:
    name = str(getattr(paragraph.style, "name", "") or "")
    if name == "Title":
        return 1
    if name.startswith("Heading "):
        tail = name.removeprefix("Heading ").strip()
        return int(tail) if tail.isdigit() else 0
    return 0


def docx_blocks(path: Path) -> Iterator[Block]:
    import docx
    from docx.opc.exceptions import OpcError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, OpcError, KeyError, ValueError) as exc:
        raise UnreadableFile(f"is not a Word document that can be read (damaged or not .docx: {exc})") from None
    headings: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        level = _heading_level(paragraph)
        if level:
            del headings[level - 1:]
            headings.extend([""] * (level - 1 - len(headings)))
            headings.append(text)
            continue
        yield Block(text, None, tuple(headings))
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        text = "\n".join(r for r in rows if r.strip(" |"))
        if text:
            yield Block(text, None, tuple(headings))
