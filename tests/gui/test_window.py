"""Main window, Models and Settings pages, languages, themes, the self-test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop import i18n, theme
from desktop.main_window import PAGES, MainWindow
from engines.settings import load_settings
from engines.store.model_store import InstalledModel, ModelStore

from .conftest import wait_reply

ROOT = Path(__file__).resolve().parents[2]


def close(window: MainWindow) -> None:
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()


def test_first_run_shows_the_welcome_page_and_import_leaves_it(
    qtbot: QtBot, tiny_gguf: Path, tmp_path: Path
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    chat = window.chat
    assert chat.stack.currentWidget() is chat.welcome
    starter = chat.welcome.card
    assert starter is not None and not starter.licence.needs_consent
    assert any(starter.name in label.text() for label in chat.welcome.findChildren(type(window.model_label)))
    folder = tmp_path / "library" / "nested"
    folder.mkdir(parents=True)
    shutil.copy(tiny_gguf, folder / "a.gguf")
    (folder / "notes.txt").write_text("not a model")
    (folder / "broken.gguf").write_bytes(b"GGUF but not really")
    window.models.installed.scan_path(tmp_path / "library")
    qtbot.waitUntil(lambda: chat.stack.currentIndex() == 1, timeout=10_000)
    assert [Path(m.path).name for m in ModelStore().installed()] == ["a.gguf"]
    qtbot.waitUntil(lambda: "broken.gguf" in window.models.installed.status.text(), timeout=5_000)
    assert chat.model_combo.count() == 1
    close(window)


def test_models_page_import_default_verify_delete(qtbot: QtBot, main_window: MainWindow, tiny_base_gguf: Path) -> None:
    pane = main_window.models.installed
    assert pane.table.rowCount() == 1
    pane.import_path(tiny_base_gguf)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 2, timeout=10_000)
    assert main_window.chat.model_combo.count() == 2
    pane.table.selectRow(1)
    selected = pane.selected()
    assert selected is not None and selected.name == "tiny-base"
    pane.set_default_selected()
    assert load_settings().default_models == {"chat": selected.id}
    assert pane.table.item(1, 4).text() == "Chat"
    pane.verify_selected()
    qtbot.waitUntil(lambda: "checksum recorded" in pane.status.text(), timeout=10_000)
    pane.verify_selected()
    qtbot.waitUntil(lambda: "intact" in pane.status.text(), timeout=10_000)
    pane.delete_selected(confirm=False)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=10_000)
    assert tiny_base_gguf.exists()  # linked files are never deleted
    assert main_window.chat.model_combo.count() == 1


def test_catalog_filters_and_details(qtbot: QtBot, main_window: MainWindow) -> None:
    catalog = main_window.models.catalog
    everything = catalog.list.count()
    assert everything == len(main_window.ctx.catalog)
    catalog.task_filter.setCurrentIndex(catalog.task_filter.findData("caption"))
    assert 0 < catalog.list.count() < everything
    catalog.list.setCurrentRow(0)
    assert catalog.name.text() and "Licence" in catalog.licence.text()
    catalog.task_filter.setCurrentIndex(0)
    catalog.size_filter.setCurrentIndex(1)  # up to 1 GB
    assert all((c.size or (c.parameters or 0) * 0.6) <= 1e9 for c in catalog.visible_cards())


def test_settings_are_saved_and_theme_applies(qtbot: QtBot, main_window: MainWindow) -> None:
    page = main_window.settings_page
    page.threads.setValue(3)
    page.threads.editingFinished.emit()
    page.offline.setChecked(True)
    page.endpoint.setText("ftp://mirror")
    page.endpoint.editingFinished.emit()
    assert page.endpoint_error.isVisibleTo(page)
    page.endpoint.setText("https://hf-mirror.example/")
    page.endpoint.editingFinished.emit()
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    page.theme.activated.emit(page.theme.currentIndex())
    saved = load_settings()
    assert (saved.threads, saved.offline, saved.hf_endpoint, saved.theme) == (
        3, True, "https://hf-mirror.example", "dark")
    assert theme.current().name == "dark"
    app = QApplication.instance()
    assert isinstance(app, QApplication) and theme.DARK.window in app.styleSheet()
    theme.apply(app, "light")


def test_geometry_and_last_page_are_remembered(qtbot: QtBot, installed_model: InstalledModel) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.resize(760, 540)
    window.show_page("settings")
    close(window)
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.current_page() == "settings"
    assert (again.width(), again.height()) == (760, 540)
    close(again)


def test_shortcuts_switch_pages_and_start_a_new_chat(qtbot: QtBot, main_window: MainWindow) -> None:
    from PySide6.QtGui import QShortcut

    shortcuts = {s.key().toString(): s for s in main_window.findChildren(QShortcut)}
    assert {"Ctrl+N", "Ctrl+L", "Esc", "Ctrl+1", "Ctrl+5"} <= set(shortcuts)
    for index in range(len(PAGES)):
        shortcuts[f"Ctrl+{index + 1}"].activated.emit()
        assert main_window.stack.currentIndex() == index
    shortcuts["Ctrl+N"].activated.emit()
    assert main_window.current_page() == "chat" and main_window.chat.conv is None


def test_controls_have_accessible_names(main_window: MainWindow) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox

    unnamed = []
    for kind in (QComboBox, QLineEdit, QPlainTextEdit, QSpinBox):
        for widget in main_window.findChildren(kind):
            if type(widget.parent()).__name__ in ("QComboBox", "QSpinBox", "QDoubleSpinBox"):
                continue  # the line edit inside a combo or spin box
            if not widget.accessibleName():
                unnamed.append(f"{type(widget).__name__} in {type(widget.parent()).__name__}")
    for button in main_window.findChildren(QAbstractButton):
        if type(button.parent()).__name__ in ("QTabBar", "QTableWidget", "QTableView", "QLineEdit"):
            continue  # Qt's own: tab arrows, the table's corner, a line edit's clear button
        if not (button.text() or button.accessibleName()):
            unnamed.append(f"{type(button).__name__} {button.objectName()!r} in {type(button.parent()).__name__}")
    assert not unnamed


def test_portuguese_translation_loads(qtbot: QtBot, installed_model: InstalledModel) -> None:
    app = QApplication.instance()
    assert app is not None
    try:
        assert i18n.install(app, "pt_BR") == "pt_BR"
        window = MainWindow()
        qtbot.addWidget(window)
        labels = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
        assert labels == ["Conversa", "Documentos", "Traduzir", "Legendar", "Criar", "Analisar", "Modelos",
                          "Configurações"]
        assert window.chat.composer.button.text() == "Enviar"
        close(window)
    finally:
        i18n.install(app, "en")


def test_language_follows_the_system() -> None:
    assert i18n.resolve("system", QLocale("pt_BR")) == "pt_BR"
    assert i18n.resolve("system", QLocale("pt_PT")) == "pt_BR"
    assert i18n.resolve("system", QLocale("de_DE")) == "en"
    assert i18n.resolve("en", QLocale("pt_BR")) == "en"


def test_compiled_translations_are_up_to_date(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_translations
    finally:
        sys.path.pop(0)
    for fresh in build_translations.compile_all(tmp_path):
        committed = build_translations.I18N / fresh.name
        assert committed.read_bytes() == fresh.read_bytes(), f"run scripts/build_translations.py ({fresh.name})"
    ts = (build_translations.I18N / "candeia_pt_BR.ts").read_text(encoding="utf-8")
    assert 'type="unfinished"' not in ts
    # Every string in the source has a Portuguese translation (lupdate into a scratch file).
    import xml.etree.ElementTree as ET

    scratch = tmp_path / "scratch.ts"
    subprocess.run([build_translations.tool("pyside6-lupdate"), *build_translations.sources(), "-ts", str(scratch)],
                   cwd=ROOT, check=True, capture_output=True)
    wanted = {m.findtext("source") for m in ET.parse(scratch).iter("message")}
    translated = {m.findtext("source") for m in ET.parse(build_translations.I18N / "candeia_pt_BR.ts").iter("message")
                  if m.findtext("translation")}
    assert not wanted - translated, "run scripts/build_translations.py and translate the new strings"


@pytest.mark.slow
def test_self_test_command() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "desktop.app", "--self-test"], capture_output=True, text=True,
                            timeout=120, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "self-test passed" in result.stdout


def test_status_bar_memory(main_window: MainWindow, qtbot: QtBot) -> None:
    assert "MB" in main_window.memory_label.text()
    main_window.chat.send("hi")
    wait_reply(qtbot, main_window.chat)


def test_theme_switch_redraws_icons(main_window: MainWindow) -> None:
    button = main_window.chat.sampling_button
    light_key = button.icon().cacheKey()
    main_window.apply_theme("dark")
    try:
        assert button.icon().cacheKey() != light_key
        assert theme.current().name == "dark"
    finally:
        main_window.apply_theme("light")


def test_catalog_shows_the_fit_once_the_hardware_is_measured(qtbot: QtBot, main_window: MainWindow) -> None:
    catalog = main_window.models.catalog
    qtbot.waitUntil(lambda: main_window.ctx.hardware is not None, timeout=20_000)
    assert catalog.fits_filter.isEnabled()
    gguf = next(c for c in main_window.ctx.catalog if c.engine == "llama.cpp" and c.shape is not None)
    catalog.select(gguf.id)
    assert "Memory needed" in catalog.fit_label.text()
    catalog.fits_filter.setChecked(True)
    fitting = catalog.visible_cards()
    assert all((f := main_window.ctx.fit(c)) is not None and f.verdict in ("fits", "tight") for c in fitting)


def test_other_apps_folders_are_scanned(
    qtbot: QtBot, main_window: MainWindow, tiny_base_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop import model_ops

    lmstudio = tmp_path / "lmstudio" / "models" / "someone" / "repo"
    lmstudio.mkdir(parents=True)
    shutil.copy(tiny_base_gguf, lmstudio / "other.gguf")
    monkeypatch.setattr(model_ops, "other_apps_folders", lambda: [tmp_path / "lmstudio"])
    pane = main_window.models.installed
    qtbot.mouseClick(pane.other_apps_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 2, timeout=10_000)
    assert any(Path(m.path).name == "other.gguf" and m.linked for m in ModelStore().installed())
    monkeypatch.setattr(model_ops, "other_apps_folders", lambda: [])
    pane.scan_other_apps()
    assert "No other app" in pane.status.text()
