"""Translate and Caption until their own issues fill them in: say what model they will need."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from ..appcontext import AppContext
from .common import heading, page_layout


class TaskPlaceholderPage(QWidget):
    def __init__(self, ctx: AppContext, task: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        if task == "translate":
            title = self.tr("Translate")
            text = self.tr(
                "Translate text and documents between languages, entirely on this computer. "
                "This page needs a translation model: an ONNX translation model (such as OPUS-MT) "
                "or a chat model that can translate (such as Qwen2.5)."
            )
        else:
            title = self.tr("Caption")
            text = self.tr(
                "Describe images and whole folders of pictures, entirely on this computer. "
                "This page needs an image-captioning model: an ONNX vision-encoder-decoder model "
                "or a llama.cpp vision model with its projector (mmproj)."
            )
        layout.addWidget(heading(title))
        body = heading(text, "subtitle")
        layout.addWidget(body)
        coming = heading(self.tr("This page is coming in a later version."), "muted")
        layout.addWidget(coming)
        browse = QPushButton(self.tr("Browse models"))
        browse.setAccessibleName(self.tr("Browse models for this task"))
        browse.clicked.connect(lambda: ctx.navigate.emit("models"))
        row = QHBoxLayout()
        row.addWidget(browse)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
