"""Where an image arrives: dropped files or folders, pasted pictures, and the preview of the current image."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QImage,
    QImageReader,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from engines.caption import SUPPORTED_SUFFIXES


def local_paths(mime: QMimeData) -> list[Path]:
    """The local files and folders a drop or a paste carries (remote URLs are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


class DropZone(QWidget):
    """Accepts dropped image files (`file_dropped`), folders (`folder_dropped`) and pictures (`image_dropped`);
    shows the current image scaled to fit, or a hint when there is none."""

    file_dropped = Signal(Path)
    folder_dropped = Signal(Path)
    image_dropped = Signal(QImage)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setMinimumSize(260, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(self.tr("Image drop zone"))
        self.setAccessibleDescription(self.tr("Drop an image or a folder of images here"))
        self._pixmap: QPixmap | None = None
        self._hovering = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setAccessibleName(self.tr("Image preview"))
        self.preview.setWordWrap(True)
        self.preview.setObjectName("muted")
        layout.addWidget(self.preview)
        self.clear()

    # -- the picture -----------------------------------------------------------------------------
    def clear(self) -> None:
        self._pixmap = None
        self.preview.setPixmap(QPixmap())
        self.preview.setText(self.tr("Drop an image here, paste one (Ctrl+V) or open a file.\n"
                                     "Drop a folder to caption every image in it."))

    def show_image(self, image: QImage) -> None:
        self._pixmap = QPixmap.fromImage(image)
        self.preview.setText("")
        self._rescale()

    def show_file(self, path: Path) -> bool:
        """Preview `path`; False (with a note in the preview) when Qt cannot read it."""
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)  # EXIF orientation, as the engine applies it
        image = reader.read()
        if image.isNull():
            self._pixmap = None
            self.preview.setPixmap(QPixmap())
            self.preview.setText(self.tr("No preview for {name}").format(name=path.name))
            return False
        self.show_image(image)
        return True

    @property
    def has_image(self) -> bool:
        return self._pixmap is not None

    def _rescale(self) -> None:
        if self._pixmap is None:
            return
        area = self.preview.size()
        ratio = self.devicePixelRatioF()
        scaled = self._pixmap.scaled(
            max(1, int(area.width() * ratio)), max(1, int(area.height() * ratio)),
            Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(ratio)
        self.preview.setPixmap(scaled)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        role = QPalette.ColorRole.Highlight if self._hovering else QPalette.ColorRole.Mid
        pen = QPen(palette.color(role), 2 if self._hovering else 1.5)
        if self._pixmap is None:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 10, 10)
        painter.end()

    # -- drops ---------------------------------------------------------------------------------
    def accepts(self, mime: QMimeData) -> bool:
        return mime.hasImage() or any(p.is_dir() or is_image_name(p) for p in local_paths(mime))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.accepts(event.mimeData()):
            event.acceptProposedAction()
            self._hovering = True
            self.update()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._hovering = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._hovering = False
        self.update()
        if self.deliver(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def deliver(self, mime: QMimeData) -> bool:
        """Emit what `mime` carries (the first folder or image file wins; else a picture). True if anything."""
        for path in local_paths(mime):
            if path.is_dir():
                self.folder_dropped.emit(path)
                return True
            if path.is_file():  # any file: a misnamed or broken one gets the engine's clear error
                self.file_dropped.emit(path)
                return True
        if mime.hasImage():
            image = QImage(mime.imageData())
            if not image.isNull():
                self.image_dropped.emit(image)
                return True
        return False
