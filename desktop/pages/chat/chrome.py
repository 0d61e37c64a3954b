"""The widgets around the messages: the header row (model, system prompt, sampling, export) and the
system prompt editor. Built here, wired by the page."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QToolButton

from desktop.pages.chat.presets import system_presets
from desktop.pages.common import card_frame, tool_button


@dataclass
class Header:
    row: QHBoxLayout
    model_combo: QComboBox
    system_button: QToolButton
    sampling_button: QToolButton
    export_button: QToolButton


@dataclass
class SystemEditor:
    frame: QFrame
    presets: QComboBox
    edit: QPlainTextEdit


def build_header() -> Header:
    row = QHBoxLayout()
    combo = QComboBox()
    combo.setMinimumWidth(220)
    combo.setAccessibleName(QCoreApplication.translate("ChatPage", "Model"))
    combo.setToolTip(QCoreApplication.translate("ChatPage", "The model that answers in this conversation"))
    row.addWidget(combo)
    row.addStretch(1)
    header = Header(
        row, combo,
        tool_button("edit", QCoreApplication.translate("ChatPage", "System prompt"), checkable=True),
        tool_button("sliders", QCoreApplication.translate("ChatPage", "Sampling settings"), checkable=True),
        tool_button("export", QCoreApplication.translate("ChatPage", "Export conversation")),
    )
    for button in (header.system_button, header.sampling_button, header.export_button):
        row.addWidget(button)
    return header


def build_system_editor() -> SystemEditor:
    frame, layout = card_frame((10, 8, 10, 8))
    top = QHBoxLayout()
    label = QLabel(QCoreApplication.translate("ChatPage", "System prompt"))
    label.setObjectName("muted")
    top.addWidget(label)
    top.addStretch(1)
    presets = QComboBox()
    presets.setAccessibleName(QCoreApplication.translate("ChatPage", "System prompt presets"))
    presets.addItem(QCoreApplication.translate("ChatPage", "Presets…"), None)
    for name, prompt in system_presets():
        presets.addItem(name, prompt)
    top.addWidget(presets)
    layout.addLayout(top)
    edit = QPlainTextEdit()
    edit.setPlaceholderText(
        QCoreApplication.translate("ChatPage", "Instructions the model follows in this conversation"))
    edit.setAccessibleName(QCoreApplication.translate("ChatPage", "System prompt"))
    edit.setFixedHeight(70)
    edit.setTabChangesFocus(True)
    layout.addWidget(edit)
    frame.hide()
    return SystemEditor(frame, presets, edit)
