"""Settings > Local server: the switch, the network option with its warning, the address and the token."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox, QWidget

from desktop.server_control import ServerControl
from engines.server import DEFAULT_PORT


class ServerSection(QGroupBox):
    def __init__(self, control: ServerControl, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Local server"), parent)
        self.control = control
        form = QFormLayout(self)
        form.setContentsMargins(14, 14, 14, 10)
        self.enabled = QCheckBox(self.tr("Serve models to other programs (OpenAI-compatible API)"))
        self.enabled.setToolTip(self.tr("Editors, scripts and other apps on this computer can use your installed "
                                        "models. Every request needs the token below."))
        form.addRow(self.enabled)
        self.lan = QCheckBox(self.tr("Allow other computers on the network"))
        form.addRow(self.lan)
        self.warning = QLabel(self.tr("Anyone on your network who has the token can use your models. "
                                      "Turn this on only on a network you trust."))
        self.warning.setWordWrap(True)
        self.warning.setObjectName("warning")
        form.addRow(self.warning)
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setAccessibleName(self.tr("Port"))
        form.addRow(self.tr("Port"), self.port)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.url.setAccessibleName(self.tr("Address"))
        form.addRow(self.tr("Address"), self.url)
        self.token = QLineEdit()
        self.token.setReadOnly(True)
        self.token.setAccessibleName(self.tr("Token"))
        form.addRow(self.tr("Token"), self.token)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form.addRow(self.status)
        self.enabled.toggled.connect(self._switch)
        self.lan.toggled.connect(self._lan_changed)
        control.changed.connect(self._show)
        self._show()

    def _switch(self, on: bool) -> None:
        if on and not self.control.running:
            self.control.start(port=self.port.value(), lan=self.lan.isChecked())
        elif not on and self.control.running:
            self.control.stop()
        self._show()

    def _lan_changed(self, on: bool) -> None:
        self.warning.setVisible(on)
        if self.control.running and on != self.control.lan:  # rebind: the address it listens on changes
            self.control.start(port=self.port.value(), lan=on)

    def _show(self) -> None:
        running = self.control.running
        self.enabled.blockSignals(True)
        self.enabled.setChecked(running)
        self.enabled.blockSignals(False)
        self.warning.setVisible(self.lan.isChecked())
        self.port.setEnabled(not running)
        self.url.setText(self.control.url if running else "")
        self.token.setText(self.control.token if running else "")
        if self.control.error:
            self.status.setText(self.tr("The server could not start: {error}").format(error=self.control.error))
        elif running:
            self.status.setText(self.tr("Running. Point an OpenAI client at the address, with the token as "
                                        "its API key."))
        else:
            self.status.setText(self.tr("Off."))
