"""The Caption page on the real ONNX engine (the tiny exported captioner registered in the store)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from desktop.appcontext import AppContext
from desktop.pages.caption import CaptionPage
from engines.caption import CaptionOptions, load_image
from engines.caption.onnx_engine import OnnxCaptioner
from engines.store.model_store import ModelStore

from .pages import shown_page


@pytest.fixture(scope="module")
def reference(tiny_captioner: Path) -> Iterator[OnnxCaptioner]:
    captioner = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    yield captioner
    captioner.close()


def write_image(path: Path, seed: int) -> Path:
    colour = ((seed * 67) % 256, (seed * 131) % 256, (seed * 29) % 256)
    image = Image.new("RGB", (40, 30), colour)
    image.putpixel((seed % 40, seed % 30), (255 - colour[0], 0, 255))
    image.save(path)
    return path


def caption_of(captioner: OnnxCaptioner, path: Path) -> str:
    return captioner.caption_images([load_image(path)], CaptionOptions())[0].strip()


@pytest.fixture
def page(qtbot: QtBot, tiny_captioner: Path) -> Iterator[CaptionPage]:
    ModelStore().add(tiny_captioner / "onnx", name="Tiny Captioner")
    ctx = AppContext()
    with shown_page(qtbot, ctx, CaptionPage(ctx), (900, 640)) as page:
        yield page


def wait_single(qtbot: QtBot, page: CaptionPage) -> None:
    qtbot.waitUntil(lambda: page.single is None, timeout=20_000)


def wait_batch(qtbot: QtBot, page: CaptionPage) -> None:
    qtbot.waitUntil(lambda: page.batch is None, timeout=20_000)


def drop(page: CaptionPage, mime: QMimeData) -> QDropEvent:
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    page.drop.dropEvent(event)
    return event


def test_model_picker_and_question_box(page: CaptionPage) -> None:
    assert page.model.count() == 1 and "Tiny Captioner" in page.model.currentText()
    assert page.no_model.isHidden()
    assert not page.question.isEnabled(), "an ONNX captioner cannot answer questions"
    assert "one kind of caption" in page.style_hint.text()
    assert page.model.accessibleName() and page.question.accessibleName() and page.drop.accessibleName()


def test_no_model_message_links_to_models(qtbot: QtBot) -> None:
    ctx = AppContext()
    page = CaptionPage(ctx)
    qtbot.addWidget(page)
    try:
        assert not page.no_model.isHidden() and page.model.count() == 0
        assert not page.batch_panel.start.isEnabled()
        with qtbot.waitSignal(ctx.navigate) as nav:
            page.no_model.linkActivated.emit("models")
        assert nav.args == ["models"]
    finally:
        page.shutdown()
        ctx.shutdown()


def test_caption_a_dropped_file_and_copy_it(qtbot: QtBot, page: CaptionPage, reference: OnnxCaptioner,
                                            tmp_path: Path) -> None:
    path = next(p for p in (write_image(tmp_path / f"photo{i}.png", i) for i in range(12))
                if caption_of(reference, p))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert page.drop.accepts(mime)
    event = drop(page, mime)
    assert event.isAccepted()
    wait_single(qtbot, page)
    assert page.drop.has_image and page.error.isHidden()
    assert page.caption.toPlainText() == caption_of(reference, path)
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == page.caption.toPlainText()

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    page.set_image_file(broken)
    wait_single(qtbot, page)
    assert not page.error.isHidden() and "broken.png" in page.error.text()
    assert page.caption.toPlainText() == ""


def test_paste_an_image_from_the_clipboard(qtbot: QtBot, page: CaptionPage, reference: OnnxCaptioner,
                                           tmp_path: Path) -> None:
    source = write_image(tmp_path / "clip.png", 3)
    QGuiApplication.clipboard().setImage(QImage(str(source)))
    page.paste_button.click()
    wait_single(qtbot, page)
    assert page.image_path is not None and page.image_path.name.startswith("pasted-")
    assert page.error.isHidden()
    assert page.caption.toPlainText() == caption_of(reference, source)

    dropped_folder = QMimeData()
    dropped_folder.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    drop(page, dropped_folder)
    assert page.tabs.currentWidget() is page.batch_panel
    assert page.batch_panel.folder_path() == tmp_path


def make_folder(root: Path, count: int) -> Path:
    folder = root / "pictures"
    (folder / "sub").mkdir(parents=True)
    for i in range(count):
        write_image(folder / f"img{i:02d}.png", i)
    write_image(folder / "sub" / "deep.png", 99)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    return folder


def test_batch_with_a_broken_file_goes_on_and_exports(qtbot: QtBot, page: CaptionPage, tmp_path: Path) -> None:
    folder = make_folder(tmp_path, 5)
    panel = page.batch_panel
    page.set_folder(folder)
    panel.recursive.setChecked(True)
    panel.sidecar.setChecked(True)
    panel.start.click()
    wait_batch(qtbot, page)
    assert panel.table.rowCount() == 7
    files = [panel.table.item(r, 0).text() for r in range(7)]
    assert "broken.jpg" in files and str(Path("sub") / "deep.png") in files
    broken_row = files.index("broken.jpg")
    assert panel.table.item(broken_row, 1).text().startswith("Error:")
    assert sum(1 for r in panel.results if r.ok) == 6
    assert panel.progress.value() == 7 and panel.progress.maximum() == 7
    assert (folder / "img00.txt").is_file()
    with (folder / "captions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7 and sum(1 for r in rows if r["error"]) == 1

    panel.table.cellDoubleClicked.emit(broken_row, 1)
    assert page.tabs.currentIndex() == 0 and page.image_path == folder / "broken.jpg"
    assert "broken.jpg is not an image" in page.error.text()
    ok_row = files.index("img00.png")
    panel.table.cellDoubleClicked.emit(ok_row, 1)
    assert page.error.isHidden() and page.caption.toPlainText() == (panel.results[ok_row].caption or "")
    assert page.drop.has_image

    panel.save_results.setChecked(False)
    panel.sidecar.setChecked(False)
    assert not panel.resume.isEnabled(), "nothing records an earlier run to resume from"
    panel.sidecar.setChecked(True)
    assert panel.resume.isEnabled()

    panel.export_to(tmp_path / "export.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "export.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 7 and sum(1 for x in lines if "error" in x) == 1


def test_cancel_then_resume(qtbot: QtBot, page: CaptionPage, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_folder(tmp_path, 16)
    original = OnnxCaptioner.caption_images

    def slow(self: OnnxCaptioner, *args: Any, **kwargs: Any) -> list[str]:
        time.sleep(0.15)  # room for the Cancel click between batches
        return original(self, *args, **kwargs)

    monkeypatch.setattr(OnnxCaptioner, "caption_images", slow)
    panel = page.batch_panel
    page.set_folder(folder)
    panel.start.click()
    assert panel.cancel.isEnabled()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20_000)
    panel.cancel.click()
    wait_batch(qtbot, page)
    first = panel.table.rowCount()
    assert 0 < first < 17
    assert "resume" in panel.status.text()
    assert not panel.cancel.isEnabled() and panel.start.isEnabled()

    monkeypatch.setattr(OnnxCaptioner, "caption_images", original)
    panel.start.click()
    wait_batch(qtbot, page)
    assert panel.table.rowCount() == 17
    done_before = [r for r in panel.results if r.skipped]
    assert len(done_before) == first - 1 or len(done_before) == first  # the broken file is retried, not skipped
    assert all(r.ok for r in done_before)
    rows = {panel.table.item(r, 0).text(): panel.table.item(r, 1).text() for r in range(17)}
    assert "(earlier run)" in rows["img00.png"]
    assert rows["broken.jpg"].startswith("Error: broken.jpg is not an image")


def test_a_new_image_replaces_the_one_being_captioned(qtbot: QtBot, page: CaptionPage, reference: OnnxCaptioner,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = OnnxCaptioner.caption_images

    def slow(self: OnnxCaptioner, *args: Any, **kwargs: Any) -> list[str]:
        time.sleep(0.2)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(OnnxCaptioner, "caption_images", slow)
    first, second = write_image(tmp_path / "first.png", 1), write_image(tmp_path / "second.png", 2)
    page.set_image_file(first)
    assert page.single is not None and not page.run_button.isEnabled()
    page.set_image_file(second)
    qtbot.waitUntil(lambda: page.single is None, timeout=20_000)
    assert page.image_path == second
    assert page.caption.toPlainText() == caption_of(reference, second)
    assert page.timing.text().endswith(" s")


def test_a_folder_dropped_anywhere_on_the_page(page: CaptionPage, tmp_path: Path) -> None:
    page.tabs.setCurrentWidget(page.batch_panel)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    assert event.isAccepted() and page.batch_panel.folder_path() == tmp_path


def test_questions_and_styles_need_a_vision_chat_model(qtbot: QtBot, page: CaptionPage, tiny_gguf: Path,
                                                       tmp_path: Path) -> None:
    projector = tmp_path / "mmproj.gguf"
    projector.write_bytes(b"GGUF")
    store = ModelStore()
    vision = store.add(tiny_gguf, name="Tiny Vision")
    store.update(vision.id, companions={"mmproj": str(projector)})
    page.ctx.models_changed.emit()
    assert page.model.count() == 2
    page.model.setCurrentIndex(page.model.findData(vision.id))
    assert page.question.isEnabled() and page.style_box.isEnabled()
    page.style_box.setCurrentIndex(page.style_box.findData("alt"))
    assert "screen readers" in page.style_hint.text()
    page.question.setText("  What colour is the car?  ")
    options = page.options()
    assert options.prompt == "What colour is the car?" and options.style.value == "alt"
    page.model.setCurrentIndex(page.model.findText("Tiny Captioner (ONNX)"))
    assert not page.question.isEnabled() and page.options().prompt is None
