"""The Models page's Installed tab: the models on this computer and on others (remote endpoints); verify,
delete, reveal, set as default, import, scan, and add a remote endpoint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import model_ops
from desktop.appcontext import AppContext
from desktop.pages.common import format_size, heading
from desktop.pages.remote_dialog import AddRemoteDialog
from desktop.session import error_text
from engines.store.model_store import InstalledModel
from engines.store.remotes import RemoteEndpoint


def task_names() -> dict[str, str]:
    return {
        "chat": QCoreApplication.translate("tasks", "Chat"),
        "translate": QCoreApplication.translate("tasks", "Translate"),
        "caption": QCoreApplication.translate("tasks", "Caption"),
        "embed": QCoreApplication.translate("tasks", "Embeddings"),
        "image": QCoreApplication.translate("tasks", "Images"),
    }


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
        self.remote_button = QPushButton(self.tr("Add remote…"))
        self.remote_button.setToolTip(self.tr("Use the models of a server on another computer (llama-server, Ollama, "
                                              "vLLM, LM Studio, another Candeia)"))
        self.remote_button.clicked.connect(self.add_remote_dialog)
        for button in (self.import_button, self.scan_button, self.other_apps_button, self.remote_button):
            actions.addWidget(button)
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
        self.refresh_button = QPushButton(self.tr("Refresh models"))
        self.refresh_button.setToolTip(self.tr("Ask that computer again which models it serves"))
        self.refresh_button.clicked.connect(self.refresh_selected_remote)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        for button in (self.verify_button, self.default_button, self.reveal_button, self.refresh_button,
                       self.delete_button):
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
            cells = [model.name, ", ".join(names.get(t, t) for t in model.tasks),
                     "—" if model.remote else format_size(model.size), self.where(model),
                     ", ".join(defaults.get(model.id, []))]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, model.id)
                if column == 0:
                    item.setToolTip(self.tr("Runs on {url}").format(url=model.path) if model.remote else model.path)
                if column == 3 and model.remote:
                    item.setForeground(self.palette().link())  # stands out: replies are computed elsewhere
                self.table.setItem(row, column, item)
            if selected is not None and model.id == selected.id:
                self.table.selectRow(row)
        self.empty.setVisible(not models)
        self._update_buttons()

    def where(self, model: InstalledModel) -> str:
        if model.remote:
            return self.tr("runs on another computer")
        return self.tr("linked in place") if model.linked else self.tr("in Candeia's folder")

    def selected(self) -> InstalledModel | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        model_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((m for m in self.ctx.installed() if m.id == model_id), None)

    def _update_buttons(self) -> None:
        model = self.selected()
        for button in (self.default_button, self.delete_button):
            button.setEnabled(model is not None)
        for button in (self.verify_button, self.reveal_button):  # a remote model has no file here
            button.setEnabled(model is not None and not model.remote)
        self.refresh_button.setVisible(model is not None and bool(model.remote))

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

    def add_remote_dialog(self) -> AddRemoteDialog:
        dialog = AddRemoteDialog(self.ctx, self)
        dialog.accepted.connect(lambda: self._report(self.tr("Added {name}; its models run on that computer.").format(
            name=dialog.added.name) if dialog.added else ""))
        dialog.open()
        return dialog

    def refresh_selected_remote(self) -> None:
        model = self.selected()
        if model is None or not model.remote:
            return
        self.refresh_button.setEnabled(False)
        self._report(self.tr("Asking {name} for its models…").format(name=model.remote))
        task = model_ops.refresh_remote(self.ctx, model.remote)
        task.succeeded.connect(self._refreshed)
        task.failed.connect(lambda e: self._report(error_text(e)))
        task.done.connect(lambda: self.refresh_button.setEnabled(True))

    def _refreshed(self, result: tuple[RemoteEndpoint, list[str], list[str]]) -> None:
        endpoint, added, gone = result
        parts = []
        if added:
            parts.append(self.tr("new: {models}").format(models=", ".join(added)))
        if gone:
            parts.append(self.tr("no longer served: {models}").format(models=", ".join(gone)))
        if parts:
            self._report(self.tr("{name}: {changes}.").format(name=endpoint.name, changes="; ".join(parts)))
        else:
            self._report(self.tr("{name} serves the same models as before.").format(name=endpoint.name))

    def remove_remote(self, model: InstalledModel, confirm: bool) -> None:
        name = model.remote or ""
        if confirm:
            question = self.tr("Remove the server {name} and all of its models from Candeia? Nothing changes on "
                               "that computer.").format(name=name)
            if QMessageBox.question(self, self.tr("Remove server"), question) != QMessageBox.StandardButton.Yes:
                return
        if self.ctx.session.pending_ref is not None and self.ctx.session.pending_ref.startswith(name + "/"):
            self.ctx.session.unload()
        task = model_ops.remove_remote(self.ctx, name)
        task.succeeded.connect(lambda e: self._report(self.tr("Removed {name}.").format(name=e.name)))
        task.failed.connect(lambda e: self._report(error_text(e)))

    def delete_selected(self, confirm: bool = True) -> None:
        model = self.selected()
        if model is None:
            return
        if model.remote:
            self.remove_remote(model, confirm)
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
