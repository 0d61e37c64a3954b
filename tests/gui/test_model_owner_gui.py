"""One owner for the loaded models: chat, LLM translation and captioning share a memory budget.

Real tiny models: two tiny GGUF chat models (the chat session and LLM translation, each in its
engine host) and the tiny ONNX captioner.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.caption import CaptionPage
from desktop.pages.translate import TranslatePage
from engines.llama.engine import LoadOptions
from engines.store.model_store import InstalledModel, ModelStore
from engines.testing import write_tiny_llama


@pytest.fixture
def pages(qtbot: QtBot) -> Iterator[tuple[AppContext, TranslatePage, CaptionPage]]:
    ctx = AppContext()
    translate, caption = TranslatePage(ctx), CaptionPage(ctx)
    for page in (translate, caption):
        qtbot.addWidget(page)
    yield ctx, translate, caption
    translate.shutdown()
    caption.shutdown()
    ctx.shutdown()
    QCoreApplication.processEvents()


def test_a_third_model_over_the_budget_frees_the_least_recently_used(
        qtbot: QtBot, installed_model: InstalledModel, tiny_captioner: Path, tmp_path: Path,
        pages: tuple[AppContext, TranslatePage, CaptionPage]) -> None:
    ctx, translate, caption = pages
    other = ModelStore().add(write_tiny_llama(tmp_path / "other-chat.gguf"), name="Other Chat")
    captioner = ModelStore().add(tiny_captioner / "onnx", name="Tiny Captioner")
    ctx.models_changed.emit()
    sizes = [ctx.model_bytes(m.id) for m in (installed_model, other, captioner)]
    ctx.models.budget = sum(sizes) - 1  # all three do not fit; any two do
    memory_updates: list[int] = []
    ctx.loaded_models_changed.connect(lambda: memory_updates.append(1))

    with qtbot.waitSignal(ctx.session.loaded, timeout=30_000):  # 1: chat
        ctx.session.load(installed_model.id, LoadOptions(context_size=256))

    translate.auto_check.setChecked(False)  # 2: LLM translation
    translate.model_combo.setCurrentIndex(translate.model_combo.findData(other.id))
    translate.model_combo.activated.emit(translate.model_combo.currentIndex())
    translate.select_languages("en", "pt")
    translate.source_edit.setPlainText("The water is hot.")
    with qtbot.waitSignal(translate.translated, timeout=30_000):
        translate.translate_button.click()
    assert [h.slot for h in ctx.models.held()] == ["chat", "translate"]

    image = tmp_path / "red.png"  # 3: captioning, over the budget
    Image.new("RGB", (32, 24), (200, 30, 30)).save(image)
    with qtbot.waitSignal(ctx.session.unloaded, timeout=30_000):
        caption.set_image_file(image)
    qtbot.waitUntil(lambda: caption.single is None, timeout=30_000)
    assert caption.timing.text().endswith(" s"), caption.error.text()  # captioned
    assert [h.slot for h in ctx.models.held()] == ["translate", "caption"]
    assert ctx.session.model is None and ctx.session._holder.engine is None  # chat's model process has ended
    assert translate.service is not None and translate.service.loaded_devices()  # translation's chat model stays
    assert memory_updates  # the status bar's memory figure is refreshed as models come and go
