"""Citations: the numbered sources of an answer, as a label, and as the URL that opens the file at its page.

A source's path comes from the knowledge base's own index (a file the user added), never from the
model's text, so opening it is safe; it still opens only when the file exists and only through the
desktop's handler for that file type (QDesktopServices), never inside Candeia.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices

from engines.kb.api import Hit

PAGED = {".pdf"}  # viewers that understand #page=N (Adobe's open parameters; Firefox, Chrome, Okular, Evince)


def source_url(path: str, page: int | None) -> QUrl:
    url = QUrl.fromLocalFile(path)
    if page is not None and Path(path).suffix.lower() in PAGED:
        url.setFragment(f"page={page}")
    return url


def source_label(number: int, hit: Hit) -> str:
    """"[2] manual.pdf · page 4 · Install > Linux" (plain text: file names are never HTML)."""
    parts = [f"[{number}] {Path(hit.path).name}"]
    if hit.page is not None:
        parts.append(QCoreApplication.translate("citations", "page {page}").format(page=hit.page))
    if hit.heading:
        parts.append(hit.heading)
    return " · ".join(parts)


def source_tooltip(hit: Hit, limit: int = 400) -> str:
    excerpt = " ".join(hit.text.split())
    if len(excerpt) > limit:
        excerpt = excerpt[:limit].rstrip() + "…"
    return f"{hit.path}\n\n{excerpt}"


def open_source(hit: Hit, opener: Callable[[QUrl], bool] = QDesktopServices.openUrl) -> str:
    """Open the cited file (at its page where the viewer supports it); "" on success, else one sentence."""
    if not Path(hit.path).is_file():
        gone = QCoreApplication.translate("citations", "{file} is no longer there; re-scan the knowledge base.")
        return gone.format(file=hit.path)
    if not opener(source_url(hit.path, hit.page)):
        return QCoreApplication.translate("citations", "No application opens {file}.").format(file=Path(hit.path).name)
    return ""
