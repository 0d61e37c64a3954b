#!/usr/bin/env python3
"""Save a screenshot of every page, in light and dark theme and in both languages.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [out_dir]

Uses a throwaway data folder with a tiny model and a sample conversation; PNGs go to
screenshots/ (git-ignored) as {language}-{theme}-{page}.png. Works under Xvfb too (DISPLAY set,
QT_QPA_PLATFORM unset).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE_REPLY = """Here is a function that reverses the words of a sentence:

```python
def reverse_words(sentence: str) -> str:
    return " ".join(reversed(sentence.split()))
```

It **splits** on whitespace, reverses the list and joins it again. For example:

- `reverse_words("a lamp in the dark")` gives `"dark the in lamp a"`
- an empty string stays empty
"""


SAMPLE_CAPTION = "A yellow sun over rolling green hills under a clear blue sky."
EMBEDDER: Path | None = None  # the tiny sentence encoder the Documents page indexes with


def sample_picture(path: Path) -> Path:
    """A small landscape to caption: sky, sun and hills."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), (120, 180, 235))
    draw = ImageDraw.Draw(image)
    for y in range(260):  # a lighter sky towards the horizon
        shade = int(60 * y / 260)
        draw.line([(0, y), (640, y)], fill=(120 + shade, 180 + shade // 2, 235))
    draw.ellipse((440, 50, 540, 150), fill=(255, 214, 80))
    draw.ellipse((-120, 250, 420, 560), fill=(88, 160, 72))
    draw.ellipse((220, 280, 800, 620), fill=(64, 136, 60))
    image.save(path)
    return path


SAMPLE_ART = [  # (prompt, seed, sky, sun, hills): pictures that stand in for generated images in the gallery
    ("a lighthouse on a cliff at dusk, oil painting", 1834620, (238, 150, 110), (255, 220, 120), (70, 60, 90)),
    ("rolling green hills under a clear sky", 77, (120, 180, 235), (255, 214, 80), (64, 136, 60)),
    ("a desert at noon, dunes, photograph", 90210, (150, 200, 240), (255, 250, 220), (214, 170, 100)),
    ("night over a snowy valley, full moon", 424242, (20, 30, 70), (235, 235, 250), (210, 220, 235)),
    ("autumn forest, warm light, watercolour", 31337, (250, 200, 150), (255, 160, 60), (170, 80, 40)),
]


def sample_art(sky: tuple[int, int, int], sun: tuple[int, int, int], hills: tuple[int, int, int]) -> Any:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (512, 512), sky)
    draw = ImageDraw.Draw(image)
    for y in range(320):
        shade = int(50 * y / 320)
        draw.line([(0, y), (512, y)], fill=tuple(min(255, c + shade) for c in sky))
    draw.ellipse((330, 70, 430, 170), fill=sun)
    draw.ellipse((-140, 300, 380, 700), fill=hills)
    draw.ellipse((180, 330, 720, 760), fill=tuple(max(0, c - 30) for c in hills))
    return image


def tiny_captioner(tmp: Path) -> Path | None:
    """Export the tests' tiny random captioner so the Caption page has a model (needs torch and optimum)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from tiny_captioner import build_model, export_onnx
    except ImportError:
        return None
    try:
        build_model(tmp / "captioner-hf", init_range=0.5, eos_boost=2.0)
        return export_onnx(tmp / "captioner-hf", tmp / "captioner-onnx")
    except Exception as exc:  # the other pages still get their screenshots
        print(f"no captioning model for the screenshots: {exc}", file=sys.stderr)
        return None


def tiny_embedder(tmp: Path) -> Path | None:
    """The tests' tiny random sentence encoder, so the Documents page can index (needs torch and optimum)."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from tiny_encoders import cached_encoder

        return cached_encoder(tmp)
    except Exception as exc:  # the Documents page then shows its empty state
        print(f"no embedding model for the screenshots: {exc}", file=sys.stderr)
        return None


SAMPLE_ANSWER = ("Gull Rock shows one white flash every ten seconds [1], and the fog horn sounds two blasts "
                 "every sixty seconds when visibility falls below two miles [2].")


SAMPLE_REVIEWS = [
    ("The battery lasts two days and the screen is gorgeous.", (("praise", 0.94), ("question", 0.04),
                                                                ("complaint", 0.02)), None),
    ("Arrived with a cracked case and support never answered.", (("complaint", 0.97), ("question", 0.02),
                                                                 ("praise", 0.01)), None),
    ("Does it work with the older charger?", (("question", 0.91), ("complaint", 0.06), ("praise", 0.03)), None),
    ("Great value, my whole family uses it now.", (("praise", 0.89), ("question", 0.06), ("complaint", 0.05)),
     None),
    ("Stopped charging after a week. " * 40, (("complaint", 0.88), ("question", 0.07), ("praise", 0.05)),
     "truncated to 1978 tokens"),
    ("Is there a version in blue?", (("question", 0.95), ("praise", 0.03), ("complaint", 0.02)), None),
    ("Fast delivery, works as described.", (("praise", 0.92), ("complaint", 0.05), ("question", 0.03)), None),
]


def settle(app: object, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


SAMPLE_SOURCE = """Good morning and good night.
Where is the station? The weather is nice today.
I would like a cup of coffee, please."""


SAMPLE_SRT = """1
00:00:01,000 --> 00:00:03,200
Good morning and good night.

2
00:00:03,500 --> 00:00:06,000
Where is the station?
The weather is nice today.
"""


def fake_ner(tmp: Path) -> Path:
    """An installed-looking NER folder, so the Analyze page lists a model for entities (never loaded here)."""
    folder = tmp / "bert-ner"
    if not folder.exists():
        folder.mkdir()
        (folder / "model.onnx").write_bytes(b"\x08\x07")
        (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    return folder


def tiny_translator(tmp: Path) -> Path | None:
    """A tiny random Marian export that says it translates en→pt (needs the dev extra: torch, optimum)."""
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny_seq2seq import build_marian
    except ImportError:
        return None
    import json

    try:
        _, folder = build_marian(tmp / "marian")
    except Exception as exc:  # no torch or optimum: the Translate page shows its empty state
        print(f"no translation model for the screenshots: {exc}", file=sys.stderr)
        return None
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config.update(source_lang="en", target_lang="pt")
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    target = folder.rename(tmp / "opus-mt-tiny-en-pt")
    return target


def shoot(app: Any, window: Any, prefix: Path, empty: bool) -> None:
    def open_chat() -> None:
        window.show_page("chat")
        window.chat.conversations.list.setCurrentRow(2)
        settle(app, 1.0)

    def open_panels() -> None:
        window.chat.system_button.setChecked(True)
        window.chat.sampling_button.setChecked(True)

    def streaming() -> None:
        window.chat.system_button.setChecked(False)
        window.chat.sampling_button.setChecked(False)
        window.chat.new_chat()
        window.chat.sampling.set_values({"max_tokens": 0, "context_size": 256})
        window.chat._sampling_changed(window.chat.sampling.values())
        window.chat.send("Tell me a long story about a lamp")
        settle(app, 1.5)

    def stopped() -> None:
        window.chat.stop()
        while window.chat.reply is not None:
            settle(app, 0.05)

    def caption_image() -> None:
        from engines.caption import CaptionResult

        page = window.caption
        window.show_page("caption")
        page.tabs.setCurrentIndex(0)
        picture = prefix.parent / "sample-hills.png"
        if not picture.exists():
            sample_picture(picture)
        page.image_path = picture
        page.drop.show_file(picture)
        page.image_label.setText(str(picture.name))
        page.caption.setPlainText(SAMPLE_CAPTION)
        panel = page.batch_panel
        folder = Path.home() / "Pictures" / "Trip"
        panel.folder.setText(str(folder))
        panel.recursive.setChecked(True)
        panel.begin()
        rows = [("beach.jpg", "A wide sandy beach with waves rolling in at sunset.", None, True),
                ("market.jpg", "People shopping at an outdoor fruit market.", None, False),
                ("old/scan-01.tif", None, "is truncated or damaged (the image data ends early)", False),
                ("street.png", "A red tram climbing a narrow cobbled street.", None, False)]
        for count, (name, caption, error, skipped) in enumerate(rows, 1):
            panel.add(CaptionResult(folder / name, caption=caption, error=error, skipped=skipped), count, 6)
        panel.status.setText(panel.summary())

    def caption_batch() -> None:
        window.caption.tabs.setCurrentWidget(window.caption.batch_panel)

    def catalog() -> None:
        window.show_page("models")
        window.models.tabs.setCurrentIndex(1)

    def translation() -> None:
        page = window.translate_page
        window.show_page("translate")
        page.select_languages(None, "pt")
        page.source_edit.setPlainText(SAMPLE_SOURCE)
        page.translate()
        while page.run is not None:
            settle(app, 0.05)

    def subtitles() -> None:
        page = window.translate_page
        path = Path(tempfile.mkdtemp(prefix="candeia-shots-srt-")) / "lamp.srt"
        path.write_text(SAMPLE_SRT, encoding="utf-8")
        page.open_file(path)
        while page.run is not None:
            settle(app, 0.05)

    def documents() -> None:
        from engines.kb.api import Answer, open_kb

        page = window.documents
        window.show_page("documents")
        if EMBEDDER is None:
            return
        page.create_kb("Manuals", str(EMBEDDER))
        while page.current() != "Manuals" or page.runner.busy:
            settle(app, 0.05)
        page.add_paths([ROOT / "tests" / "data" / "kb_eval" / "docs"])
        while page.indexer.running or page.runner.busy:
            settle(app, 0.05)
        with open_kb("Manuals") as kb:
            hits = [kb.search(q, k=1, mode="bm25")[0] for q in ("white flash every ten seconds", "fog horn blasts")]
        page.ask.question.setText("How does Gull Rock signal to ships?")
        page.ask.finish(Answer(SAMPLE_ANSWER, hits))

    def create() -> None:
        from PySide6.QtGui import QImage

        from engines.imagegen.settings import ImageSettings

        page = window.create_page
        window.show_page("create")
        for prompt, seed, sky, sun, hills in SAMPLE_ART:
            settings = ImageSettings(prompt=prompt, negative_prompt="blurry, text", steps=1, guidance=0.0, seed=seed)
            newest = page.gallery.save(sample_art(sky, sun, hills), settings, "sd-turbo")
        page.model.addItem("SD-Turbo", "sd-turbo")  # staged: no real image model in the throwaway data folder
        page.model.setCurrentIndex(0)
        page.model.setEnabled(True)
        page.no_model.hide()
        page.panel.refresh(select=newest)
        page.use_settings_of(newest)
        page.status.setText(page.tr("Made in {seconds:.1f} s on {device}; seed {seed}").format(
            seconds=1.9, device="CPU", seed=SAMPLE_ART[-1][1]))
        page._show_preview(QImage(str(newest)))
        page._update_buttons()
        deadline = time.monotonic() + 20  # thumbnails are made on the file pool
        while time.monotonic() < deadline and not all(page.panel.model.has_thumbnail(i.path)
                                                       for i in page.gallery.items()):
            settle(app, 0.1)
    def analyze() -> None:
        from engines.analysis.output import Done
        from engines.analysis.results import Classification, LabelScore

        page = window.analyze_page
        window.show_page("analyze")
        page.task.setCurrentIndex(page.task.findData("zero-shot"))
        page.labels.setText("praise, complaint, question")
        reviews = prefix.parent / "reviews.csv"
        reviews.write_text("id,review\n" + "".join(f'{i},"{text}"\n' for i, (text, _, _) in enumerate(SAMPLE_REVIEWS)),
                           encoding="utf-8")
        page.set_source(reviews)
        page.column.setCurrentIndex(page.column.findData("review"))
        page.results.clear()
        rows = [Done(i, text, Classification(tuple(LabelScore(label, score) for label, score in labels)), note)
                for i, (text, labels, note) in enumerate(SAMPLE_REVIEWS)]
        page.results.append(rows)
        page.chart.set_counts(page.results.counts)
        page.table.resizeColumnToContents(0)
        page.table.selectRow(0)
        page._on_finished(len(rows))
        page._set_running(False)

    def analyze_entities() -> None:
        from engines.analysis.output import Done
        from engines.analysis.results import Entities, Entity

        page = window.analyze_page
        page.task.setCurrentIndex(page.task.findData("entities"))
        page.set_source(None)
        text = "Ana Souza flew from Lisbon to São Paulo to meet the Candeia team at Petrobras."
        page.text.setPlainText(text)
        words = (("PER", "Ana Souza"), ("LOC", "Lisbon"), ("LOC", "São Paulo"), ("ORG", "Candeia"),
                 ("ORG", "Petrobras"))
        found = [Entity(group, 0.98, word, text.index(word), text.index(word) + len(word)) for group, word in words]
        page.results.clear()
        page.results.append([Done(0, text, Entities(tuple(found)), None)])
        page.chart.set_counts(page.results.counts)
        page.table.selectRow(0)
        page._on_finished(1)

    shots: dict[str, Callable[[], None]] = {
        "welcome": lambda: window.show_page("chat"),
        "translate-none": lambda: window.show_page("translate"),
        "caption-empty": lambda: window.show_page("caption"),
        "documents-empty": lambda: window.show_page("documents"),
        "create-empty": lambda: window.show_page("create"),
        "analyze-empty": lambda: window.show_page("analyze"),
    } if empty else {
        "chat": open_chat,
        "chat-panels": open_panels,
        "chat-streaming": streaming,
        "chat-stopped": stopped,
        "models-installed": lambda: window.show_page("models"),
        "models-catalog": catalog,
        "settings": lambda: window.show_page("settings"),
        "translate": translation,
        "translate-subtitles": subtitles,
        "caption": caption_image,
        "caption-batch": caption_batch,
        "documents": documents,
        "create": create,
        "analyze": analyze,
        "analyze-entities": analyze_entities,
    }
    for name, action in shots.items():
        action()
        settle(app, 0.3)
        window.grab().save(f"{prefix}-{name}.png")


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="candeia-shots-"))
    from PySide6.QtWidgets import QApplication

    from desktop import i18n, theme
    from engines.testing import write_tiny_llama

    app = QApplication.instance() or QApplication([sys.argv[0]])
    model_file = write_tiny_llama(tmp / "tiny-chat.gguf", name="Tiny Chat")
    captioner = tiny_captioner(tmp)
    translator = tiny_translator(tmp)
    global EMBEDDER
    EMBEDDER = tiny_embedder(tmp)
    for language in ("en", "pt_BR"):
        for mode in ("light", "dark"):
            for empty in (True, False):
                os.environ["CANDEIA_HOME"] = str(tmp / f"{language}-{mode}-{'empty' if empty else 'full'}")
                from desktop.main_window import MainWindow
                from engines.chat.conversations import ConversationStore
                from engines.store.model_store import ModelStore

                if not empty:
                    model = ModelStore().add(model_file, name="Tiny Chat 0.1B")
                    if captioner is not None:
                        ModelStore().add(captioner, name="Tiny Captioner")
                    ModelStore().add(fake_ner(tmp), name="BERT NER base", tasks=["token-classification"])
                    if translator is not None:
                        ModelStore().add(translator, name="OPUS-MT tiny en→pt", tasks=["translate"])
                    store = ConversationStore()
                    conv = store.create("Reverse the words", model_id=model.id,
                                        system_prompt="You are an expert programmer.")
                    store.add_message(conv.id, "user", "Write a Python function that reverses the words of a sentence.")
                    store.add_message(conv.id, "assistant", SAMPLE_REPLY, {
                        "generated_tokens": 74, "tokens_per_s": 41.3, "ttft_ms": 182.0, "prompt_tokens": 52,
                        "evaluated_prompt_tokens": 52, "prompt_tokens_per_s": 285.0, "total_ms": 1980.0,
                        "stop_reason": "eos"})
                    store.create("Trip to Lisbon")
                    store.create("Summer recipes")
                    store.close()
                from engines.settings import load_settings, save_settings

                settings = load_settings()
                settings.ui_language = language  # card names and descriptions follow the setting, as in the app
                save_settings(settings)
                i18n.install(app, language)
                theme.apply(app, mode)
                window = MainWindow()
                window.resize(1180, 760)
                window.show()
                settle(app)
                shoot(app, window, out / f"{language}-{mode}", empty)
                window.close()
                window.deleteLater()
                settle(app, 0.2)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
