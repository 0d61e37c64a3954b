"""The Translate page's widgets below its language bar: the two panes (the text, with its format and
detected language, and the translation) and the footer (files, progress, Cancel, Translate)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.pages.common import boxed, tool_button
from engines.translate import DocKind

KINDS: tuple[DocKind, ...] = ("text", "markdown", "srt", "vtt")


def notice_label(name: str) -> QLabel:
    """A notice above the panes: rich text whose links the page handles (`linkActivated`)."""
    notice = QLabel()
    notice.setObjectName("notice")
    notice.setWordWrap(True)
    notice.setTextFormat(Qt.TextFormat.RichText)
    notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    notice.setOpenExternalLinks(False)
    notice.setAccessibleName(name)
    notice.hide()
    return notice


class Panes(QSplitter):
    """Widgets only: the page connects their signals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        self.setHandleWidth(1)
        self.addWidget(self._build_source())
        self.addWidget(self._build_target())
        self.setSizes([500, 500])

    def _build_source(self) -> QWidget:
        left, column = boxed(QWidget(), QVBoxLayout, (0, 0, 8, 0), 4)
        self.source_edit = QPlainTextEdit()
        self.source_edit.setPlaceholderText(self.tr("Type or paste text, or open a file (Ctrl+O). "
                                                    "Ctrl+Enter translates."))
        self.source_edit.setAccessibleName(self.tr("Text to translate"))
        self.source_edit.setTabChangesFocus(True)
        column.addWidget(self.source_edit, 1)
        under = QHBoxLayout()
        self.detected_label = QLabel()
        self.detected_label.setObjectName("muted")
        self.detected_label.setAccessibleName(self.tr("Detected language"))
        # a long language name must not widen the pane (the splitter keeps the panes even)
        self.detected_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        under.addWidget(self.detected_label, 1)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName(self.tr("Document format"))
        self.kind_combo.setToolTip(self.tr("How the text is read: Markdown and subtitles keep their structure"))
        for kind, label in zip(KINDS, (self.tr("Plain text"), self.tr("Markdown"), self.tr("SRT subtitles"),
                                       self.tr("WebVTT subtitles")), strict=True):
            self.kind_combo.addItem(label, kind)
        under.addWidget(self.kind_combo)
        self.clear_button = tool_button("trash", self.tr("Clear the text"))
        under.addWidget(self.clear_button)
        column.addLayout(under)
        return left

    def _build_target(self) -> QWidget:
        right, column = boxed(QWidget(), QVBoxLayout, (8, 0, 0, 0), 4)
        self.target_edit = QPlainTextEdit()
        self.target_edit.setReadOnly(True)
        self.target_edit.setPlaceholderText(self.tr("Translation"))
        self.target_edit.setAccessibleName(self.tr("Translation"))
        self.target_edit.setTabChangesFocus(True)
        column.addWidget(self.target_edit, 1)
        under = QHBoxLayout()
        self.stats_label = QLabel()
        self.stats_label.setObjectName("stats")
        self.stats_label.setWordWrap(True)
        self.stats_label.setAccessibleName(self.tr("Model used and time taken"))
        under.addWidget(self.stats_label, 1)
        self.copy_button = tool_button("copy", self.tr("Copy the translation (Ctrl+Shift+C)"))
        under.addWidget(self.copy_button)
        column.addLayout(under)
        return right


class Footer(QWidget):
    """Files, translate-as-you-type, progress, Cancel and Translate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)  # the page's spacing, which the row had when it was a layout of the page
        self.open_button = QPushButton(self.tr("Open file…"))
        theme.set_icon(self.open_button, "folder")
        self.open_button.setToolTip(self.tr("Translate a text, Markdown or subtitle file (Ctrl+O)"))
        self.open_button.setAccessibleName(self.tr("Open a file to translate"))
        row.addWidget(self.open_button)
        self.save_button = QPushButton(self.tr("Save translation…"))
        theme.set_icon(self.save_button, "export")
        self.save_button.setToolTip(self.tr("Save the translation as a file (Ctrl+S)"))
        self.save_button.setAccessibleName(self.tr("Save the translation"))
        row.addWidget(self.save_button)
        self.file_label = QLabel()
        self.file_label.setObjectName("muted")
        self.file_label.setAccessibleName(self.tr("Open file"))
        self.file_label.hide()
        row.addWidget(self.file_label)
        self.auto_check = QCheckBox(self.tr("Translate as you type"))
        self.auto_check.setAccessibleName(self.tr("Translate as you type"))
        self.auto_check.setChecked(True)
        row.addWidget(self.auto_check)
        row.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Translation progress"))
        self.progress.setFixedWidth(220)
        self.progress.setFormat(self.tr("%v of %m sentences"))
        self.progress.hide()
        row.addWidget(self.progress)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        theme.set_icon(self.cancel_button, "stop")
        self.cancel_button.setAccessibleName(self.tr("Cancel the translation"))
        row.addWidget(self.cancel_button)
        self.translate_button = QPushButton(self.tr("Translate"))
        self.translate_button.setObjectName("primary")
        self.translate_button.setToolTip(self.tr("Translate now (Ctrl+Enter)"))
        self.translate_button.setAccessibleName(self.tr("Translate"))
        row.addWidget(self.translate_button)

