"""The message box: Enter sends, Shift+Enter starts a new line; the button turns into Stop while a reply runs."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QPushButton, QWidget

from desktop import theme


class ChatInput(QPlainTextEdit):
    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier)
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Composer(QFrame):
    send_requested = Signal(str)
    stop_requested = Signal()
    MIN_HEIGHT = 56
    MAX_HEIGHT = 220

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.input = ChatInput()
        self.input.setPlaceholderText(self.tr("Message the model (Enter sends, Shift+Enter for a new line)"))
        self.input.setAccessibleName(self.tr("Message"))
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(self.MIN_HEIGHT)
        self.input.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.input.submitted.connect(self._submit)
        layout.addWidget(self.input, 1)
        self.button = QPushButton()
        self.button.setObjectName("primary")
        self.button.setIconSize(QSize(18, 18))
        self.button.clicked.connect(self._clicked)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        self.generating = False
        self.set_generating(False)

    def _fit_height(self) -> None:
        """Grow with the text up to MAX_HEIGHT, then scroll."""
        # A plain-text document measures its height in lines, not pixels.
        lines = max(1, int(self.input.document().size().height()))
        margins = int(2 * self.input.document().documentMargin()) + 2 * self.input.frameWidth() + 8
        content = lines * self.input.fontMetrics().lineSpacing() + margins
        self.input.setFixedHeight(max(self.MIN_HEIGHT, min(self.MAX_HEIGHT, content)))

    def set_generating(self, generating: bool) -> None:
        self.generating = generating
        if generating:
            self.button.setText(self.tr("Stop"))
            theme.set_icon(self.button, "stop", "accent_text")
            self.button.setToolTip(self.tr("Stop the reply now (Esc)"))
            self.button.setAccessibleName(self.tr("Stop the reply"))
        else:
            self.button.setText(self.tr("Send"))
            theme.set_icon(self.button, "send", "accent_text")
            self.button.setToolTip(self.tr("Send the message (Enter)"))
            self.button.setAccessibleName(self.tr("Send the message"))

    def _clicked(self) -> None:
        if self.generating:
            self.stop_requested.emit()
        else:
            self._submit()

    def _submit(self) -> None:
        text = self.input.toPlainText().strip()
        if text and not self.generating:
            self.send_requested.emit(text)
