"""The Models page's catalog: licence badges and the licence prompt in both languages, the real download
size, the starter pick and card texts in the UI language, and the welcome page's "Browse the catalog"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop import i18n
from desktop.main_window import MainWindow
from engines.cards.consent import needs_consent
from engines.settings import Settings, save_settings

NON_COMMERCIAL = "qwen2.5-3b-instruct-q4_k_m"


def close(window: MainWindow) -> None:
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()


@pytest.fixture(params=["en", "pt_BR"])
def window(request: pytest.FixtureRequest, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)  # the Download button is live; the tests stub start()
    app = QApplication.instance()
    assert app is not None
    save_settings(Settings(ui_language=request.param))
    i18n.install(app, request.param)
    try:
        win = MainWindow()
        qtbot.addWidget(win)
        win.show()
        yield win
        close(win)
    finally:
        i18n.install(app, "en")


def answer_prompt(clicks: str, seen: list[str]) -> None:
    """Answer the licence prompt once it is up: "accept" or "cancel"; its text goes to `seen`."""

    def answer() -> None:
        box = next((w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.objectName() == "licencePrompt" and w.isVisible()), None)
        if box is None:
            QTimer.singleShot(20, answer)
            return
        seen.append(box.windowTitle() + "\n" + box.text())
        buttons = {b.text(): b for b in box.buttons()}
        accept = next(b for t, b in buttons.items() if t in ("Accept and download", "Aceitar e baixar"))
        (accept if clicks == "accept" else box.button(QMessageBox.StandardButton.Cancel)).click()

    QTimer.singleShot(20, answer)


def test_licence_prompt_asks_once_in_the_users_language(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    portuguese = window.ctx.ui_language() == "pt_BR"
    started: list[str] = []
    monkeypatch.setattr(window.ctx.downloads, "start", lambda card: started.append(card.id))
    window.show_catalog()
    catalog = window.models.catalog
    catalog.select(NON_COMMERCIAL)
    assert catalog.badge.text() == ("Somente uso não comercial" if portuguese else "Non-commercial only")
    assert "https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/LICENSE" in catalog.licence.text()
    seen: list[str] = []
    answer_prompt("cancel", seen)
    catalog.downloads.download_button.click()
    assert started == [] and len(seen) == 1  # refused: nothing downloads
    title, _, text = seen[0].partition("\n")
    if portuguese:
        assert title == "Termos da licença" and "só pode ser usado para fins não comerciais" in text
    else:
        assert title == "Licence terms" and "may only be used for non-commercial purposes" in text
    assert "Qwen Research License" in text and "Qwen2.5-3B-Instruct/blob/main/LICENSE" in text
    answer_prompt("accept", seen)
    catalog.downloads.download_button.click()
    assert started == [NON_COMMERCIAL] and len(seen) == 2
    card = window.ctx.card(NON_COMMERCIAL)
    assert card is not None and not needs_consent(card)
    catalog.downloads.download_button.click()  # asked once: no prompt the second time
    assert started == [NON_COMMERCIAL] * 2 and len(seen) == 2


def test_an_open_licence_downloads_without_a_prompt(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(window.ctx.downloads, "start", lambda card: started.append(card.id))
    window.show_catalog()
    window.models.catalog.select("qwen3-0.6b-q4_k_m")
    window.models.catalog.downloads.download_button.click()
    assert started == ["qwen3-0.6b-q4_k_m"]


def test_catalog_shows_the_size_the_progress_bar_counts(window: MainWindow) -> None:
    window.show_catalog()
    catalog = window.models.catalog
    catalog.select("qwen2.5-0.5b-instruct-q4_k_m")
    assert "491.4 MB" in catalog.facts.text()  # the pinned size, not parameters x bits (302.6 MB)
    portuguese = window.ctx.ui_language() == "pt_BR"
    card = window.ctx.card("qwen2.5-0.5b-instruct-q4_k_m")
    assert card is not None
    expected = card.description_i18n["pt_BR"] if portuguese else card.description
    assert catalog.description.text() == expected
    catalog.commercial_filter.setChecked(True)
    assert catalog.visible_cards() and all(c.licence.commercial_use == "yes" for c in catalog.visible_cards())
    assert NON_COMMERCIAL not in {c.id for c in catalog.visible_cards()}


def test_browse_the_catalog_opens_the_catalog_tab(window: MainWindow, qtbot: QtBot) -> None:
    window.models.tabs.setCurrentWidget(window.models.installed)
    welcome = window.chat.welcome
    browse = next(b for b in welcome.findChildren(type(welcome.download_button))
                  if b.text() in ("Browse the catalog", "Ver o catálogo", "Navegar pelo catálogo"))
    browse.click()
    assert window.current_page() == "models"
    assert window.models.tabs.currentWidget() is window.models.catalog


def test_the_starter_pick_speaks_the_ui_language(window: MainWindow) -> None:
    welcome = window.chat.welcome
    card = welcome.card
    language = window.ctx.ui_language()
    assert card is not None and card.speaks(language)
    expected = card.description_i18n["pt_BR"] if language == "pt_BR" else card.description
    assert welcome.card_description.text() == expected
