"""Moving the data folder from Settings: the window stops, the data moves, the app would restart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop.main_window import MainWindow
from engines import paths
from engines.store.model_store import ModelStore


def open_window(qtbot: QtBot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.restart_after_relocation = False
    window.show_relocation_errors = False
    window.show()
    return window


def test_move_from_settings(qtbot: QtBot, profile: Path, tmp_path: Path, tiny_gguf: Path) -> None:
    ModelStore().add(tiny_gguf, copy=True, model_id="owned", name="Owned Chat")
    window = open_window(qtbot)
    target = tmp_path / "new-data"
    with qtbot.waitSignal(window.relocation_finished, timeout=60_000) as moved:
        window.relocate(target)
    assert moved.args == [""]
    assert paths.data_dir() == target and not profile.exists()
    model = ModelStore().get("owned")
    assert Path(model.path).is_relative_to(target) and Path(model.path).exists()
    QCoreApplication.processEvents()
    # The restarted app finds its models and conversations in the new folder.
    again = open_window(qtbot)
    assert again.settings_page.folder.text() == str(target)
    again.close()


def test_refused_move_keeps_the_old_folder(qtbot: QtBot, profile: Path, tmp_path: Path, tiny_gguf: Path) -> None:
    ModelStore().add(tiny_gguf, copy=True, model_id="owned")
    window = open_window(qtbot)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    with qtbot.waitSignal(window.relocation_finished, timeout=60_000) as finished:
        window.relocate(busy)
    assert "new or empty" in finished.args[0]
    assert paths.data_dir() == profile and Path(ModelStore().get("owned").path).exists()
    assert (busy / "keep.txt").read_text() == "mine"
