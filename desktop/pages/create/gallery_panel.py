"""The gallery side of the Create page: the grid and its actions (open, copy, save as, delete, reuse, add)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from desktop import theme
from desktop.pages.common import error_sentence, heading
from desktop.pages.create.gallery_view import ICON, GalleryModel, GalleryView
from desktop.workers import TaskRunner
from engines.imagegen.gallery import Gallery


class GalleryPanel(QWidget):
    open_requested = Signal(Path)
    reuse_requested = Signal(Path)
    import_requested = Signal()
    failed = Signal(str)  # one line for the page's status

    def __init__(self, gallery: Gallery, files: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gallery = gallery
        self._files = files
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(heading(self.tr("Gallery"), "subtitle"))
        top.addStretch(1)
        self.count = QLabel()
        self.count.setObjectName("muted")
        top.addWidget(self.count)
        self.add_button = QPushButton(self.tr("A&dd images…"))
        self.add_button.setToolTip(self.tr("Add images from elsewhere (or drop them on the page)"))
        self.add_button.clicked.connect(self.import_requested)
        top.addWidget(self.add_button)
        column.addLayout(top)
        self.model = GalleryModel(self)
        self.model.set_placeholder(theme.icon("caption", theme.current().muted), ICON)
        self.model.thumbnail_wanted.connect(self._make_thumbnail)
        self.view = GalleryView(self.model)
        self.view.open_requested.connect(self.open_requested)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        column.addWidget(self.view, 1)
        column.addLayout(self._build_buttons())
        self._update_buttons()

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = self._button(row, self.tr("&Open"), self.open_requested.emit)
        self.reuse_button = self._button(row, self.tr("&Use these settings again"), self.reuse_requested.emit)
        self.copy_button = self._button(row, self.tr("&Copy"), self.copy)
        self.save_button = self._button(row, self.tr("Save &as…"), self.save_as)
        self.delete_button = self._button(row, self.tr("&Delete"), self.delete)
        row.addStretch(1)
        return row

    def _button(self, row: QHBoxLayout, text: str, action: object) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda: self._on_current(action))
        row.addWidget(button)
        return button

    def _on_current(self, action: object) -> None:
        path = self.view.current_path()
        if path is not None and callable(action):
            action(path)

    # -- the list -------------------------------------------------------------------------------
    def refresh(self, select: Path | None = None) -> None:
        """List the gallery again (after a new image, an import or a delete); `select` becomes current."""
        current = select or self.view.current_path()
        items = self.gallery.items()
        self.model.set_items(items)
        self.count.setText(self.tr("Images: {count}").format(count=len(items)))
        row = self.model.row_of(current) if current is not None else -1
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))
            self.view.scrollTo(self.model.index(row))
        self._update_buttons()

    def _make_thumbnail(self, path: Path) -> None:
        task = self._files.start("thumbnail", lambda cancel: self.gallery.thumbnail(path))
        task.succeeded.connect(lambda thumbnail: self.model.set_thumbnail(path, thumbnail))
        task.failed.connect(lambda error: self.model.set_thumbnail(path, None))

    def _update_buttons(self) -> None:
        chosen = self.view.current_path() is not None
        for button in (self.open_button, self.reuse_button, self.copy_button, self.save_button, self.delete_button):
            button.setEnabled(chosen)

    # -- actions --------------------------------------------------------------------------------
    def copy(self, path: Path) -> None:
        image = QImage(str(path))
        if image.isNull():
            self.failed.emit(self.tr("{name} cannot be read.").format(name=path.name))
            return
        QGuiApplication.clipboard().setImage(image)

    def save_as(self, path: Path) -> Path | None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        target, _ = QFileDialog.getSaveFileName(self, self.tr("Save the image as"), str(Path(start) / path.name),
                                                self.tr("PNG images (*.png)"))
        if not target:
            return None
        try:
            return self.gallery.save_as(path, Path(target))
        except OSError as exc:
            self.failed.emit(self.tr("Cannot save {name}: {error}").format(name=Path(target).name,
                                                                          error=exc.strerror or exc))
            return None

    def confirm_delete(self, path: Path) -> bool:
        answer = QMessageBox.question(self, self.tr("Delete the image?"),
                                      self.tr("Delete {name} from the gallery? This cannot be undone.").format(
                                          name=path.name))
        return answer == QMessageBox.StandardButton.Yes

    def delete(self, path: Path) -> bool:
        if not self.confirm_delete(path):
            return False
        row = self.model.row_of(path)
        try:
            self.gallery.delete(path)
        except (OSError, ValueError) as exc:
            self.failed.emit(error_sentence(exc))
            return False
        following = self.model.path_at(row + 1) or self.model.path_at(row - 1)
        self.refresh(select=following)
        return True
