"""The "Add remote…" dialog: an OpenAI-compatible server on another computer (llama-server, Ollama, vLLM,
LM Studio, another Candeia) becomes models to chat and translate with. Its model list is read from the
server (off the UI thread) before anything is saved; nothing typed is lost when that fails."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import model_ops
from desktop.appcontext import AppContext
from desktop.model_ops import RemoteForm
from desktop.session import error_text
from engines.store.remotes import RemoteEndpoint

KEY_NONE, KEY_ENV, KEY_STORED = "none", "env", "stored"


class AddRemoteDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.added: RemoteEndpoint | None = None
        self.setWindowTitle(self.tr("Add a model on another computer"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Use the models of an OpenAI-compatible server on another computer (llama-server, "
                               "Ollama, vLLM, LM Studio or another Candeia). Its replies are computed there."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("e.g. desktop-pc"))
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://192.168.1.20:8080/v1")
        self.key_mode = QComboBox()
        self.key_mode.addItem(self.tr("No API key"), KEY_NONE)
        self.key_mode.addItem(self.tr("Key in an environment variable"), KEY_ENV)
        self.key_mode.addItem(self.tr("Key (kept in the system keyring)"), KEY_STORED)
        self.key = QLineEdit()
        self.key_mode.currentIndexChanged.connect(self._key_mode_changed)
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText(self.tr("Only for a server with its own certificate"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Address"), self.url)
        form.addRow(self.tr("API key"), self.key_mode)
        form.addRow("", self.key)
        form.addRow(self.tr("CA certificate"), ca_row)
        layout.addLayout(form)
        self.outside = QCheckBox(self.tr("Allow it in offline mode although it is outside this computer and the "
                                         "local network"))
        layout.addWidget(self.outside)
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton(self.tr("Add"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._key_mode_changed()

    def _key_mode_changed(self) -> None:
        mode = self.key_mode.currentData()
        self.key.setVisible(mode != KEY_NONE)
        self.key.setEchoMode(QLineEdit.EchoMode.Password if mode == KEY_STORED else QLineEdit.EchoMode.Normal)
        self.key.setPlaceholderText(self.tr("Variable name, e.g. BIGBOX_API_KEY") if mode == KEY_ENV
                                    else self.tr("The API key"))

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("CA certificate"), "",
                                              self.tr("Certificates (*.pem *.crt);;All files (*)"))
        if path:
            self.ca_file.setText(path)

    def form(self) -> RemoteForm:
        mode = self.key_mode.currentData()
        key = self.key.text().strip()
        return RemoteForm(name=self.name.text().strip(), url=self.url.text().strip(),
                          key_env=key if mode == KEY_ENV and key else None,
                          key=key if mode == KEY_STORED and key else None,
                          confirmed=self.outside.isChecked(), ca_file=self.ca_file.text().strip() or None)

    def submit(self) -> None:
        form = self.form()
        if not form.name or not form.url:
            self.status.setText(self.tr("Give the server a name and its address."))
            return
        self.add_button.setEnabled(False)
        self.status.setText(self.tr("Asking {url} for its models…").format(url=form.url))
        task = model_ops.add_remote(self.ctx, form)
        task.succeeded.connect(self._added)
        task.failed.connect(self._failed)

    def _added(self, endpoint: RemoteEndpoint) -> None:
        self.added = endpoint
        self.accept()

    def _failed(self, error: object) -> None:
        self.add_button.setEnabled(True)
        self.status.setText(self.tr("Could not add it: {error}").format(error=error_text(error)))
