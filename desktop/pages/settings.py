"""Settings: performance, model defaults, privacy and network, the local server, appearance and language.

Changes are saved as they are made; language applies after a restart, theme at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.appcontext import AppContext
from desktop.i18n import language_names
from desktop.pages.common import heading
from desktop.pages.server_settings import ServerSection
from engines.download.endpoint import hub_endpoint
from engines.download.tokens import endpoint_key, saved_token
from engines.hardware import machine as hardware
from engines.paths import data_dir
from engines.settings import Settings
from engines.store.relocate import RelocateError, check_target


def onnx_providers() -> list[str]:
    return hardware.onnx_providers() or ["CPUExecutionProvider"]


def _provider_label(name: str) -> str:
    return name.removesuffix("ExecutionProvider")


class SettingsPage(QScrollArea):
    move_requested = Signal(Path)  # a checked, confirmed new data folder

    def __init__(self, ctx: AppContext, apply_theme: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._apply_theme = apply_theme
        self.setWidgetResizable(True)
        self.setObjectName("messages")
        body = QWidget()
        body.setObjectName("page")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(12)
        layout.addWidget(heading(self.tr("Settings")))
        for build in (self._build_performance, self._build_network, self._build_appearance, self._build_data_folder):
            build(layout, ctx.settings)
            if build == self._build_network:
                self.server = ServerSection(ctx.server)
                layout.addWidget(self.server)
        layout.addStretch(1)
        self.setWidget(body)

    def _build_performance(self, layout: QVBoxLayout, s: Settings) -> None:
        """Threads, GPU layers, the ONNX Runtime device and the default context size."""
        perf = self._group(layout, self.tr("Performance"))
        self.threads = QSpinBox()
        self.threads.setRange(1, max(512, os.cpu_count() or 1))
        self.threads.setValue(s.threads)
        self.threads.setToolTip(self.tr("CPU threads for generation; about one per physical core is fastest."))
        self._row(perf, self.tr("CPU threads"), self.threads, lambda: self._set(threads=self.threads.value()))
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText(self.tr("all layers"))
        self.gpu_layers.setValue(s.gpu_layers)
        self.gpu_layers.setToolTip(self.tr("Layers to run on the GPU (0: CPU only). Applies to the next model load."))
        self._row(perf, self.tr("GPU layers"), self.gpu_layers, lambda: self._set(gpu_layers=self.gpu_layers.value()))
        self.provider = QComboBox()
        self.provider.addItem(self.tr("Automatic"), "auto")
        # The list of devices needs onnxruntime, a slow import: it is asked for, off the UI
        # thread, when this page is first shown. Until then only the saved choice is listed.
        self._providers_asked = False
        if s.onnx_provider != "auto":
            self.provider.addItem(_provider_label(s.onnx_provider), s.onnx_provider)
        self.provider.setCurrentIndex(max(0, self.provider.findData(s.onnx_provider)))
        self.provider.setToolTip(self.tr("The ONNX Runtime device for translation and captioning models."))
        self.provider.setMinimumWidth(180)
        perf.addRow(self.tr("ONNX Runtime device"), self.provider)
        self.provider.setAccessibleName(self.tr("ONNX Runtime device"))
        self.provider.activated.connect(lambda _: self._set(onnx_provider=self.provider.currentData()))
        self.context = QSpinBox()
        self.context.setRange(128, 1_048_576)
        self.context.setSingleStep(1024)
        self.context.setValue(s.context_size)
        self.context.setToolTip(self.tr("Tokens a chat model sees at once, unless a conversation sets its own."))
        self._row(perf, self.tr("Default context size"), self.context,
                  lambda: self._set(context_size=self.context.value()))

    def _build_network(self, layout: QVBoxLayout, s: Settings) -> None:
        """Offline mode, the download server and its token."""
        net = self._group(layout, self.tr("Privacy and network"))
        self.offline = QCheckBox(self.tr("Offline mode: never open a network connection"))
        self.offline.setChecked(s.offline)
        self.offline.toggled.connect(lambda on: self._set(offline=on))
        net.addRow(self.offline)
        self.endpoint = QLineEdit(s.hf_endpoint or "")
        self.endpoint.setPlaceholderText("https://huggingface.co")
        self.endpoint.setToolTip(self.tr("A Hugging Face mirror to download from (like HF_ENDPOINT)."))
        self.endpoint.setAccessibleName(self.tr("Download server"))
        self.endpoint.setMinimumWidth(420)
        self.endpoint.editingFinished.connect(self._endpoint_done)
        net.addRow(self.tr("Download server"), self.endpoint)
        self.endpoint_error = QLabel()
        self.endpoint_error.setObjectName("error")
        self.endpoint_error.hide()
        net.addRow("", self.endpoint_error)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(self.tr("Only if the server needs one"))
        self.token.setToolTip(self.tr("Sent to this download server only: never to another server, not even across "
                                      "a redirect. For huggingface.co, HF_TOKEN or 'hf auth login' work too."))
        self.token.setAccessibleName(self.tr("Access token for the download server"))
        self.token.setMinimumWidth(420)
        self.token.editingFinished.connect(self._token_done)
        net.addRow(self.tr("Access token"), self.token)
        self._show_token()

    def _build_appearance(self, layout: QVBoxLayout, s: Settings) -> None:
        """Theme and language."""
        look = self._group(layout, self.tr("Appearance"))
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Theme"))
        for key, name in (("system", self.tr("Follow the system")), ("light", self.tr("Light")),
                          ("dark", self.tr("Dark"))):
            self.theme.addItem(name, key)
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        self.theme.activated.connect(lambda _: self._theme_picked())
        self.theme.setMinimumWidth(220)
        look.addRow(self.tr("Theme"), self.theme)
        self.language = QComboBox()
        self.language.setAccessibleName(self.tr("Language"))
        for key, name in language_names().items():
            self.language.addItem(name, key)
        self.language.setCurrentIndex(max(0, self.language.findData(s.ui_language)))
        self.language.activated.connect(lambda _: self._language_picked())
        self.language.setMinimumWidth(220)
        look.addRow(self.tr("Language"), self.language)
        self.language_note = QLabel(self.tr("The new language applies the next time Candeia starts."))
        self.language_note.setObjectName("muted")
        self.language_note.hide()
        look.addRow("", self.language_note)

    def _build_data_folder(self, layout: QVBoxLayout, s: Settings) -> None:
        """Where the data lives, and moving it."""
        where = self._group(layout, self.tr("Data folder"))
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(str(data_dir()))
        self.folder.setReadOnly(True)
        self.folder.setMinimumWidth(420)
        self.folder.setAccessibleName(self.tr("Data folder"))
        folder_row.addWidget(self.folder, 1)
        open_button = QPushButton(self.tr("Open"))
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir()))))
        folder_row.addWidget(open_button)
        self.move_button = QPushButton(self.tr("Move…"))
        self.move_button.setAccessibleName(self.tr("Move the data folder"))
        self.move_button.clicked.connect(self._pick_new_folder)
        folder_row.addWidget(self.move_button)
        holder = QWidget()
        holder.setLayout(folder_row)
        where.addRow(self.tr("Location"), holder)
        note = QLabel(self.tr("Downloaded and copied models, chat history and settings live here. Moving it "
                              "takes them along; models linked in place stay where they are."))
        note.setObjectName("muted")
        note.setWordWrap(True)
        note.setMinimumWidth(420)
        where.addRow("", note)

    def _pick_new_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose a new, empty folder for Candeia's data"))
        if not chosen:
            return
        try:
            target = check_target(Path(chosen))
        except RelocateError as exc:
            QMessageBox.warning(self, self.tr("Cannot move the data folder"), str(exc))
            return
        answer = QMessageBox.question(
            self,
            self.tr("Move the data folder?"),
            self.tr("Candeia stops the current reply and any downloads, moves its data to {folder}, "
                    "then restarts.").format(folder=str(target)),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.move_requested.emit(target)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._providers_asked:
            self._providers_asked = True
            task = self.ctx.files.start("onnx providers", lambda cancel: onnx_providers())
            task.succeeded.connect(self._add_providers)

    def _add_providers(self, names: list[str]) -> None:
        for name in names:
            if self.provider.findData(name) < 0:
                self.provider.addItem(_provider_label(name), name)

    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setContentsMargins(14, 14, 14, 10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        layout.addWidget(box)
        return form

    def _row(self, form: QFormLayout, label: str, widget: QSpinBox, save: Callable[[], None]) -> None:
        widget.setAccessibleName(label)
        widget.setMinimumWidth(180)
        widget.editingFinished.connect(save)
        form.addRow(label, widget)

    def _set(self, **changes: Any) -> None:
        for key, value in changes.items():
            if getattr(self.ctx.settings, key) != value:
                setattr(self.ctx.settings, key, value)
                self.ctx.save_settings()

    def _endpoint_done(self) -> None:
        text = self.endpoint.text().strip().rstrip("/")
        if text and not text.startswith(("https://", "http://")):
            self.endpoint_error.setText(self.tr("Enter a web address starting with https://"))
            self.endpoint_error.show()
            return
        self.endpoint_error.hide()
        self._set(hf_endpoint=text or None)
        self._show_token()  # each server has its own token

    def _show_token(self) -> None:
        self.token.setText(saved_token(self.ctx.settings, hub_endpoint(self.ctx.settings)) or "")

    def _token_done(self) -> None:
        """Save the token for the server now in use, replacing any earlier one for that server."""
        key = endpoint_key(hub_endpoint(self.ctx.settings))
        tokens = {address: token for address, token in self.ctx.settings.hub_tokens.items()
                  if endpoint_key(address) != key}
        if text := self.token.text().strip():
            tokens[key] = text
        self._set(hub_tokens=tokens)

    def _theme_picked(self) -> None:
        self._set(theme=self.theme.currentData())
        self._apply_theme(self.theme.currentData())

    def _language_picked(self) -> None:
        self._set(ui_language=self.language.currentData())
        self.language_note.show()
