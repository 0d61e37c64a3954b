"""The Create page with a stand-in image engine: form, generate with per-step progress and preview, Stop,
the gallery grid and its actions, "use these settings again", drops from outside."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from image_files import png_header_only
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.create import engine as create_engine
from desktop.pages.create.gallery_panel import GalleryPanel
from desktop.pages.create.page import CreatePage
from engines.errors import UsageError
from engines.imagegen.engine import Generated, StepCallback
from engines.imagegen.gallery import Gallery, png_bytes
from engines.imagegen.png_params import read_parameters
from engines.imagegen.settings import ImageSettings
from engines.jobs import Cancelled, CancelToken
from engines.store.model_store import InstalledModel, ModelFormat

from .pages import shown_page


class FakeImageEngine:
    """Paints a colour from the seed, one step at a time, with a preview each step; stops within a step."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        self.model_path = Path(f"{model_id}.gguf")
        self.device = "CPU"
        self.step_gate: threading.Event | None = None  # set by a test to hold the steps
        self.calls: list[ImageSettings] = []
        self.closed = False

    def generate(self, settings: ImageSettings, *, cancel: CancelToken | None = None,
                 on_step: StepCallback | None = None) -> list[Generated]:
        self.calls.append(settings)
        if settings.steps > 100:
            raise UsageError("steps must be from 1 to 100")
        seed = 4242 if settings.seed < 0 else settings.seed
        total = settings.steps * settings.batch_count
        out = []
        for index in range(settings.batch_count):
            colour = ((seed + index) * 37 % 256, 90, 200)
            for step in range(settings.steps):
                if self.step_gate is not None:
                    self.step_gate.wait(5)
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                if on_step is not None:
                    on_step(index * settings.steps + step + 1, total, png_bytes(Image.new("RGB", (8, 8), colour)))
            image = Image.new("RGB", (settings.width, settings.height), colour)
            out.append(Generated(image, replace(settings, seed=seed + index, batch_count=1), 0.01))
        return out

    def close(self) -> None:
        self.closed = True


MODEL = InstalledModel(id="tiny-turbo", name="Tiny Turbo", format=ModelFormat.gguf, path="/models/tiny-turbo.gguf",
                       linked=True, size=1000, card_id="tiny-turbo-card", tasks=["image"])
CARD = SimpleNamespace(id="tiny-turbo-card", recommended=SimpleNamespace(steps=2, guidance=0.0, sampler="euler",
                                                                         image_size=128))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeImageEngine:
    engine = FakeImageEngine("tiny-turbo")
    monkeypatch.setattr(create_engine, "open_engine", lambda model, threads: engine)
    return engine


@pytest.fixture
def page(qtbot: QtBot, fake: FakeImageEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CreatePage]:
    ctx = AppContext()
    monkeypatch.setattr(ctx, "installed", lambda: [MODEL])
    monkeypatch.setattr(ctx, "card", lambda card_id: CARD if card_id == CARD.id else None)
    monkeypatch.setattr(GalleryPanel, "confirm_delete", lambda self, path: True)
    with shown_page(qtbot, ctx, CreatePage(ctx), (1100, 760)) as page:
        yield page


def generate(qtbot: QtBot, page: CreatePage, prompt: str = "a lighthouse") -> None:
    page.form.prompt.setPlainText(prompt)
    page.generate_button.click()
    qtbot.waitUntil(lambda: page.engine.worker.current("generate") is None, timeout=20_000)


def test_defaults_come_from_the_models_card(page: CreatePage) -> None:
    assert page.model.currentText() == "Tiny Turbo" and page.no_model.isHidden()
    settings = page.form.settings()
    assert (settings.steps, settings.guidance, settings.sampler, settings.width, settings.height) == (
        2, 0.0, "euler", 128, 128)
    assert settings.seed == -1, "an empty seed is a random one"


@pytest.mark.parametrize(("card_id", "expected"), [
    ("sd-turbo-q8_0", (1, 0.0, "euler_a", 512)),  # the catalog's cards: SD-Turbo is 1 step without guidance
    ("stable-diffusion-v1-5", (25, 7.0, "euler_a", 512)),
    (None, (20, 7.0, "euler_a", 512)),  # a file the user brought: the SD 1.x classics
])
def test_defaults_of_the_catalogs_image_cards(qtbot: QtBot, fake: FakeImageEngine, monkeypatch: pytest.MonkeyPatch,
                                              card_id: str | None, expected: tuple[object, ...]) -> None:
    ctx = AppContext()
    monkeypatch.setattr(ctx, "installed", lambda: [MODEL.model_copy(update={"card_id": card_id})])
    page = CreatePage(ctx)
    qtbot.addWidget(page)
    try:
        s = page.form.settings()
        assert (s.steps, s.guidance, s.sampler, s.width) == expected
    finally:
        page.shutdown()
        ctx.shutdown()


def test_generate_saves_to_the_gallery_with_settings_and_shows_progress(qtbot: QtBot, page: CreatePage,
                                                                        fake: FakeImageEngine) -> None:
    steps: list[tuple[int, int]] = []
    original = page._on_step
    page._on_step = lambda item: (steps.append((item.step, item.total)), original(item))  # type: ignore[method-assign]
    page.form.seed.setText("77")
    page.form.batch.setValue(2)
    page.form.negative.setPlainText("fog")
    generate(qtbot, page)
    assert fake.calls[0].prompt == "a lighthouse" and fake.calls[0].seed == 77
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert page.preview.pixmap() is not None and not page.preview.pixmap().isNull()
    items = page.gallery.items()
    assert len(items) == 2 and page.panel.model.rowCount() == 2
    seeds = sorted(p.settings.seed for p in (read_parameters(i.path) for i in items) if p is not None)
    assert seeds == [77, 78]
    parsed = read_parameters(items[0].path)
    assert parsed is not None and parsed.model_id == "tiny-turbo" and parsed.settings.negative_prompt == "fog"
    assert "seeds 77 to 78" in page.status.text()
    assert page.generate_button.isEnabled() and not page.stop_button.isEnabled()


def test_stop_ends_the_run_within_a_step(qtbot: QtBot, page: CreatePage, fake: FakeImageEngine) -> None:
    fake.step_gate = threading.Event()
    page.form.prompt.setPlainText("slow")
    page.form.steps.setValue(50)
    page.generate_button.click()
    assert page.stop_button.isEnabled() and not page.generate_button.isEnabled()
    page.stop_button.click()
    fake.step_gate.set()
    qtbot.waitUntil(lambda: page.engine.worker.current("generate") is None, timeout=10_000)
    assert page.status.text() == "Stopped." and page.gallery.items() == []


def test_empty_prompt_and_engine_errors_are_one_line(qtbot: QtBot, page: CreatePage, fake: FakeImageEngine) -> None:
    page.generate_button.click()
    assert "Write a prompt first." in page.status.text() and fake.calls == []
    page.form.steps.setValue(120)
    generate(qtbot, page)
    assert page.status.text() == "Error: steps must be from 1 to 100"


def test_a_broken_init_image_is_refused_before_the_model(qtbot: QtBot, page: CreatePage, fake: FakeImageEngine,
                                                         tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_only(100_000, 100_000))
    page.form.init_path.setText(str(bomb))
    assert page.form.strength.isEnabled()
    generate(qtbot, page)
    assert "bomb.png" in page.status.text() and "decompression bomb" in page.status.text()
    assert fake.calls == []


def test_use_these_settings_again_fills_the_form(qtbot: QtBot, page: CreatePage) -> None:
    page.form.seed.setText("1234")
    page.form.guidance.setValue(3.5)
    generate(qtbot, page, "a red fox\nin snow")
    made = page.gallery.items()[0].path
    page.form.apply(ImageSettings(prompt="something else"))
    assert page.panel.view.current_path() == made
    page.panel.reuse_button.click()
    settings = page.form.settings()
    assert (settings.prompt, settings.seed, settings.guidance, settings.steps) == ("a red fox\nin snow", 1234, 3.5, 2)
    assert page.model.currentData() == "tiny-turbo"


def _drop(page: CreatePage, *paths: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    page.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                              Qt.KeyboardModifier.NoModifier))


def test_a_dropped_image_from_elsewhere_joins_the_gallery_and_its_settings_are_reused(page: CreatePage,
                                                                                      tmp_path: Path) -> None:
    a1111 = ("castle\nNegative prompt: blurry\nSteps: 25, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 99, "
             "Size: 512x768, Model hash: abc, Model: sd15-other")
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", a1111)
    source = tmp_path / "from-a1111.png"
    Image.new("RGB", (16, 16), "green").save(source, pnginfo=info)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"nope")
    _drop(page, source, broken)
    assert [i.path.name for i in page.gallery.items()] == ["from-a1111.png"]
    assert "broken.png" in page.status.text() and "not an image" in page.status.text()
    assert page.use_settings_of(page.panel.view.current_path() or Path())
    settings = page.form.settings()
    assert (settings.prompt, settings.negative_prompt, settings.steps, settings.seed, settings.width,
            settings.height) == ("castle", "blurry", 25, 99, 512, 768)
    assert page.form.sampler.currentText() == "DPM++ 2M"
    assert "sd15-other, which is not installed" in page.status.text()


def test_an_image_without_settings_says_so(page: CreatePage, tmp_path: Path) -> None:
    plain = tmp_path / "holiday.png"
    Image.new("RGB", (16, 16), "blue").save(plain)
    page.import_files([plain])
    assert not page.use_settings_of(page.gallery.items()[0].path)
    assert "holiday.png does not say how it was made." in page.status.text()


def test_gallery_actions_copy_save_as_delete_and_viewer(qtbot: QtBot, page: CreatePage, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    generate(qtbot, page)
    path = page.gallery.items()[0].path
    assert page.panel.model.data(page.panel.model.index(0), Qt.ItemDataRole.DecorationRole) is not None
    qtbot.waitUntil(lambda: page.panel.model.has_thumbnail(path), timeout=10_000)
    page.panel.copy_button.click()
    assert QGuiApplication.clipboard().image().size().width() == 128
    target = tmp_path / "export" / "mine"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    page.panel.save_button.click()
    assert (tmp_path / "export" / "mine.png").read_bytes() == path.read_bytes()
    viewer = page.open_image(path)
    assert viewer.reuse_button.isEnabled() and "Steps: 2" in viewer.details.text()
    viewer.delete_button.click()
    assert not path.exists() and page.panel.model.rowCount() == 0 and not page.panel.delete_button.isEnabled()


def test_no_model_keeps_the_gallery_usable(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ctx = AppContext()
    monkeypatch.setattr(ctx, "installed", lambda: [])
    gallery = Gallery(tmp_path / "g", tmp_path / "t")
    gallery.save(Image.new("RGB", (8, 8)), ImageSettings(prompt="x", seed=1), "m")
    page = CreatePage(ctx, gallery=gallery)
    qtbot.addWidget(page)
    try:
        assert not page.no_model.isHidden() and not page.generate_button.isEnabled()
        assert page.panel.model.rowCount() == 1 and page.panel.count.text() == "Images: 1"
    finally:
        page.shutdown()
        ctx.shutdown()


def test_the_page_speaks_portuguese(qtbot: QtBot, fake: FakeImageEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop import i18n

    app = QApplication.instance()
    assert app is not None
    ctx = AppContext()
    monkeypatch.setattr(ctx, "installed", lambda: [])
    try:
        assert i18n.install(app, "pt_BR") == "pt_BR"
        page = CreatePage(ctx)
        qtbot.addWidget(page)
        assert page.generate_button.text() == "&Gerar"
        assert page.panel.reuse_button.text() == "&Reusar as configurações"
        assert page.no_model.text().startswith("Nenhum modelo de imagem está instalado.")
        assert page.panel.count.text().startswith("Imagens: ")
        page.shutdown()
    finally:
        i18n.install(app, "en")
        ctx.shutdown()


def test_an_onnx_model_offers_only_the_samplers_its_engine_runs(qtbot: QtBot, fake: FakeImageEngine,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = AppContext()
    onnx = MODEL.model_copy(update={"id": "tiny-onnx", "name": "Tiny ONNX", "format": ModelFormat.onnx,
                                    "card_id": None})
    monkeypatch.setattr(ctx, "installed", lambda: [MODEL, onnx])
    monkeypatch.setattr(ctx, "card", lambda card_id: CARD if card_id == CARD.id else None)
    page = CreatePage(ctx)
    qtbot.addWidget(page)
    try:
        page.form.set_sampler("dpm++2m")
        page.model.setCurrentIndex(page.model.findData("tiny-onnx"))
        enabled = {page.form.sampler.itemData(row) for row in range(page.form.sampler.count())
                   if page.form.sampler.model().item(row).isEnabled()}  # type: ignore[attr-defined]
        assert enabled == {"euler_a", "euler"} and page.form.settings().sampler == "euler_a"
        page.model.setCurrentIndex(page.model.findData("tiny-turbo"))
        assert page.form.sampler.model().item(2).isEnabled()  # type: ignore[attr-defined]
    finally:
        page.shutdown()
        ctx.shutdown()
