"""The Create page: images from a prompt with a Stable Diffusion-class model, and the gallery of images made.

The page keeps only widgets: generation runs through its CreateEngine (engine.py) on the page's
`PageWorker`, thumbnails on the app's file pool. Images dropped on the page join the gallery (checked
as captioning checks images), and "use these settings again" fills the form from any gallery image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.pages.caption.drop_zone import local_paths
from desktop.pages.common import error_sentence, heading, page_layout
from desktop.pages.create.engine import CreateEngine, Made, Step
from desktop.pages.create.form import SettingsForm
from desktop.pages.create.gallery_panel import GalleryPanel
from desktop.pages.create.viewer import ImageViewer
from engines.imagegen.defaults import CLASSIC
from engines.imagegen.gallery import Gallery
from engines.imagegen.onnx.schedule import SAMPLERS as ONNX_SAMPLERS
from engines.imagegen.png_params import read_parameters
from engines.images.decode import SUPPORTED_SUFFIXES
from engines.jobs import Cancelled
from engines.store.model_store import InstalledModel, ModelFormat

IMAGE_TASK = "image"


def image_models(models: list[InstalledModel]) -> list[InstalledModel]:
    return [m for m in models if IMAGE_TASK in m.tasks]


class CreatePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, gallery: Gallery | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.gallery = gallery or Gallery()
        self.engine = CreateEngine(self.gallery, ctx.settings.threads, self, ctx.models, ctx.model_bytes)
        self._closed = False
        self.setAcceptDrops(True)

        layout = page_layout(self)
        layout.addWidget(heading(self.tr("Create")))
        layout.addWidget(self._build_no_model())
        layout.addLayout(self._build_model_row())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_left())
        self.panel = GalleryPanel(self.gallery, ctx.files)
        self.panel.open_requested.connect(self.open_image)
        self.panel.reuse_requested.connect(self.use_settings_of)
        self.panel.import_requested.connect(self.import_dialog)
        self.panel.failed.connect(self.show_error)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 4)
        layout.addWidget(splitter, 1)

        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.generate)
        self.ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()
        self.panel.refresh()
        self._update_buttons()

    # -- building --------------------------------------------------------------------------------
    def _build_no_model(self) -> QLabel:
        self.no_model = QLabel()
        self.no_model.setObjectName("notice")
        self.no_model.setWordWrap(True)
        self.no_model.setTextFormat(Qt.TextFormat.RichText)
        self.no_model.setAccessibleName(self.tr("No image model"))
        self.no_model.setText(self.tr(
            "No image model is installed. Get one on the <a href=\"models\">Models page</a>: SD-Turbo makes an "
            "image in one step; Stable Diffusion 1.5 takes longer and is more detailed. The gallery works "
            "without one."))
        self.no_model.linkActivated.connect(self.ctx.navigate.emit)
        return self.no_model

    def _build_model_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        label = QLabel(self.tr("&Model:"))
        row.addWidget(label)
        self.model = QComboBox()
        label.setBuddy(self.model)
        self.model.setAccessibleName(self.tr("Image model"))
        self.model.setMinimumContentsLength(18)
        self.model.setPlaceholderText(self.tr("No image model installed"))
        self.model.currentIndexChanged.connect(self._model_changed)
        row.addWidget(self.model, 1)
        return row

    def _build_left(self) -> QScrollArea:
        """The form, the buttons, the status and the preview; it scrolls when the window is short."""
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 8, 0)
        self.form = SettingsForm()
        self.form.init_image_wanted.connect(self.choose_init_image)
        column.addWidget(self.form)
        buttons = QHBoxLayout()
        self.generate_button = QPushButton(self.tr("&Generate"))
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip(self.tr("Generate (Ctrl+Enter)"))
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton(self.tr("S&top"))
        self.stop_button.clicked.connect(self.cancel)
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Generation progress"))
        self.progress.setTextVisible(False)
        self.progress.hide()
        column.addWidget(self.progress)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        column.addWidget(self.status)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setMinimumHeight(120)
        self.preview.setAccessibleName(self.tr("Preview"))
        column.addWidget(self.preview, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(left)
        scroll.setMinimumWidth(left.minimumSizeHint().width() + 16)
        return scroll

    # -- models ---------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        current = self.model.currentData()
        models = image_models(self.ctx.installed())
        self.model.blockSignals(True)
        self.model.clear()
        for model in models:
            self.model.addItem(model.name, model.id)
        wanted = current or self.ctx.settings.default_models.get(IMAGE_TASK)
        index = self.model.findData(wanted) if wanted else -1
        self.model.setCurrentIndex(index if index >= 0 else (0 if models else -1))
        self.model.blockSignals(False)
        self.no_model.setVisible(not models)
        self.model.setEnabled(bool(models))
        if self.model.currentData() != current:
            self._model_changed()
        self._update_buttons()

    def current_model(self) -> InstalledModel | None:
        model_id = self.model.currentData()
        return next((m for m in self.ctx.installed() if m.id == model_id), None) if model_id else None

    def recommended(self, model: InstalledModel) -> dict[str, Any]:
        """Steps, guidance, sampler and size from the model's card; SD 1.x classics for a model without one."""
        found: dict[str, Any] = dict(CLASSIC)
        if (card := self.ctx.card(model.card_id)) is not None:
            found.update({key: value for key in ("steps", "guidance", "sampler", "image_size")
                          if (value := getattr(card.recommended, key, None)) is not None})
        return found

    def _model_changed(self) -> None:
        model = self.current_model()
        if model is not None:
            self.form.apply_defaults(self.recommended(model))
            self.form.offer_samplers(ONNX_SAMPLERS if model.format is ModelFormat.onnx else None)
        self._update_buttons()

    # -- generating -----------------------------------------------------------------------------
    def generate(self) -> None:
        model = self.current_model()
        if model is None or self.engine.worker.current("generate") is not None:
            return
        settings = self.form.settings()
        if not settings.prompt:
            self.show_error(self.tr("Write a prompt first."))
            self.form.prompt.setFocus()
            return
        self.progress.setRange(0, 0)  # busy until the first step: the model may be loading
        self.progress.show()
        self.status.setText(self.tr("Loading {model}…").format(model=model.name))
        self.engine.generate(model.id, settings, on_progress=self._on_step, on_result=self._on_made,
                             on_error=self._on_failed, on_done=self._on_done)
        self._update_buttons()

    def cancel(self) -> None:
        if (run := self.engine.worker.current("generate")) is not None:
            run.cancel()
            self.status.setText(self.tr("Stopping…"))

    def _on_step(self, item: object) -> None:
        if not isinstance(item, Step):
            return
        self.progress.setRange(0, item.total)
        self.progress.setValue(item.step)
        self.status.setText(self.tr("Step {step} of {total}").format(step=item.step, total=item.total))
        if item.preview:
            self._show_preview(QImage.fromData(item.preview))

    def _on_made(self, made: object) -> None:
        if not isinstance(made, Made) or not made.paths:
            return
        self.panel.refresh(select=made.paths[-1])
        self._show_preview(QImage(str(made.paths[-1])))
        first, last = made.settings[0].seed, made.settings[-1].seed
        if len(made.paths) == 1:
            text = self.tr("Made in {seconds:.1f} s on {device}; seed {seed}").format(
                seconds=made.seconds, device=made.device, seed=first)
        else:
            text = self.tr("Made {count} images in {seconds:.1f} s on {device}; seeds {first} to {last}").format(
                count=len(made.paths), seconds=made.seconds, device=made.device, first=first, last=last)
        self.status.setText(text)

    def _on_failed(self, error: object) -> None:
        if isinstance(error, Cancelled):
            self.status.setText(self.tr("Stopped."))
        else:
            self.show_error(error_sentence(error))

    def _on_done(self) -> None:
        self.progress.hide()
        self._update_buttons()

    def _show_preview(self, image: QImage) -> None:
        if image.isNull():
            return
        pixmap = QPixmap.fromImage(image)
        area = self.preview.size()
        self.preview.setPixmap(pixmap.scaled(max(1, area.width()), max(1, area.height()),
                                             Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))

    def show_error(self, text: str) -> None:
        self.status.setText(self.tr("Error: {error}").format(error=text))

    # -- the gallery ----------------------------------------------------------------------------
    def open_image(self, path: Path) -> ImageViewer:
        viewer = ImageViewer(path, self)
        viewer.copy_requested.connect(self.panel.copy)
        viewer.save_requested.connect(self.panel.save_as)
        def reuse(chosen: Path) -> None:
            if self.use_settings_of(chosen):
                viewer.accept()

        def delete(chosen: Path) -> None:
            if self.panel.delete(chosen):
                viewer.accept()

        viewer.reuse_requested.connect(reuse)
        viewer.delete_requested.connect(delete)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.show()
        return viewer

    def use_settings_of(self, path: Path) -> bool:
        """Fill the form from the image's PNG chunks (ours, A1111's or ComfyUI's); False when it has none."""
        parameters = read_parameters(path)
        if parameters is None:
            self.show_error(self.tr("{name} does not say how it was made.").format(name=path.name))
            return False
        self.form.apply(parameters.settings)  # an image to start from stays as chosen: PNGs do not name one
        note = self.tr("Settings of {name} are in the form.").format(name=path.name)
        if parameters.model_id and not self._select_model(parameters.model_id):
            note += " " + self.tr("It was made with {model}, which is not installed.").format(model=parameters.model_id)
        self.status.setText(note)
        return True

    def _select_model(self, model_id: str) -> bool:
        for index in range(self.model.count()):
            model = next((m for m in self.ctx.installed() if m.id == self.model.itemData(index)), None)
            if model is not None and model_id in (model.id, model.name, Path(model.path).name, Path(model.path).stem):
                self.model.blockSignals(True)  # the image's settings, not the card's defaults
                self.model.setCurrentIndex(index)
                self.model.blockSignals(False)
                return True
        return False

    def import_files(self, paths: list[Path]) -> list[Path]:
        """Add images from outside to the gallery; each refused one is said in the status line."""
        added: list[Path] = []
        for path in paths:
            try:
                added.append(self.gallery.import_image(path))
            except (OSError, ValueError) as exc:
                self.show_error(error_sentence(exc))
        if added:
            self.panel.refresh(select=added[-1])
            if len(added) == len(paths):
                self.status.setText(self.tr("Added to the gallery: {name}").format(name=added[-1].name))
        return added

    def _image_filter(self) -> str:
        patterns = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES))
        return self.tr("Images ({patterns})").format(patterns=patterns)

    def import_dialog(self) -> None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Add images to the gallery"), start,
                                                self._image_filter())
        self.import_files([Path(p) for p in paths])

    def choose_init_image(self) -> None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose the image to start from"), start,
                                              self._image_filter())
        if path:
            self.form.init_path.setText(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(p.is_file() for p in local_paths(event.mimeData())):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [p for p in local_paths(event.mimeData()) if p.is_file()]
        if files:
            self.import_files(files)
            event.acceptProposedAction()

    # -- state ---------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        running = self.engine.worker.current("generate") is not None
        self.generate_button.setEnabled(self.model.count() > 0 and not running)
        self.stop_button.setEnabled(running)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.engine.shutdown()
