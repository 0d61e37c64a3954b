"""First run: what Candeia does, a starter model, and ways to bring models in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..appcontext import AppContext
from ..recommend import starter_chat_card
from .common import format_params, format_size, heading, page_layout


class WelcomePage(QWidget):
    import_requested = Signal()
    scan_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = page_layout(self, 40)
        layout.addWidget(heading(self.tr("Welcome to Candeia")))
        intro = heading(
            self.tr(
                "Chat, translate and caption images with AI models that run entirely on this computer. "
                "Nothing you type leaves it: after a model is downloaded, Candeia works offline."
            ),
            "subtitle",
        )
        layout.addWidget(intro)
        layout.addSpacing(8)

        card = starter_chat_card(ctx.catalog)
        box = QFrame()
        box.setObjectName("card")
        inner = QVBoxLayout(box)
        inner.setContentsMargins(18, 14, 18, 14)
        inner.addWidget(heading(self.tr("A good first model"), "muted"))
        if card is not None:
            name = QLabel(f"<b>{card.name}</b>")
            inner.addWidget(name)
            details = [
                card.parameters and self.tr("{params} parameters").format(params=format_params(card.parameters)),
                card.quantization or "",
                card.size and format_size(card.size),
                self.tr("licence: {licence}").format(licence=card.license),
            ]
            inner.addWidget(heading(" · ".join(d for d in details if d), "muted"))
            inner.addWidget(heading(card.description, "subtitle"))
        # Seam: when the downloader and the fit estimate land, this button downloads the
        # recommended card (the best one that fits this machine) with progress inline.
        self.download_button = QPushButton(self.tr("Download this model"))
        self.download_button.setObjectName("primary")
        self.download_button.setEnabled(False)
        self.download_button.setToolTip(self.tr("Downloading from the catalog is coming in a later version."))
        self.download_button.setAccessibleName(self.tr("Download the recommended model"))
        row = QHBoxLayout()
        row.addWidget(self.download_button)
        browse = QPushButton(self.tr("Browse the catalog"))
        browse.clicked.connect(lambda: ctx.navigate.emit("models"))
        row.addWidget(browse)
        row.addStretch(1)
        inner.addLayout(row)
        layout.addWidget(box)

        local = QFrame()
        local.setObjectName("card")
        inner = QVBoxLayout(local)
        inner.setContentsMargins(18, 14, 18, 14)
        inner.addWidget(heading(self.tr("Already have models?"), "muted"))
        inner.addWidget(heading(
            self.tr("Use GGUF files you already have (from LM Studio, GPT4All, Ollama or a download). "
                    "They stay where they are; Candeia only remembers where to find them."),
            "subtitle",
        ))
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("Import a model file…"))
        self.import_button.clicked.connect(self.import_requested)
        self.scan_button = QPushButton(self.tr("Scan a folder…"))
        self.scan_button.clicked.connect(self.scan_requested)
        row.addWidget(self.import_button)
        row.addWidget(self.scan_button)
        row.addStretch(1)
        inner.addLayout(row)
        layout.addWidget(local)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addStretch(1)
