"""Markdown of a model's reply as rich text that loads nothing: no images, no backgrounds.

A reply is untrusted text. Shown as Markdown, `![a](file:///path)` (or raw HTML such as
`<img src=…>` or `<table background=…>`) makes a QLabel read that file on the UI thread: a FIFO
freezes the window, and on Windows `file://host/share/x.png` is an outgoing SMB connection that
leaks the user's login hash. QLabel's document cannot be given another resource loader from
Python, so the Markdown is parsed here into a document that loads nothing, and what reaches the
label is that document's HTML with every image replaced by its alt text and every background and
`url(...)` removed. Links stay links; only web and mail links open, on a click (`open_link`).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFont, QTextDocument

_IMG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)
_ALT = re.compile(r"""\balt\s*=\s*"([^"<>]*)\"""", re.IGNORECASE)
_BACKGROUND_ATTRIBUTE = re.compile(r"""\sbackground\s*=\s*"[^"<>]*\"""", re.IGNORECASE)
_URL_IN_STYLE = re.compile(r"[\w-]*\s*:\s*url\([^()<>]*\)\s*;?", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_RESOURCE = re.compile(r"\bsrc\s*=|\burl\s*\(|\bbackground\s*=|@import", re.IGNORECASE)
OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})


class _NoResources(QTextDocument):
    """Parses Markdown and HTML but never reads a file or URL (a stylesheet link, an image)."""

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        return None


def needs_sanitizing(markdown: str) -> bool:
    """Only images and raw HTML can name a resource; a reply without them is shown as is."""
    return "![" in markdown or "<" in markdown


def _without_resources(tag: str) -> str:
    if _IMG.fullmatch(tag):
        alt = _ALT.search(tag)
        return alt.group(1) if alt else ""
    tag = _BACKGROUND_ATTRIBUTE.sub("", tag)
    return _URL_IN_STYLE.sub("", tag)


def safe_rich_text(markdown: str, font: QFont) -> str | None:
    """The reply as HTML that names no resource, or None when that cannot be made sure of
    (the caller then shows plain text)."""
    document = _NoResources()
    document.setDefaultFont(font)
    document.setMarkdown(markdown)
    exported = document.toHtml()
    cleaned = _TAG.sub(lambda m: _without_resources(m.group(0)), exported)
    if any(_RESOURCE.search(tag) for tag in _TAG.findall(cleaned)):
        return None
    return cleaned


def open_link(link: str) -> bool:
    """Open a clicked link if it is a web or mail link; `file:`, UNC and other schemes never open."""
    url = QUrl(link)
    if url.scheme().lower() not in OPENABLE_SCHEMES or not url.isValid():
        return False
    return QDesktopServices.openUrl(url)
