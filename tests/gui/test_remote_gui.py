"""Remote models in the window: the "Add remote…" dialog, rows marked as running on another computer,
removal, chat with a dropped stream and Retry, translation through the remote model; and screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from remote_server import FakeServer, fake_server_fixture  # noqa: F401

from desktop import i18n, theme
from desktop.main_window import MainWindow
from desktop.pages.installed_pane import InstalledPane
from desktop.pages.remote_dialog import KEY_STORED, AddRemoteDialog
from engines.store.remotes import RemoteStore

from .conftest import configure, wait_reply
from .test_translate_llm import pick, translate_now

SHOTS = os.environ.get("CANDEIA_SCREENSHOTS")  # a folder: the screenshot test saves its images there


@pytest.fixture
def window(bare_window: MainWindow) -> MainWindow:
    return bare_window


def add_through_dialog(qtbot: QtBot, pane: InstalledPane, url: str, name: str = "box") -> AddRemoteDialog:
    dialog = pane.add_remote_dialog()
    dialog.name.setText(name)
    dialog.url.setText(url)
    dialog.add_button.click()
    return dialog


def remote_rows(pane: InstalledPane) -> list[tuple[str, str]]:
    return [(pane.table.item(r, 0).text(), pane.table.item(r, 3).text()) for r in range(pane.table.rowCount())]


def test_add_mark_and_remove(qtbot: QtBot, window: MainWindow, fake_server: FakeServer) -> None:
    pane = window.models.installed
    fake_server.behaviour.models = [{"id": "qwen-7b"}, {"id": "llama-8b"}]
    dialog = add_through_dialog(qtbot, pane, fake_server.url)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 2)
    assert remote_rows(pane) == [("qwen-7b (box)", "runs on another computer"),
                                 ("llama-8b (box)", "runs on another computer")]
    assert pane.status.text() == "Added box; its models run on that computer."
    pane.table.selectRow(0)
    assert not pane.verify_button.isEnabled() and not pane.reveal_button.isEnabled()
    assert pane.delete_button.isEnabled()
    assert [window.chat.model_combo.itemData(i) for i in range(window.chat.model_combo.count())] == [
        "box/qwen-7b", "box/llama-8b"]
    pane.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 0, timeout=10_000)
    assert RemoteStore().endpoints() == []


def test_refresh_shows_what_changed_on_that_computer(qtbot: QtBot, window: MainWindow,
                                                    fake_server: FakeServer) -> None:
    pane = window.models.installed
    fake_server.behaviour.models = [{"id": "qwen-7b"}]
    dialog = add_through_dialog(qtbot, pane, fake_server.url)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=10_000)
    assert not dialog.isVisible()
    pane.table.selectRow(0)
    assert pane.refresh_button.isVisibleTo(pane)
    fake_server.behaviour.models = [{"id": "qwen-7b"}, {"id": "llama-8b"}]
    qtbot.mouseClick(pane.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: pane.status.text() == "box: new: llama-8b.", timeout=10_000)
    assert [window.chat.model_combo.itemData(i) for i in range(window.chat.model_combo.count())] == [
        "box/qwen-7b", "box/llama-8b"]
    pane.table.selectRow(0)
    fake_server.behaviour.api_key = "sk-changed"  # that computer now wants a key: the request is refused
    qtbot.mouseClick(pane.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.refresh_button.isEnabled() and not pane.status.text().startswith(("box", "Asking")),
                    timeout=10_000)
    assert "key" in pane.status.text().lower() or "401" in pane.status.text()
    assert pane.table.rowCount() == 2  # a failed refresh keeps the list


def test_a_refused_address_keeps_what_was_typed(qtbot: QtBot, window: MainWindow) -> None:
    dialog = add_through_dialog(qtbot, window.models.installed, "http://203.0.113.5:8080/v1", "far")
    qtbot.waitUntil(lambda: "Could not add it" in dialog.status.text(), timeout=10_000)
    assert "offline mode" in dialog.status.text()
    assert dialog.isVisible() and dialog.name.text() == "far" and dialog.add_button.isEnabled()
    dialog.key_mode.setCurrentIndex(dialog.key_mode.findData(KEY_STORED))
    assert dialog.key.echoMode() == dialog.key.EchoMode.Password
    dialog.reject()


def test_chat_drop_keeps_the_partial_reply_and_retry_answers(qtbot: QtBot, window: MainWindow,
                                                             fake_server: FakeServer) -> None:
    dialog = add_through_dialog(qtbot, window.models.installed, fake_server.url)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    chat = window.chat
    qtbot.waitUntil(lambda: chat.model_combo.count() == 1)
    configure(chat, max_tokens=60, temperature=0.0)
    fake_server.behaviour.drop_after = 2
    chat.send("Hello there friend")
    assert chat.reply is not None and chat.reply.widget is not None
    widget = chat.reply.widget
    wait_reply(qtbot, chat)
    assert widget.text == "echo: He"
    assert widget.error.text().startswith("The connection to http://127.0.0.1:") and "what arrived is kept" in \
        widget.error.text()
    assert widget.retry_button.isVisibleTo(widget)
    qtbot.mouseClick(widget.retry_button, Qt.MouseButton.LeftButton)
    wait_reply(qtbot, chat)
    [_, again] = chat.store.messages(chat.conv.id)  # type: ignore[union-attr]
    assert again.content == "echo: Hello there friend" and "interrupted" not in (again.stats or {})
    assert window.device_label.text() == "on box"


def test_translate_page_uses_the_remote_model(qtbot: QtBot, window: MainWindow, fake_server: FakeServer) -> None:
    fake_server.behaviour.answer = lambda messages: "A água está quente."
    dialog = add_through_dialog(qtbot, window.models.installed, fake_server.url)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    page = window.translate_page
    qtbot.waitUntil(lambda: page.model_combo.findData("box/big-model") >= 0, timeout=10_000)
    pick(page, "box/big-model")
    result = translate_now(qtbot, page, "The water is hot.")
    assert result.text == "A água está quente." and result.models == ["big-model (box)"]


@pytest.mark.parametrize(("language", "mode"), [("en", "light"), ("pt_BR", "dark")])
def test_screenshots(qtbot: QtBot, fake_server: FakeServer, language: str, mode: str, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    i18n.install(app, language)
    theme.apply(app, mode)
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        window.resize(1000, 640)
        window.show()
        window.show_page("models")
        fake_server.behaviour.models = [{"id": "qwen2.5-7b-instruct"}]
        pane = window.models.installed
        dialog = add_through_dialog(qtbot, pane, fake_server.url, "desktop-pc")
        qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=10_000)
        marked = pane.table.item(0, 3).text()
        assert marked == ("runs on another computer" if language == "en" else "roda em outro computador")
        pane.table.selectRow(0)
        fake_server.behaviour.models = [{"id": "qwen2.5-7b-instruct"}, {"id": "llama-3.1-8b-instruct"}]
        pane.refresh_button.click()
        qtbot.waitUntil(lambda: pane.table.rowCount() == 2 and pane.status.text().startswith("desktop-pc:"),
                        timeout=10_000)
        assert pane.status.text() == ("desktop-pc: new: llama-3.1-8b-instruct." if language == "en" else
                                      "desktop-pc: novos: llama-3.1-8b-instruct.")
        pane.table.selectRow(0)
        folder = Path(SHOTS) if SHOTS else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(folder / f"remote-models-{language}-{mode}.png"))
        again = pane.add_remote_dialog()
        again.name.setText("gpu-box")
        again.url.setText("https://gpu-box.lan:8443/v1")
        again.key_mode.setCurrentIndex(again.key_mode.findData(KEY_STORED))
        assert again.grab().save(str(folder / f"remote-dialog-{language}-{mode}.png"))
        again.reject()
        assert not dialog.isVisible()
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
    finally:
        i18n.install(app, "en")
        theme.apply(app, "light")
