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
from engines.paths import downloads_dir
from engines.settings import Settings, save_settings
from engines.store.model_store import ModelStore
from tests_support import pinned_card

_SERVED: dict[str, bytes] = {}  # what the `hub` fixture serves, by path: the bytes a card pins


def card(card_id: str, path: str, data: bytes | None = None) -> ModelCard:
    """A card pinned to `data`, by default to what the fake hub serves at `path` (a 404 pins any bytes)."""
    return pinned_card(card_id, "test/tiny", {path: data if data is not None else _SERVED.get(path, b"absent")})


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    with FakeHub() as fake:
        _SERVED["tiny.gguf"] = tiny_gguf.read_bytes()
        fake.add_file("test/tiny", "tiny.gguf", _SERVED["tiny.gguf"])
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


# -- at start-up only what was running goes online again (issue 15, finding 4) -----------------------
def _new_window(qtbot: QtBot, *cards: ModelCard) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.ctx.catalog = list(cards)
    return win


def _started_then(qtbot: QtBot, hub: FakeHub, action: str) -> None:
    """A first session starts tiny-dl, gets some bytes, then pauses it (or not) and closes."""
    first = _new_window(qtbot, card("tiny-dl", "tiny.gguf"))
    first.ctx.downloads.start(first.ctx.catalog[0])
    qtbot.waitUntil(lambda: sum(e.sent for e in hub.log if e.method == "GET") > 50_000, timeout=10_000)
    if action == "pause":
        first.ctx.downloads.pause("tiny-dl")
        qtbot.waitUntil(lambda: first.ctx.downloads.status("tiny-dl") is JobStatus.paused, timeout=10_000)
    first.close()
    assert first.ctx.downloads.has_partial("tiny-dl")


def test_a_paused_download_stays_paused_after_a_restart(qtbot: QtBot, hub: FakeHub) -> None:
    _started_then(qtbot, hub, "pause")
    requests = len(hub.log)
    second = _new_window(qtbot, card("tiny-dl", "tiny.gguf"))
    assert second.ctx.downloads.resume_partial(second.ctx.catalog) == []
    qtbot.wait(300)
    assert second.ctx.downloads.status("tiny-dl") is None and len(hub.log) == requests
    assert second.ctx.downloads.has_partial("tiny-dl")  # "Resume download" continues it when asked
    second.close()


def test_nothing_resumes_in_offline_mode(qtbot: QtBot, hub: FakeHub) -> None:
    _started_then(qtbot, hub, "close")
    requests = len(hub.log)
    save_settings(Settings(hf_endpoint=hub.url, offline=True))
    second = _new_window(qtbot, card("tiny-dl", "tiny.gguf"))
    assert second.ctx.downloads.resume_partial(second.ctx.catalog) == []
    qtbot.wait(300)
    assert len(hub.log) == requests
    second.close()


def test_a_failed_download_leaves_nothing_to_resume(qtbot: QtBot, hub: FakeHub) -> None:
    first = _new_window(qtbot, card("missing-dl", "missing.gguf"))
    first.ctx.downloads.start(first.ctx.catalog[0])
    qtbot.waitUntil(lambda: first.ctx.downloads.status("missing-dl") is JobStatus.failed, timeout=20_000)
    assert not (downloads_dir() / "missing-dl").exists()  # a 404 cannot be resumed: its staging is gone
    first.close()
    requests = len(hub.log)
    second = _new_window(qtbot, card("missing-dl", "missing.gguf"))
    assert second.ctx.downloads.resume_partial(second.ctx.catalog) == []
    qtbot.wait(300)
    assert len(hub.log) == requests
    second.close()


def test_a_staging_folder_nobody_left_running_is_not_resumed(qtbot: QtBot, hub: FakeHub) -> None:
    staging = downloads_dir() / "tiny-dl"
    staging.mkdir(parents=True)
    (staging / "tiny.gguf.part").write_bytes(b"GGUF" + bytes(100))  # an interrupted command-line download, say
    window = _new_window(qtbot, card("tiny-dl", "tiny.gguf"))
    assert window.ctx.downloads.resume_partial(window.ctx.catalog) == []
    qtbot.wait(300)
    assert hub.log == [] and window.ctx.downloads.has_partial("tiny-dl")
    window.close()


# -- offline mode stops running downloads (finding 8) ---------------------------------------------------
def test_switching_offline_on_pauses_running_downloads(qtbot: QtBot, window: MainWindow, hub: FakeHub) -> None:
    downloads = window.ctx.downloads
    downloads.start(card("tiny-dl", "tiny.gguf"))
    qtbot.waitUntil(lambda: hub.sent_bytes() > 50_000, timeout=10_000)
    window.show_page("settings")
    window.settings_page.offline.setChecked(True)
    qtbot.waitUntil(lambda: downloads.status("tiny-dl") is JobStatus.paused, timeout=10_000)
    part = downloads_dir() / "tiny-dl" / "tiny.gguf.part"
    kept = part.stat().st_size
    gets = len(hub.gets())
    qtbot.wait(800)
    assert part.stat().st_size == kept > 0 and len(hub.gets()) == gets and window.ctx.settings.offline
    panel = window.models.catalog.downloads
    panel.show_card(card("tiny-dl", "tiny.gguf"))
    assert panel.pause_button.text() == "Resume" and not panel.pause_button.isEnabled()  # until offline is off
    window.settings_page.offline.setChecked(False)
    qtbot.waitUntil(panel.pause_button.isEnabled, timeout=5_000)
    assert downloads.status("tiny-dl") is JobStatus.paused  # turning offline off resumes nothing by itself


# -- a token per download server (finding 2) ---------------------------------------------------------------
def test_a_token_is_kept_per_download_server_and_sent_to_it_only(
    qtbot: QtBot, window: MainWindow, hub: FakeHub
) -> None:
    from PySide6.QtWidgets import QLineEdit

    from engines.download.tokens import endpoint_key
    from engines.settings import load_settings

    page = window.settings_page
    assert page.token.echoMode() is QLineEdit.EchoMode.Password and page.token.text() == ""
    page.token.setText("mirror-secret")
    page._token_done()
    assert load_settings().hub_tokens == {endpoint_key(hub.url): "mirror-secret"}
    page.endpoint.setText("https://mirror.example")
    page._endpoint_done()
    assert page.token.text() == ""  # another server: not this token
    page.endpoint.setText(hub.url)
    page._endpoint_done()
    assert page.token.text() == "mirror-secret"
    hub.faults.throttle = None
    window.ctx.downloads.start(card("tiny-dl", "tiny.gguf"))
    qtbot.waitUntil(lambda: window.ctx.downloads.status("tiny-dl") is JobStatus.done, timeout=20_000)
    assert {e.authorization for e in hub.log if e.server == "hub"} == {"Bearer mirror-secret"}
    assert {e.authorization for e in hub.log if e.server == "cdn"} == {None}  # not across the redirect
