"""First run: what Candeia does, a starter model, and ways to bring models in."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.appcontext import AppContext
from desktop.pages.common import card_frame, format_params, format_size, heading, page_layout
from desktop.pages.licence import confirm_download, licence_badge
from desktop.recommend import starter_chat_card
from engines.cards import ModelCard

CARD_MARGINS = (18, 14, 18, 14)


class WelcomePage(QWidget):
    import_requested = Signal()
    download_requested = Signal(str)  # card id: the window shows its progress on the Models page
    scan_requested = Signal()
    browse_requested = Signal()  # the window opens the Models page on its Catalog tab

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
        layout.addWidget(self._build_starter())
        layout.addWidget(self._build_local())
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.card: ModelCard | None = None
        ctx.hardware_ready.connect(self.recommend)
        ctx.settings_changed.connect(self.recommend)
        self.recommend()

    def _build_starter(self) -> QFrame:
        """The recommended first model (filled in by `recommend`), with Download and Browse."""
        box, inner = card_frame(CARD_MARGINS)
        inner.addWidget(heading(self.tr("A good first model"), "muted"))
        self.card_name = QLabel()
        self.card_facts = heading("", "muted")
        self.card_fit = heading("", "muted")
        self.card_description = heading("", "subtitle")
        for label in (self.card_name, self.card_facts, self.card_fit, self.card_description):
            inner.addWidget(label)
        self.download_button = QPushButton(self.tr("Download this model"))
        self.download_button.setObjectName("primary")
        self.download_button.setAccessibleName(self.tr("Download the recommended model"))
        self.download_button.clicked.connect(self._download)
        row = QHBoxLayout()
        row.addWidget(self.download_button)
        browse = QPushButton(self.tr("Browse the catalog"))
        browse.clicked.connect(self.browse_requested)
        row.addWidget(browse)
        row.addStretch(1)
        inner.addLayout(row)
        return box

    def _build_local(self) -> QFrame:
        """Import or scan for model files the user already has."""
        local, inner = card_frame(CARD_MARGINS)
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
        return local

    def recommend(self) -> None:
        """The starter model: the best small one that fits, once the hardware is measured."""
        ctx = self.ctx
        language = ctx.ui_language()
        card = self.card = starter_chat_card(ctx.catalog, ctx.fit if ctx.hardware is not None else None, language)
        if card is None:
            return
        self.card_name.setText(f"<b>{card.localized_name(language)}</b>")
        details = [
            card.parameters and self.tr("{params} parameters").format(params=format_params(card.parameters)),
            card.quantization or "",
            self.tr("{size} download").format(size=format_size(card.size)),
            self.tr("licence: {licence}").format(licence=f"{card.licence.id} ({licence_badge(card)})"),
        ]
        self.card_facts.setText(" · ".join(str(d) for d in details if d))
        fit = ctx.fit(card)
        self.card_fit.setText(self.tr("Fits this computer: about {needed} of memory, {available} free").format(
            needed=format_size(fit.needed), available=format_size(fit.available))
            if fit is not None and fit.available else "")
        self.card_description.setText(card.localized_description(language))
        offline = ctx.downloads.offline()
        self.download_button.setEnabled(not offline)
        self.download_button.setToolTip(self.tr("Offline mode is on (Settings)") if offline else "")

    def _download(self) -> None:
        if self.card is not None and confirm_download(self, self.card, self.ctx.ui_language()):
            self.ctx.downloads.start(self.card)
            self.download_requested.emit(self.card.id)
