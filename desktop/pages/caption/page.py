"""The Caption page: a model picker, style and question, one image (drop, open, paste) and a batch folder.

The page keeps only widgets: every job runs through its CaptionEngine (engine.py), on the page's
`PageWorker`; the UI thread only shows results.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QDir, QStandardPaths, Qt, QTemporaryDir
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.page_worker import Run
from desktop.pages.caption.batch_panel import BatchPanel, result_error
from desktop.pages.caption.drop_zone import local_paths
from desktop.pages.caption.engine import BatchProgress, CaptionEngine
from desktop.pages.caption.single_view import SingleView
from desktop.pages.common import error_sentence, heading, page_layout
from engines.caption import SUPPORTED_SUFFIXES, CaptionOptions, CaptionResult, CaptionStyle
from engines.jobs import Cancelled
from engines.store.model_store import InstalledModel, ModelFormat


def captioning_models(models: list[InstalledModel]) -> list[InstalledModel]:
    """ONNX captioners, and GGUF vision models that have their projector (mmproj)."""
    return [m for m in models
            if "caption" in m.tasks or (m.format is ModelFormat.gguf and "mmproj" in m.companions)]


class CaptionPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = CaptionEngine(ctx.store, ctx.settings.threads, self, ctx.models, ctx.model_bytes)
        self.image_path: Path | None = None
        self._pasted = QTemporaryDir(QDir.tempPath() + "/candeia-paste-XXXXXX")
        self._paste_count = itertools.count(1)
        self._closed = False
        self.setAcceptDrops(True)  # drops anywhere on the page (the folder box too) go where the drop zone sends them

        layout = page_layout(self)
        layout.addWidget(heading(self.tr("Caption")))
        layout.addWidget(self._build_no_model())
        layout.addLayout(self._build_model_row())
        self.style_hint = QLabel()
        self.style_hint.setObjectName("muted")
        self.style_hint.setWordWrap(True)
        self.style_hint.setAccessibleName(self.tr("What the style does"))
        layout.addWidget(self.style_hint)
        self.question = QLineEdit()
        self.question.setAccessibleName(self.tr("Question about the image"))
        self.question.setClearButtonEnabled(True)
        self.question.returnPressed.connect(self.caption_current)
        layout.addWidget(self.question)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Caption one image or a folder"))
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._build_single(), self.tr("One image"))
        self.batch_panel = BatchPanel()
        self.batch_panel.folder.setAcceptDrops(False)  # a dropped folder fills it through the page, as a path
        self.batch_panel.start_requested.connect(self.start_batch)
        self.batch_panel.cancel_requested.connect(self.cancel_batch)
        self.batch_panel.open_requested.connect(self.show_result)
        self.tabs.addTab(self.batch_panel, self.tr("Folder"))

        paste = QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)
        self.ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()
        self._update_buttons()

    @property
    def single(self) -> Run | None:
        """The one-image run, while it lasts."""
        return self.engine.worker.current("single")

    @property
    def batch(self) -> Run | None:
        """The folder run, while it lasts."""
        return self.engine.worker.current("batch")

    # -- building --------------------------------------------------------------------------------
    def _build_no_model(self) -> QLabel:
        self.no_model = QLabel()
        self.no_model.setObjectName("notice")
        self.no_model.setWordWrap(True)
        self.no_model.setTextFormat(Qt.TextFormat.RichText)
        self.no_model.setAccessibleName(self.tr("No captioning model"))
        self.no_model.setText(self.tr(
            "No captioning model is installed. Get one on the <a href=\"models\">Models page</a>: an ONNX "
            "vision-encoder-decoder model, or a llama.cpp vision model with its projector (mmproj)."))
        self.no_model.linkActivated.connect(self.ctx.navigate.emit)
        return self.no_model

    def _build_model_row(self) -> QHBoxLayout:
        top = QHBoxLayout()
        model_label = QLabel(self.tr("&Model:"))
        top.addWidget(model_label)
        self.model = QComboBox()
        model_label.setBuddy(self.model)
        self.model.setAccessibleName(self.tr("Captioning model"))
        self.model.setMinimumContentsLength(18)
        self.model.setPlaceholderText(self.tr("No captioning model installed"))
        self.model.currentIndexChanged.connect(self._model_changed)
        top.addWidget(self.model, 1)
        style_label = QLabel(self.tr("&Style:"))
        top.addWidget(style_label)
        self.style_box = QComboBox()
        style_label.setBuddy(self.style_box)
        self.style_box.setAccessibleName(self.tr("Caption style"))
        for style, label in ((CaptionStyle.short, self.tr("Short")), (CaptionStyle.detailed, self.tr("Detailed")),
                             (CaptionStyle.alt, self.tr("Alt text"))):
            self.style_box.addItem(label, style.value)
        self.style_box.currentIndexChanged.connect(self._explain_style)
        top.addWidget(self.style_box)
        return top

    def _build_single(self) -> SingleView:
        view = SingleView()
        self.drop, self.open_button, self.paste_button = view.drop, view.open_button, view.paste_button
        self.image_label, self.caption, self.error = view.image_label, view.caption, view.error
        self.run_button, self.copy_button, self.timing = view.run_button, view.copy_button, view.timing
        self.drop.file_dropped.connect(self.set_image_file)
        self.drop.folder_dropped.connect(self.set_folder)
        self.drop.image_dropped.connect(self.set_image)
        self.open_button.clicked.connect(self._open_dialog)
        self.paste_button.clicked.connect(self.paste)
        self.caption.textChanged.connect(self._update_buttons)
        self.run_button.clicked.connect(self.caption_current)
        self.copy_button.clicked.connect(self.copy_caption)
        return view

    # -- models ---------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        current = self.model.currentData()
        models = captioning_models(self.ctx.installed())
        self.model.blockSignals(True)
        self.model.clear()
        for model in models:
            kind = self.tr("vision chat") if model.format is ModelFormat.gguf else "ONNX"
            self.model.addItem(f"{model.name} ({kind})", model.id)
        wanted = current or self.ctx.settings.default_models.get("caption")
        index = self.model.findData(wanted) if wanted else -1
        self.model.setCurrentIndex(index if index >= 0 else (0 if models else -1))
        self.model.blockSignals(False)
        self.no_model.setVisible(not models)
        self.model.setEnabled(bool(models))
        self._model_changed()

    def current_model(self) -> InstalledModel | None:
        model_id = self.model.currentData()
        return next((m for m in self.ctx.installed() if m.id == model_id), None) if model_id else None

    def answers_questions(self) -> bool:
        model = self.current_model()
        return model is not None and model.format is ModelFormat.gguf

    def _model_changed(self) -> None:
        prompts = self.answers_questions()
        self.question.setEnabled(prompts)
        self.style_box.setEnabled(prompts)
        self.question.setPlaceholderText(
            self.tr("Ask a question about the image (optional)") if prompts
            else self.tr("Questions need a vision chat model (GGUF with mmproj)"))
        self._explain_style()
        self._update_buttons()

    def _explain_style(self) -> None:
        self.style_hint.setVisible(self.model.count() > 0)
        if not self.answers_questions():
            self.style_hint.setText(self.tr("This captioning model writes one kind of caption: short and literal. "
                                            "Styles and questions need a vision chat model."))
            return
        hints = {
            CaptionStyle.short.value: self.tr("Short: one sentence naming what the image shows."),
            CaptionStyle.detailed.value: self.tr("Detailed: a paragraph about the subject, setting, colours and "
                                                 "any text in the image."),
            CaptionStyle.alt.value: self.tr("Alt text: a concise description for people using screen readers."),
        }
        self.style_hint.setText(hints.get(str(self.style_box.currentData()), ""))

    def options(self) -> CaptionOptions:
        prompts = self.answers_questions()
        question = self.question.text().strip() if prompts else ""
        return CaptionOptions(style=CaptionStyle(self.style_box.currentData()), prompt=question or None)

    # -- one image -----------------------------------------------------------------------------
    def set_image_file(self, path: Path) -> None:
        self.image_path = path
        self.drop.show_file(path)
        self.image_label.setText(str(path))
        self.tabs.setCurrentIndex(0)
        self.caption_current()

    def set_image(self, image: QImage) -> None:
        """A pasted or dropped picture: saved as a PNG in a private temporary folder, then captioned."""
        target = Path(self._pasted.path()) / f"pasted-{next(self._paste_count)}.png"
        if not self._pasted.isValid() or not image.save(str(target)):
            self._show_error(self.tr("Cannot keep the pasted image in the temporary folder."))
            return
        self.image_path = target
        self.drop.show_image(image)
        self.image_label.setText(self.tr("Pasted image, {width}×{height}").format(width=image.width(),
                                                                                  height=image.height()))
        self.tabs.setCurrentIndex(0)
        self.caption_current()

    def set_folder(self, folder: Path) -> None:
        self.batch_panel.folder.setText(str(folder))
        self.tabs.setCurrentWidget(self.batch_panel)

    def show_result(self, result: object) -> None:
        """A batch row in the one-image view: its picture and caption (or error), without captioning again."""
        if not isinstance(result, CaptionResult) or self.single is not None:
            return
        self.image_path = result.path
        self.drop.show_file(result.path)
        self.image_label.setText(str(result.path))
        self.caption.setPlainText(result.caption or "")
        self.timing.clear()
        if result.ok:
            self.error.hide()
        else:
            self._show_error(result_error(result))
        self.tabs.setCurrentIndex(0)
        self._update_buttons()

    def _open_dialog(self) -> None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        patterns = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open an image"), start,
                                              self.tr("Images ({patterns})").format(patterns=patterns))
        if path:
            self.set_image_file(Path(path))

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return
        for path in local_paths(mime):
            if path.is_dir():
                self.set_folder(path)
                return
            if path.is_file():
                self.set_image_file(path)
                return
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self.set_image(image)
                return
        self._show_error(self.tr("The clipboard holds no image."))

    def caption_current(self) -> None:
        """Caption the current image; a caption still being made for an earlier one is stopped and dropped."""
        model = self.current_model()
        if self.image_path is None or model is None or self.batch is not None:
            self._update_buttons()
            return
        self.error.hide()
        self.caption.clear()
        self.caption.setPlaceholderText(self.tr("Captioning…"))
        self.timing.clear()
        self.engine.caption_one(model.id, self.image_path, self.options(), on_result=self._on_caption,
                                on_error=self._on_caption_failed, on_done=self._on_single_done)
        self._update_buttons()

    def _on_caption(self, result: object) -> None:
        if isinstance(result, tuple):
            caption, seconds = result
            self.caption.setPlainText(str(caption).strip())
            self.timing.setText(self.tr("{seconds:.2f} s").format(seconds=seconds))

    def _on_caption_failed(self, error: object) -> None:
        if not isinstance(error, Cancelled):
            self._show_error(error_sentence(error))

    def _on_single_done(self) -> None:
        self.caption.setPlaceholderText(self.tr("The caption appears here."))
        self._update_buttons()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def copy_caption(self) -> None:
        text = self.caption.toPlainText()
        if text:
            QGuiApplication.clipboard().setText(text)
            self.timing.setText(self.tr("Copied"))

    # -- a folder ------------------------------------------------------------------------------
    def start_batch(self) -> None:
        panel = self.batch_panel
        model = self.current_model()
        folder = panel.folder_path()
        if model is None or self.batch is not None or self.single is not None:
            return
        if folder is None or not folder.is_dir():
            panel.status.setText(self.tr("Choose a folder of images first."))
            return
        options = panel.options()
        if options.out is not None and options.out.suffix.lower() not in (".csv", ".jsonl"):
            panel.status.setText(self.tr("The results file must end in .csv or .jsonl."))
            return
        panel.begin()
        self.engine.caption_batch(model.id, [folder], self.options(), options, on_progress=self._on_batch_item,
                                  on_result=self._on_batch_finished, on_error=self._on_batch_failed,
                                  on_done=self._on_batch_done)
        panel.set_running(True)
        self._update_buttons()

    def cancel_batch(self) -> None:
        if self.batch is not None:
            self.batch.cancel()
            self.batch_panel.status.setText(self.tr("Stopping after the images being captioned…"))

    def _on_batch_item(self, item: object) -> None:
        if isinstance(item, BatchProgress):
            self.batch_panel.add(item.result, item.count, item.total)

    def _on_batch_finished(self, _: object) -> None:
        panel = self.batch_panel
        if not panel.results:
            panel.finish(self.tr("No images found in the folder (PNG, JPEG, WebP, GIF, BMP, TIFF)."))
            return
        out = panel.options().out
        panel.finish(self.tr("Done; results saved to {path}.").format(path=out) if out else self.tr("Done."))

    def _on_batch_failed(self, error: object) -> None:
        if isinstance(error, Cancelled):
            self.batch_panel.finish(self.tr("Stopped; run the batch again to resume where it stopped."))
        else:
            self.batch_panel.finish(self.tr("The batch stopped: {error}").format(error=error_sentence(error)))

    def _on_batch_done(self) -> None:
        self.batch_panel.set_running(False)
        self._update_buttons()

    # -- drops outside the drop zone ---------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.drop.accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.drop.deliver(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    # -- state ---------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        has_model = self.model.count() > 0
        idle = self.single is None and self.batch is None
        self.run_button.setEnabled(has_model and idle and self.image_path is not None)
        self.batch_panel.start.setEnabled(has_model and self.batch is None and self.single is None)
        self.copy_button.setEnabled(bool(self.caption.toPlainText()))

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.engine.shutdown()
        self._pasted.remove()
