"""PDF text, page by page, through pypdfium2 (PDFium, the engine of Chrome's PDF viewer).

Pages are read one at a time and closed, so a long PDF costs one page of memory. A page without
a text layer (a scan) gives no blocks; a PDF whose pages all lack text is reported as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engines.kb.readers import Block, UnreadableFile

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|(?<=[.!?:])\n(?=[A-Z0-9À-Ý•\-–])")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def _open(path: Path) -> Any:
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        message = str(exc).lower()
        if "password" in message:
            raise UnreadableFile("is an encrypted PDF (protected by a password)") from None
        raise UnreadableFile(f"is not a PDF that can be read (damaged or not a PDF: {exc})") from None


def pdf_blocks(path: Path) -> Iterator[Block]:
    document = _open(path)
    any_text = False
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
            finally:
                page.close()
            text = _HYPHEN_BREAK.sub(r"\1\2", text.replace("\r\n", "\n").replace("\r", "\n"))
            for part in _PARAGRAPH_BREAK.split(text):
                cleaned = " ".join(part.split())
                if cleaned:
                    any_text = True
                    yield Block(cleaned, index + 1)
    finally:
        document.close()
    if not any_text:
        raise UnreadableFile("has no text layer (a scanned PDF; Candeia does not read text from images)")
