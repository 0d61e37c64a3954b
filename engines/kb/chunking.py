"""Blocks -> chunks that follow the document's structure, with overlap.

A chunk gathers consecutive blocks of one page and one heading path until it reaches `size`
characters; a new heading or page starts a new chunk. The next chunk of the same section starts
with the end of the previous one (`overlap` characters, cut at a word), so a sentence split across
the boundary is whole in one of them. A block longer than `size` is cut at sentence ends (code at
line ends). The heading path is put before the text when it is embedded and keyword-indexed
(retrieval finds "Linux" under "Install > Linux"), and kept apart for citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from engines.kb.readers import Block

DEFAULT_SIZE = 900  # characters: about 200-250 tokens, under the 256 of small sentence encoders
DEFAULT_OVERLAP = 150
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int | None
    heading: str


def _pieces(block: Block, size: int) -> Iterator[str]:
    """The block, or parts of it no longer than `size` (a last resort cuts inside a long sentence)."""
    if len(block.text) <= size:
        yield block.text
        return
    units = block.text.split("\n") if block.kind == "code" else _SENTENCE_END.split(block.text)
    joiner = "\n" if block.kind == "code" else " "
    current = ""
    for unit in units:
        while len(unit) > size:
            cut = unit.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            if current:
                yield current
                current = ""
            yield unit[:cut]
            unit = unit[cut:].lstrip()
        if current and len(current) + len(joiner) + len(unit) > size:
            yield current
            current = unit
        else:
            current = f"{current}{joiner}{unit}" if current else unit
    if current:
        yield current


def _tail(text: str, overlap: int) -> str:
    if overlap <= 0 or len(text) <= overlap:
        return "" if overlap <= 0 else text
    cut = text.find(" ", len(text) - overlap)
    return text[cut + 1:] if cut != -1 else text[-overlap:]


def chunk_blocks(blocks: Iterable[Block], size: int = DEFAULT_SIZE,
                 overlap: int = DEFAULT_OVERLAP) -> Iterator[Chunk]:
    parts: list[str] = []
    length = 0
    key: tuple[int | None, str] | None = None
    for block in blocks:
        block_key = (block.page, block.heading)
        if key is not None and block_key != key and parts:
            yield Chunk("\n\n".join(parts), key[0], key[1])
            parts, length = [], 0
        key = block_key
        for piece in _pieces(block, size):
            if parts and length + len(piece) + 2 > size:
                text = "\n\n".join(parts)
                yield Chunk(text, key[0], key[1])
                carry = _tail(text, overlap)
                parts = [carry] if carry and len(carry) < len(text) else []
                length = len(parts[0]) + 2 if parts else 0
            parts.append(piece)
            length += len(piece) + 2
    if parts and key is not None:
        yield Chunk("\n\n".join(parts), key[0], key[1])


def embedding_text(chunk: Chunk) -> str:
    """What the encoder sees: the heading path, then the text."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading else chunk.text
