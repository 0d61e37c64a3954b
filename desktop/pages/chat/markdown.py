"""Split a message into prose and fenced code blocks, so code gets its own widget and a copy button.

Works on partial text while a reply streams in: an unclosed fence is a code block that is still growing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


@dataclass(frozen=True)
class Block:
    kind: str  # "text" or "code"
    text: str
    language: str = ""


def split_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    prose: list[str] = []
    code: list[str] = []
    fence = ""
    language = ""
    for line in text.split("\n"):
        if not fence:
            match = _FENCE.match(line)
            if match:
                if "".join(prose).strip():
                    blocks.append(Block("text", "\n".join(prose).strip("\n")))
                prose = []
                fence, language, code = match["fence"], match["info"].strip().split(" ")[0], []
            else:
                prose.append(line)
        elif line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            blocks.append(Block("code", "\n".join(code), language))
            fence = ""
        else:
            code.append(line)
    if fence:
        blocks.append(Block("code", "\n".join(code), language))
    elif "".join(prose).strip():
        blocks.append(Block("text", "\n".join(prose).strip("\n")))
    return blocks


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _pieces(text: str, limit: int) -> list[str]:
    """Cut `text` at line breaks or spaces into pieces of about `limit` characters."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= limit // 2:
            cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ").removeprefix("\n")
    pieces.append(text)
    return pieces


def split_for_display(text: str, chunk: int | None = None) -> list[Block]:
    """Like split_blocks, with prose cut into paragraphs: while a reply streams, only its last
    paragraph changes, so only that one is laid out again (keeps each update cheap on long replies).

    `chunk` (used while streaming) also cuts very long paragraphs and code blocks, so the piece
    being laid out again stays small; the finished reply is drawn without it.
    """
    out: list[Block] = []
    for block in split_blocks(text):
        parts = [block.text] if block.kind == "code" else [
            p.strip("\n") for p in _BLANK_LINE.split(block.text) if p.strip()]
        for part in parts:
            pieces = _pieces(part, chunk) if chunk else [part]
            out.extend(Block(block.kind, piece, block.language) for piece in pieces)
    return out
