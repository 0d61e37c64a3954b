"""The status bar names the device of the translation and captioning models, and says once when the
device chosen in Settings could not start; the caption page reopens its model when the device settings
change and hands GPU layers to every model it opens."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

import engines.caption
import engines.onnx.providers
import engines.onnx.session
from desktop.main_window import MainWindow
from desktop.pages.caption.engine import CaptionEngine
from engines.hardware.devices import ModelDevice
from engines.onnx.providers import CPU, CUDA
from engines.settings import Settings, save_settings
from engines.store.model_store import ModelStore


def test_the_status_bar_shows_both_pages_devices(main_window: MainWindow) -> None:
    main_window.show_model_devices("caption", [ModelDevice("vit-gpt2", "CUDA")])
    main_window.show_model_devices("translate", [ModelDevice("opus-en-pt", "CPU"), ModelDevice("opus-pt-de", "CPU")])
    assert main_window.onnx_label.text() == "Translation: CPU · Captioning: CUDA"
    assert main_window.onnx_label.toolTip() == "opus-en-pt: CPU\nopus-pt-de: CPU\nvit-gpt2: CUDA"
    assert main_window.statusBar().currentMessage() == ""  # nothing failed


def test_a_translation_on_a_device_that_failed_says_so_once(
        qtbot: QtBot, main_window: MainWindow, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("optimum.exporters.onnx")
    from tiny_seq2seq import build_marian, cached

    base = tmp_path_factory.getbasetemp()
    folder = base / "device-status" / "tiny-en-de"
    if not folder.exists():
        shutil.copytree(cached(base, "marian", build_marian)[1], folder)
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        cfg.update(source_lang="en", target_lang="de")
        (folder / "tokenizer_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    ModelStore().add(folder, model_id="tiny-en-de", tasks=["translate"])
    save_settings(Settings(onnx_provider=CUDA))
    monkeypatch.setattr(engines.onnx.providers, "_said", set())
    for module in (engines.onnx.providers, engines.onnx.session):  # listed, but the CPU wheel cannot start it
        monkeypatch.setattr(module, "available_providers", lambda: [CUDA, CPU])
    page = main_window.translate_page
    page.ctx.models_changed.emit()  # added after the window opened, as the Models page would say
    page.auto_check.setChecked(False)
    page.model_combo.setCurrentIndex(page.model_combo.findData("tiny-en-de"))
    page._model_changed()
    page.select_languages("en", "de")
    page.source_edit.setPlainText("Hello world.")
    with qtbot.waitSignal(page.translated, timeout=30_000) as blocker:
        page.translate_button.click()
    qtbot.waitUntil(lambda: page.run is None)
    assert blocker.args[0].models == ["tiny-en-de"], blocker.args[0]
    assert main_window.onnx_label.text() == "Translation: CPU"
    assert main_window.statusBar().currentMessage() == "CUDA could not start; tiny-en-de runs on the CPU."


class FakeCaptioner:
    name = "fake-vlm"
    device = "GPU (CUDA, 25/25 layers)"

    def close(self) -> None:
        pass


def test_the_caption_page_reopens_on_new_device_settings(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[dict[str, Any]] = []

    def fake_open(model: str, **kwargs: Any) -> FakeCaptioner:
        opened.append({"model": model, **kwargs})
        return FakeCaptioner()

    monkeypatch.setattr(engines.caption, "open_captioner", fake_open)
    engine = CaptionEngine(ModelStore(), threads=1)
    shown: list[ModelDevice] = []
    engine.device_known.connect(shown.append)
    try:
        save_settings(Settings(gpu_layers=-1))
        engine._open("vlm")
        engine._open("vlm")  # kept
        save_settings(Settings(gpu_layers=8))
        engine._open("vlm")  # GPU layers changed: opened again, with them
        save_settings(Settings(gpu_layers=8, onnx_provider=CPU))
        engine._open("vlm")
    finally:
        engine.shutdown()
    assert [o["gpu_layers"] for o in opened] == [-1, 8, 8]
    assert shown == [ModelDevice("fake-vlm", "GPU (CUDA, 25/25 layers)")] * 3
