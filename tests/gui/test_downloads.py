"""Catalog downloads driven through the Models page against the fake hub: progress, pause, resume, error, retry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_hub import FakeHub
from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engines.cards import ModelCard
from engines.download import JobStatus
from engines.settings import Settings, save_settings
from engines.store import ModelStore
from tests_support import pinned_card


def card(card_id: str, path: str, data: bytes) -> ModelCard:
    return pinned_card(card_id, "test/tiny", {path: data})


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    with FakeHub() as fake:
        fake.add_file("test/tiny", "tiny.gguf", tiny_gguf.read_bytes())
        fake.faults.throttle = 150_000  # ~4 s for the whole file: time to pause
        save_settings(Settings(hf_endpoint=fake.url))
        yield fake


@pytest.fixture
def window(qtbot: QtBot, hub: FakeHub) -> Iterator[MainWindow]:
    win = MainWindow()
    qtbot.addWidget(win)
    tiny = hub.repos["test/tiny"].files["tiny.gguf"].read(0, 1 << 30)
    # missing.gguf is pinned to the same bytes: the retry test puts them on the hub later.
    win.ctx.catalog = [card("tiny-dl", "tiny.gguf", tiny), card("missing-dl", "missing.gguf", tiny)]
    win.show()
    win.show_page("models")
    win.models.tabs.setCurrentWidget(win.models.catalog)
    win.models.catalog.refresh()
    yield win
    win.close()
    win.deleteLater()
    QCoreApplication.processEvents()


def test_download_progress_pause_resume_install(qtbot: QtBot, window: MainWindow, hub: FakeHub) -> None:
    catalog = window.models.catalog
    catalog.select("tiny-dl")
    panel = catalog.downloads
    assert panel.download_button.isEnabled() and panel.download_button.text() == "Download"
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: " of " in panel.label.text() and "/s" in panel.label.text(), timeout=10_000)
    assert panel.bar.isVisibleTo(panel) and panel.bar.value() > 0
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.downloads.status("tiny-dl") is JobStatus.paused, timeout=10_000)
    qtbot.waitUntil(lambda: panel.pause_button.text() == "Resume", timeout=5_000)
    hub.faults.throttle = None
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.downloads.status("tiny-dl") is JobStatus.done, timeout=20_000)
    qtbot.waitUntil(lambda: panel.download_button.text() == "Installed", timeout=5_000)
    installed = ModelStore().installed()
    assert [(m.card_id, m.linked) for m in installed] == [("tiny-dl", False)]
    assert window.chat.model_combo.findData(installed[0].id) >= 0  # ready to chat with
    ranges = [e.range_start for e in hub.gets()]
    assert len(ranges) >= 2 and max(r or 0 for r in ranges) > 0  # resumed with a Range request


def test_download_error_is_inline_with_retry(qtbot: QtBot, window: MainWindow, hub: FakeHub) -> None:
    catalog = window.models.catalog
    catalog.select("missing-dl")
    panel = catalog.downloads
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.downloads.status("missing-dl") is JobStatus.failed, timeout=20_000)
    qtbot.waitUntil(lambda: panel.error.isVisibleTo(panel), timeout=5_000)
    assert "failed" in panel.error.text() and panel.download_button.text() == "Retry"
    hub.add_file("test/tiny", "missing.gguf", hub.repos["test/tiny"].files["tiny.gguf"].data)
    hub.faults.throttle = None
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.downloads.status("missing-dl") is JobStatus.done, timeout=20_000)


def test_closing_mid_download_keeps_it_resumable(qtbot: QtBot, hub: FakeHub, tiny_gguf: Path) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.ctx.catalog = [card("tiny-dl", "tiny.gguf", tiny_gguf.read_bytes())]
    first.ctx.downloads.start(first.ctx.catalog[0])
    qtbot.waitUntil(lambda: sum(e.sent for e in hub.log if e.method == "GET") > 50_000, timeout=10_000)
    first.close()  # pauses the download; its .part stays
    assert first.ctx.downloads.has_partial("tiny-dl")
    hub.faults.throttle = None
    second = MainWindow()  # resumes unfinished downloads at start
    qtbot.addWidget(second)
    second.ctx.catalog = [card("tiny-dl", "tiny.gguf", tiny_gguf.read_bytes())]
    second.ctx.downloads.resume_partial(second.ctx.catalog)
    qtbot.waitUntil(lambda: second.ctx.downloads.status("tiny-dl") is JobStatus.done, timeout=20_000)
    assert [m.card_id for m in ModelStore().installed()] == ["tiny-dl"]
    second.close()
