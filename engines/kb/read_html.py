"""HTML pages: text of block elements under the heading path of <h1>..<h6>; scripts, styles and
navigation left out. The standard library's parser, so no dependency and no network (no fetching)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from engines.kb.readers import Block, text_lines

_SKIP = {"script", "style", "noscript", "template", "nav", "svg", "head"}
_BLOCKS = {"p", "div", "li", "pre", "blockquote", "td", "th", "tr", "dd", "dt", "section", "article", "br",
           "table", "ul", "ol", "figcaption", "header", "footer", "main", "aside"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.headings: list[str] = []
        self._text: list[str] = []
        self._skip = 0
        self._heading: int = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.flush()
            self._heading = int(tag[1])
        elif tag in _BLOCKS:
            self.flush()
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif self._heading and tag == f"h{self._heading}":
            title = " ".join("".join(self._text).split())
            self._text = []
            level, self._heading = self._heading, 0
            del self.headings[level - 1:]
            self.headings.extend([""] * (level - 1 - len(self.headings)))
            self.headings.append(title)
        elif tag in _BLOCKS:
            self.flush()
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)

    def flush(self) -> None:
        raw = "".join(self._text)
        self._text = []
        text = raw.strip("\n") if self._pre else " ".join(raw.split())
        if text.strip() and not self._heading:
            self.blocks.append(Block(text, None, tuple(self.headings), "code" if self._pre else "text"))


def html_blocks(path: Path) -> Iterator[Block]:
    parser = _Collector()
    for line in text_lines(path):
        parser.feed(line)
        yield from parser.blocks
        parser.blocks = []
    parser.close()
    parser.flush()
    yield from parser.blocks
