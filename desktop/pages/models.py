"""The Models page: the catalog (filters, details, download) and the installed models (verify, delete,
reveal, default). Downloads run in desktop/downloads.py; the catalog's `DownloadPanel` (download_panel.py)
shows the selected card's download and its buttons.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.pages.common import format_params, format_size, heading, page_layout
from desktop.pages.download_panel import DownloadPanel
from desktop.pages.installed_pane import InstalledPane, task_names
from desktop.pages.licence import licence_badge, licence_html
from engines.cards import ModelCard

SIZE_LIMITS = (None, 1_000_000_000, 3_000_000_000, 8_000_000_000)


class CatalogPane(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        filters = QHBoxLayout()
        self.task_filter = QComboBox()
        self.task_filter.setAccessibleName(self.tr("Filter by task"))
        self.task_filter.addItem(self.tr("All tasks"), None)
        for key, name in task_names().items():
            self.task_filter.addItem(name, key)
        self.size_filter = QComboBox()
        self.size_filter.setAccessibleName(self.tr("Filter by size"))
        for limit in SIZE_LIMITS:
            self.size_filter.addItem(self.tr("Any size") if limit is None else
                                     self.tr("Up to {size}").format(size=format_size(limit)), limit)
        self.fits_filter = QCheckBox(self.tr("Fits this computer"))
        self.fits_filter.setEnabled(ctx.hardware is not None)  # enabled once the hardware is measured
        self.fits_filter.setToolTip(self.tr("Only models whose memory estimate fits the free memory"))
        self.fits_filter.toggled.connect(lambda _: self.refresh())
        self.commercial_filter = QCheckBox(self.tr("Commercial use allowed"))
        self.commercial_filter.setToolTip(self.tr("Only models whose licence allows commercial use without conditions"))
        self.commercial_filter.toggled.connect(lambda _: self.refresh())
        ctx.hardware_ready.connect(self._hardware_ready)
        for widget in (self.task_filter, self.size_filter, self.fits_filter, self.commercial_filter):
            filters.addWidget(widget)
        filters.addStretch(1)
        layout.addLayout(filters)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setHandleWidth(1)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Catalog"))
        self.list.currentItemChanged.connect(lambda item, _prev: self.show_card(item))
        split.addWidget(self.list)
        details = QWidget()
        self.details = QVBoxLayout(details)
        self.details.setContentsMargins(16, 0, 0, 0)
        self.name = heading("", "cardTitle")
        self.facts = heading("", "muted")
        self.description = heading("", "subtitle")
        self.badge = QLabel()
        self.badge.setObjectName("badge")
        self.licence = QLabel()
        self.licence.setOpenExternalLinks(True)
        self.licence.setWordWrap(True)
        self.fit_label = heading("", "muted")
        self.downloads = DownloadPanel(ctx)
        for label in (self.name, self.badge, self.facts, self.description, self.fit_label, self.licence):
            self.details.addWidget(label)
        self.details.addWidget(self.downloads)
        self.details.addStretch(1)
        split.addWidget(details)
        split.setSizes([320, 520])
        layout.addWidget(split, 1)
        self.task_filter.currentIndexChanged.connect(self.refresh)
        self.size_filter.currentIndexChanged.connect(self.refresh)
        self.refresh()

    def visible_cards(self) -> list[ModelCard]:
        task = self.task_filter.currentData()
        limit = self.size_filter.currentData()
        cards = [c for c in self.ctx.catalog if task is None or task in c.tasks]
        if limit is not None:
            cards = [c for c in cards if c.size <= limit]
        if self.commercial_filter.isChecked():
            cards = [c for c in cards if c.licence.commercial_use == "yes"]
        if self.fits_filter.isChecked():
            cards = [c for c in cards if (fit := self.ctx.fit(c)) is not None and fit.verdict in ("fits", "tight")]
        return sorted(cards, key=lambda c: (c.parameters or 0, c.name))

    def _hardware_ready(self) -> None:
        self.fits_filter.setEnabled(True)
        self.show_card(self.list.currentItem())

    def select(self, card_id: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == card_id:
                self.list.setCurrentRow(row)
                return

    def refresh(self) -> None:
        self.list.clear()
        names = task_names()
        language = self.ctx.ui_language()
        for card in self.visible_cards():
            tasks = ", ".join(names.get(t, t) for t in card.tasks)
            item = QListWidgetItem(card.localized_name(language))
            item.setToolTip(f"{tasks}\n{licence_badge(card)}")
            item.setSizeHint(QSize(0, 32))
            item.setData(Qt.ItemDataRole.UserRole, card.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.show_card(None)

    def show_card(self, item: QListWidgetItem | None) -> None:
        card = self.ctx.card(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None
        if card is None:
            self.name.setText(self.tr("No model matches these filters"))
            for label in (self.badge, self.facts, self.description, self.licence, self.fit_label):
                label.clear()
            self.downloads.show_card(None)
            return
        names = task_names()
        language = self.ctx.ui_language()
        facts = [
            ", ".join(names.get(t, t) for t in card.tasks),
            card.engine,
            card.parameters and self.tr("{params} parameters").format(params=format_params(card.parameters)),
            card.quantization or "",
            self.tr("{size} download").format(size=format_size(card.size)),  # the pinned size, what the bar counts
            card.context_length and self.tr("{tokens} tokens of context").format(tokens=f"{card.context_length:,}"),
        ]
        self.name.setText(card.localized_name(language))
        self.badge.setText(licence_badge(card))
        self.badge.setProperty("licence", card.licence.commercial_use)
        self.badge.style().unpolish(self.badge)  # the colour follows the property (style.qss)
        self.badge.style().polish(self.badge)
        self.facts.setText(" · ".join(str(f) for f in facts if f))
        self.description.setText(card.localized_description(language))
        self.fit_label.setText(self._fit_text(card))
        self.downloads.show_card(card)
        self.licence.setText(self.tr("Licence: {licence}").format(licence=licence_html(card)))

    def _fit_text(self, card: ModelCard) -> str:
        fit = self.ctx.fit(card)
        if fit is None:
            return self.tr("Memory needed: measuring this computer…") if self.ctx.hardware is None else ""
        verdicts = {"fits": self.tr("Fits this computer"), "tight": self.tr("Tight fit: close other apps first"),
                    "won't fit": self.tr("Does not fit this computer's free memory"), "unknown": self.tr("Fit unknown")}
        memory = (self.tr("RAM {ram} + VRAM {vram}").format(ram=format_size(fit.ram), vram=format_size(fit.vram))
                  if fit.vram else self.tr("RAM {ram}").format(ram=format_size(fit.ram)))
        needed = self.tr("Memory needed: {memory} at {context} tokens of context").format(
            memory=memory, context=f"{fit.context:,}")
        available = (self.tr("{available} free").format(available=format_size(fit.available))
                     if fit.available else "")
        parts = [verdicts[fit.verdict], needed] + ([available] if available else [])
        if fit.suggested_context:
            parts.append(self.tr("fits with a {tokens}-token context").format(tokens=f"{fit.suggested_context:,}"))
        if fit.suggested_gpu_layers is not None and fit.suggested_gpu_layers >= 0:
            parts.append(self.tr("fits with {layers} layers on the GPU").format(layers=fit.suggested_gpu_layers))
        return " · ".join(parts)


class ModelsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        layout.addWidget(heading(self.tr("Models")))
        self.tabs = QTabWidget()
        self.installed = InstalledPane(ctx)
        self.catalog = CatalogPane(ctx)
        self.tabs.addTab(self.installed, self.tr("Installed"))
        self.tabs.addTab(self.catalog, self.tr("Catalog"))
        layout.addWidget(self.tabs, 1)
