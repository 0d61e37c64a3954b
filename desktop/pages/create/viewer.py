"""One gallery image, large, with the settings it carries and what can be done with it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QImageReader, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engines.imagegen.png_params import format_parameters, read_parameters


class ImageViewer(QDialog):
    """Emits what the user asked for; the page does it (and closes the viewer after a delete)."""

    copy_requested = Signal(Path)
    save_requested = Signal(Path)
    reuse_requested = Signal(Path)
    delete_requested = Signal(Path)

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.setWindowTitle(path.name)
        self.resize(760, 720)
        layout = QVBoxLayout(self)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setAccessibleName(self.tr("Image"))
        layout.addWidget(self.picture, 1)
        self.details = QLabel()
        self.details.setObjectName("muted")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName(self.tr("How the image was made"))
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.reuse_button = self._button(buttons, self.tr("&Use these settings again"), self.reuse_requested)
        self.copy_button = self._button(buttons, self.tr("&Copy"), self.copy_requested)
        self.save_button = self._button(buttons, self.tr("&Save as…"), self.save_requested)
        self.delete_button = self._button(buttons, self.tr("&Delete"), self.delete_requested)
        layout.addWidget(buttons)
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)
        self._pixmap = QPixmap.fromImage(reader.read())
        if self._pixmap.isNull():
            self.picture.setText(self.tr("This image cannot be shown."))
        parameters = read_parameters(path)
        self.reuse_button.setEnabled(parameters is not None)
        self.details.setText(format_parameters(parameters.settings, parameters.model_id) if parameters is not None
                             else self.tr("This image does not say how it was made."))

    def _button(self, box: QDialogButtonBox, text: str, signal: SignalInstance) -> QPushButton:
        button = box.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        button.clicked.connect(lambda: signal.emit(self.path))
        return button

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._pixmap.isNull():
            return
        ratio = self.devicePixelRatioF()
        area = self.picture.size()
        scaled = self._pixmap.scaled(max(1, int(area.width() * ratio)), max(1, int(area.height() * ratio)),
                                     Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        scaled.setDevicePixelRatio(ratio)
        self.picture.setPixmap(scaled)
