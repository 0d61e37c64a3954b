"""Steps the page tests share: show a page and shut it down after, translate once and wait."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.translate import TranslatePage
from engines.translate import TranslationResult


class _Page(Protocol):
    def shutdown(self) -> None: ...

    def resize(self, width: int, height: int) -> None: ...

    def show(self) -> None: ...

    def close(self) -> bool: ...


P = TypeVar("P", bound=_Page)


@contextmanager
def shown_page(qtbot: QtBot, ctx: AppContext, page: P, size: tuple[int, int] | None = None) -> Iterator[P]:
    """`page` (made on `ctx`) shown; afterwards its work, then the context's, is shut down."""
    qtbot.addWidget(page)
    if size is not None:
        page.resize(*size)
    page.show()
    try:
        yield page
    finally:
        page.shutdown()
        ctx.shutdown()
        page.close()
        QCoreApplication.processEvents()


def translate_now(qtbot: QtBot, page: TranslatePage, text: str, languages: tuple[str | None, str] | None = None,
                  timeout: int = 30_000) -> TranslationResult:
    """Translate `text` with the Translate button (live translation off) and wait for the result."""
    page.auto_check.setChecked(False)
    if languages is not None:
        page.select_languages(*languages)
    page.source_edit.setPlainText(text)
    with qtbot.waitSignal(page.translated, timeout=timeout) as blocker:
        page.translate_button.click()
    qtbot.waitUntil(lambda: page.run is None)
    result = blocker.args[0]
    assert isinstance(result, TranslationResult)
    return result
