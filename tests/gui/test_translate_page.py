"""The Translate page on the real ONNX engine: tiny random Marian exports (gibberish, but real runs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot
from tiny_seq2seq import build_marian, cached

from desktop.appcontext import AppContext
from desktop.main_window import MainWindow
from desktop.pages.translate import TranslatePage
from engines.store.model_store import InstalledModel, ModelStore
from engines.translate import TranslationResult, TranslationService
from engines.translate.documents import parse_subtitles
from engines.translate.engine import DecodeOptions

from . import pages
from .pages import shown_page

FAST = DecodeOptions(num_beams=1, max_new_tokens=6)
PORTUGUESE = "Bom dia e boa noite. Onde fica a estação?"


@pytest.fixture(scope="session")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Copies of one tiny Marian export that say they translate pt→en and en→de (same weights)."""
    base = tmp_path_factory.getbasetemp()
    _, onnx_dir = cached(base, "marian", build_marian)
    out = {}
    for src, tgt in (("pt", "en"), ("en", "de")):
        folder = base / "translate-page" / f"tiny-{src}-{tgt}"
        if not folder.exists():
            shutil.copytree(onnx_dir, folder)
            cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
            cfg.update(source_lang=src, target_lang=tgt)
            (folder / "tokenizer_config.json").write_text(json.dumps(cfg), encoding="utf-8")
        out[f"{src}-{tgt}"] = folder
    return out


@pytest.fixture
def store(pairs: dict[str, Path]) -> ModelStore:
    store = ModelStore()
    for key, folder in pairs.items():
        store.add(folder, model_id=f"tiny-{key}", name=f"Tiny {key}", tasks=["translate"])
    return store


def make_page(qtbot: QtBot) -> Iterator[TranslatePage]:
    ctx = AppContext()
    page = TranslatePage(ctx, options=FAST)
    page.debounce.setInterval(60)
    with shown_page(qtbot, ctx, page, (1000, 600)):
        yield page


@pytest.fixture
def page(qtbot: QtBot, store: ModelStore) -> Iterator[TranslatePage]:
    yield from make_page(qtbot)


@pytest.fixture
def empty_page(qtbot: QtBot) -> Iterator[TranslatePage]:
    yield from make_page(qtbot)


def expected(store: ModelStore, text: str, target: str, source: str | None = None, kind: str = "text") -> str:
    with TranslationService(store, options=FAST) as service:
        return service.translate(text, target=target, source=source, kind=kind).text  # type: ignore[arg-type]


def translate_now(qtbot: QtBot, page: TranslatePage, text: str) -> TranslationResult:
    return pages.translate_now(qtbot, page, text, timeout=20_000)


def test_languages_from_installed_models(page: TranslatePage) -> None:
    codes = {page.target_combo.itemData(i) for i in range(page.target_combo.count())}
    assert codes == {"pt", "en", "de"}
    assert page.source_combo.itemData(0) is None  # Detect language
    assert page.model_combo.itemData(0) is None  # Automatic
    assert {page.model_combo.itemData(i) for i in range(1, page.model_combo.count())} == {"tiny-pt-en", "tiny-en-de"}
    assert page.notice.isHidden()
    assert page.source_edit.accessibleName() and page.swap_button.accessibleName()


def test_translate_detects_and_shows_model_and_time(qtbot: QtBot, page: TranslatePage, store: ModelStore) -> None:
    page.select_languages(None, "de")
    result = translate_now(qtbot, page, PORTUGUESE)
    assert result.route == ["pt", "en", "de"]  # detected, then pivoted through English
    assert page.target_edit.toPlainText() == expected(store, PORTUGUESE, "de") == result.text
    assert "(pt)" in page.detected_label.text()
    assert "(pt)" in page.source_combo.itemText(0)
    stats = page.stats_label.text()
    assert "pt → en → de" in stats and "Tiny pt-en + Tiny en-de" in stats and " s" in stats
    page.copy_button.click()
    assert QCoreApplication.instance().clipboard().text() == result.text  # type: ignore[attr-defined]


def test_swap_uses_the_detected_language(qtbot: QtBot, page: TranslatePage) -> None:
    page.select_languages(None, "en")
    result = translate_now(qtbot, page, PORTUGUESE)
    page.swap_button.click()
    assert page.source_language() == "en" and page.target_language() == "pt"
    assert page.source_edit.toPlainText() == result.text
    assert page.target_edit.toPlainText() == PORTUGUESE


def test_translate_as_you_type_debounces_and_cancels(qtbot: QtBot, page: TranslatePage, store: ModelStore) -> None:
    page.select_languages("en", "de")
    shown: list[str] = []
    page.translated.connect(lambda r: shown.append(r.text))
    for text in ("Good", "Good morning", "Good morning and good night."):
        page.source_edit.setPlainText(text)  # typed faster than the debounce: one run only
    qtbot.waitUntil(lambda: page.run is not None, timeout=2000)
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    assert page.runner.runs == 1
    assert shown == [expected(store, "Good morning and good night.", "de", "en")]

    # a new text while a run is going: the old run is cancelled and only the new result is shown
    shown.clear()
    page.source_edit.setPlainText("Where is the station?\n" * 40)
    first = page.translate()
    page.source_edit.setPlainText("Hello world, this is a test.")
    last = page.translate()
    assert first is not None and last is not None and first.cancel.cancelled and not last.cancel.cancelled
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    QCoreApplication.processEvents()
    assert shown == [expected(store, "Hello world, this is a test.", "de", "en")]
    assert page.target_edit.toPlainText() == shown[0]


SRT = """1
00:00:01,000 --> 00:00:02,500
Good morning and good night.

2
00:00:03,000 --> 00:00:04,000
Where is the station?
The weather is nice today.

3
00:00:05,000 --> 00:00:06,000
Hello world, this is a test.
"""

MARKDOWN = """# Hello world

Good morning and good night. Where is the station?

- The weather is nice today.
- Ships sail over the sea.

```python
print("keep me")
```
"""


def test_open_srt_progress_and_save(qtbot: QtBot, page: TranslatePage, store: ModelStore, tmp_path: Path) -> None:
    page.select_languages("en", "de")
    source = tmp_path / "talk.srt"
    source.write_text(SRT, encoding="utf-8")
    progress: list[tuple[int, int]] = []
    page.progressed.connect(lambda done, total: progress.append((done, total)))
    task = page.open_file(source)
    assert task is not None and page.kind() == "srt" and page.progress.isVisible()
    assert page.file_label.text() == "talk.srt" and page.file_label.isVisible()
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    assert progress and progress[-1][0] == progress[-1][1] == len(parse_subtitles(SRT, "srt").sentences)
    assert not page.progress.isVisible()
    assert page.suggested_name().endswith("talk.de.srt")
    out = tmp_path / "talk.de.srt"
    assert page.save_to(out)
    saved = out.read_text(encoding="utf-8")
    assert saved == expected(store, SRT, "de", "en", "srt")
    before, after = parse_subtitles(SRT, "srt"), parse_subtitles(saved, "srt")
    assert len(before.sentences) == len(after.sentences)
    assert [line for line in saved.splitlines() if "-->" in line] == [cue for cue in SRT.splitlines() if "-->" in cue]


def test_open_markdown_keeps_structure(qtbot: QtBot, page: TranslatePage, tmp_path: Path) -> None:
    page.select_languages("en", "de")
    source = tmp_path / "notes.md"
    source.write_text(MARKDOWN, encoding="utf-8")
    page.open_file(source)
    assert page.kind() == "markdown"
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    out = page.target_edit.toPlainText()
    assert out.startswith("# ") and '```python\nprint("keep me")\n```' in out and out.count("\n- ") == 2


def test_no_route_names_what_to_download(qtbot: QtBot, page: TranslatePage) -> None:
    page.auto_check.setChecked(False)
    page.select_languages("de", "pt")
    page.source_edit.setPlainText("Guten Morgen und gute Nacht.")
    page.translate()
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    assert page.notice.isVisible()
    text = page.notice.text()
    assert "no installed model translates de→pt" in text and 'href="models"' in text
    with qtbot.waitSignal(page.ctx.navigate) as nav:
        page.notice.linkActivated.emit("models")
    assert nav.args == ["models"]
    assert page.target_edit.toPlainText() == ""


def test_no_model_installed(qtbot: QtBot, empty_page: TranslatePage) -> None:
    page = empty_page
    assert page.notice.isVisible() and "No translation model is installed" in page.notice.text()
    page.source_edit.setPlainText("Hello")
    assert not page.translate_button.isEnabled()
    assert page.translate() is None
    with qtbot.waitSignal(page.ctx.navigate) as nav:
        page.notice.linkActivated.emit("models")
    assert nav.args == ["models"]


def test_cancel_stops_a_long_document(qtbot: QtBot, page: TranslatePage) -> None:
    page.auto_check.setChecked(False)
    page.select_languages("en", "de")
    page.source_edit.setPlainText("\n".join(f"Ships sail over the sea number {i}." for i in range(120)))
    page.progressed.connect(lambda *_: page.cancel_button.click())  # cancel after the first batch
    task = page.translate()
    assert task is not None and page.cancel_button.isEnabled()
    failures: list[object] = []
    task.failed.connect(failures.append)
    qtbot.waitUntil(lambda: page.run is None, timeout=20_000)
    assert task.cancel.cancelled and failures and type(failures[0]).__name__ == "Cancelled"
    assert page.stats_label.text() == "Translation cancelled"
    assert page.target_edit.toPlainText() == "" and not page.cancel_button.isEnabled()


def test_ctrl_enter_translates(qtbot: QtBot, page: TranslatePage) -> None:
    from PySide6.QtCore import Qt

    page.auto_check.setChecked(False)
    page.select_languages("en", "de")
    page.source_edit.setPlainText("Good morning.")
    page.source_edit.setFocus()
    with qtbot.waitSignal(page.translated, timeout=20_000):
        qtbot.keyClick(page.source_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.run is None)
    assert page.last_result is not None and page.target_edit.toPlainText() == page.last_result.text


@pytest.fixture
def chat_page(qtbot: QtBot, installed_model: InstalledModel) -> Iterator[TranslatePage]:
    yield from make_page(qtbot)


def test_chat_model_translates_when_no_translation_model(qtbot: QtBot, chat_page: TranslatePage) -> None:
    page = chat_page
    assert [page.model_combo.itemText(i) for i in range(page.model_combo.count())] == ["Tiny Chat (chat model)"]
    assert page.notice.isVisible() and "translating with a chat model" in page.notice.text()
    codes = {page.target_combo.itemData(i) for i in range(page.target_combo.count())}
    assert {"en", "pt", "de", "ja"} <= codes
    page.select_languages("en", "pt")
    result = translate_now(qtbot, page, "The water is hot.")
    assert result.route == ["en", "pt"] and page.stats_label.text().startswith("Tiny Chat · en → pt")


def test_closing_the_window_mid_translation(qtbot: QtBot, store: ModelStore, main_window: MainWindow) -> None:
    page = main_window.translate_page
    main_window.show_page("translate")
    assert main_window.stack.currentWidget() is page
    page.auto_check.setChecked(False)
    page.select_languages("en", "de")
    page.source_edit.setPlainText("\n".join(f"Ships sail over the sea number {i}." for i in range(200)))
    task = page.translate()
    assert task is not None
    main_window.close()  # cancels the run, joins the worker, unloads the models; the guards check the rest
    assert task.cancel.cancelled and not page.runner.busy
