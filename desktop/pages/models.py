"""The Models page: the catalog (filters, details, download) and the installed models (verify, delete,
reveal, default). Downloads run in desktop/downloads.py; the catalog's `DownloadPanel` (download_panel.py)
shows the selected card's download and its buttons.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import model_ops
from desktop.appcontext import AppContext
from desktop.pages.common import format_params, format_size, heading, page_layout
from desktop.pages.download_panel import DownloadPanel
from desktop.pages.licence import licence_badge, licence_html
from desktop.session import error_text
from engines.cards import ModelCard
from engines.store.model_store import InstalledModel

SIZE_LIMITS = (None, 1_000_000_000, 3_000_000_000, 8_000_000_000)


def task_names() -> dict[str, str]:
    from PySide6.QtCore import QCoreApplication

    return {
        "chat": QCoreApplication.translate("tasks", "Chat"),
        "translate": QCoreApplication.translate("tasks", "Translate"),
        "caption": QCoreApplication.translate("tasks", "Caption"),
        "embed": QCoreApplication.translate("tasks", "Embeddings"),
        "image": QCoreApplication.translate("tasks", "Images"),
    }


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


class InstalledPane(QWidget):
    COLUMNS = 5

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        actions = QHBoxLayout()
        self.import_button = QPushButton(self.tr("Import a file…"))
        self.import_button.clicked.connect(self.import_dialog)
        self.scan_button = QPushButton(self.tr("Scan a folder…"))
        self.scan_button.clicked.connect(self.scan_dialog)
        self.other_apps_button = QPushButton(self.tr("Find other apps' models"))
        self.other_apps_button.setToolTip(self.tr("Link the models of LM Studio, GPT4All, Jan, Ollama and the "
                                                  "Hugging Face cache, without copying them"))
        self.other_apps_button.clicked.connect(self.scan_other_apps)
        actions.addWidget(self.import_button)
        actions.addWidget(self.scan_button)
        actions.addWidget(self.other_apps_button)
        actions.addStretch(1)
        selection = QHBoxLayout()  # what applies to the selected model, under the table
        selection.addStretch(1)
        self.verify_button = QPushButton(self.tr("Verify"))
        self.verify_button.clicked.connect(self.verify_selected)
        self.default_button = QPushButton(self.tr("Set as default"))
        self.default_button.setToolTip(self.tr("Use this model for new conversations of its task"))
        self.default_button.clicked.connect(self.set_default_selected)
        self.reveal_button = QPushButton(self.tr("Show in folder"))
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        for button in (self.verify_button, self.default_button, self.reveal_button, self.delete_button):
            selection.addWidget(button)
        layout.addLayout(actions)
        self.table = QTableWidget(0, self.COLUMNS)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Tasks"), self.tr("Size"), self.tr("Where"), self.tr("Default for")])
        self.table.setAccessibleName(self.tr("Installed models"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, self.COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        layout.addLayout(selection)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.empty = heading(self.tr("No models yet. Import a GGUF file or scan a folder that holds some."), "muted")
        layout.addWidget(self.empty)
        ctx.models_changed.connect(self.refresh)
        ctx.settings_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        models = self.ctx.installed()
        names = task_names()
        defaults: dict[str, list[str]] = {}
        for task, model_id in self.ctx.settings.default_models.items():
            defaults.setdefault(model_id, []).append(names.get(task, task))
        selected = self.selected()
        self.table.setRowCount(len(models))
        for row, model in enumerate(models):
            where = self.tr("linked in place") if model.linked else self.tr("in Candeia's folder")
            cells = [model.name, ", ".join(names.get(t, t) for t in model.tasks), format_size(model.size), where,
                     ", ".join(defaults.get(model.id, []))]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, model.id)
                if column == 0:
                    item.setToolTip(model.path)
                self.table.setItem(row, column, item)
            if selected is not None and model.id == selected.id:
                self.table.selectRow(row)
        self.empty.setVisible(not models)
        self._update_buttons()

    def selected(self) -> InstalledModel | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        model_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((m for m in self.ctx.installed() if m.id == model_id), None)

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        for button in (self.verify_button, self.default_button, self.reveal_button, self.delete_button):
            button.setEnabled(has)

    def _report(self, text: str) -> None:
        self.status.setText(text)

    # -- actions -------------------------------------------------------------------------------
    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a model file"), "",
                                              self.tr("GGUF models (*.gguf);;All files (*)"))
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> None:
        self._report(self.tr("Checking {name}…").format(name=path.name))
        task = model_ops.import_file(self.ctx, path)
        task.succeeded.connect(lambda m: self._report(self.tr("Added {name}.").format(name=m.name)))
        task.failed.connect(lambda e: self._report(self.tr("Could not add the file: {error}").format(
            error=error_text(e))))

    def scan_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Scan a folder for models"))
        if folder:
            self.scan_path(Path(folder))

    def scan_path(self, folder: Path | list[Path]) -> None:
        shown = ", ".join(str(f) for f in folder) if isinstance(folder, list) else str(folder)
        self._report(self.tr("Scanning {folder}…").format(folder=shown))
        task = model_ops.scan_folder(self.ctx, folder)
        task.succeeded.connect(lambda r: self._report(
            self.tr("Found {added} new models; skipped {skipped}.").format(added=len(r.added), skipped=len(r.skipped))
            + ("\n" + "\n".join(r.skipped[:5]) if r.skipped else "")))
        task.failed.connect(lambda e: self._report(self.tr("The scan failed: {error}").format(error=error_text(e))))

    def scan_other_apps(self) -> None:
        folders = model_ops.other_apps_folders()
        if not folders:
            self._report(self.tr("No other app's model folder was found on this computer."))
            return
        self.scan_path(folders)

    def verify_selected(self) -> None:
        model = self.selected()
        if model is None:
            return
        self._report(self.tr("Verifying {name}…").format(name=model.name))
        task = model_ops.verify_model(self.ctx, model)
        task.succeeded.connect(lambda how: self._report(
            self.tr("{name} is intact (checksum verified).").format(name=model.name) if how == "sha256" else
            self.tr("{name}: checksum recorded; later checks compare against it.").format(name=model.name)))
        task.failed.connect(lambda e: self._report(self.tr("{name} failed verification: {error}").format(
            name=model.name, error=error_text(e))))

    def set_default_selected(self) -> None:
        model = self.selected()
        if model is None:
            return
        defaults = dict(self.ctx.settings.default_models)
        for task in model.tasks:
            defaults[task] = model.id
        self.ctx.settings.default_models = defaults
        self.ctx.save_settings()

    def reveal_selected(self) -> None:
        model = self.selected()
        if model is not None:
            path = Path(model.path)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent if path.is_file() else path)))

    def delete_selected(self, confirm: bool = True) -> None:
        model = self.selected()
        if model is None:
            return
        if confirm:
            question = (self.tr("Remove {name} from Candeia? The file stays where it is.") if model.linked else
                        self.tr("Delete {name}? Its files are removed from Candeia's folder."))
            answer = QMessageBox.question(self, self.tr("Delete model"), question.format(name=model.name))
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self.ctx.session.pending_ref == model.id:
            self.ctx.session.unload()
        task = model_ops.delete_model(self.ctx, model.id)
        task.succeeded.connect(lambda m: self._report(self.tr("Removed {name}.").format(name=m.name)))
        task.failed.connect(lambda e: self._report(error_text(e)))


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
