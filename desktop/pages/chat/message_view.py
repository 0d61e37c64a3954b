"""Messages as Markdown bubbles with code blocks (copy button), and a scroll area that follows the reply.

Following stops as soon as the user scrolls up, and resumes when they scroll back to the bottom
or send a new message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.pages.chat.markdown import Block, split_for_display
from desktop.pages.chat.safe_markdown import needs_sanitizing, open_link, safe_rich_text
from desktop.pages.common import boxed, tool_button


class WrappedLabel(QLabel):
    """A word-wrapped label that remembers its height per width: Qt asks every label again on each
    layout pass, and laying out long text is what made streaming slow down as a reply grew."""

    def __init__(self) -> None:
        super().__init__()
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def setTextFormat(self, text_format: Qt.TextFormat) -> None:
        self._heights.clear()
        super().setTextFormat(text_format)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
        super().changeEvent(event)

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            if len(self._heights) > 8:
                self._heights.clear()
            height = self._heights[width] = super().heightForWidth(width)
        return height


class ReplyLabel(WrappedLabel):
    """A reply's Markdown, shown so that it loads no file or URL (see safe_markdown.py).
    `text()` is the Markdown it was given."""

    def __init__(self) -> None:
        super().__init__()
        self._source = ""

    def text(self) -> str:
        return self._source

    def setText(self, text: str) -> None:
        self._source = text
        rich = safe_rich_text(text, self.font()) if needs_sanitizing(text) else None
        if rich is not None:
            self.setTextFormat(Qt.TextFormat.RichText)
            super().setText(rich)
        elif needs_sanitizing(text):
            self.setTextFormat(Qt.TextFormat.PlainText)
            super().setText(text)
        else:
            self.setTextFormat(Qt.TextFormat.MarkdownText)
            super().setText(text)


def _selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
    )
    label.setOpenExternalLinks(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


STREAM_CHUNK = 1200  # characters per widget while a reply streams (see split_for_display)
WARM_UP_TEXT = "Warm-up: **bold**, `code` and plain text"  # never shown; exercises the text paths


class CodeBlock(QFrame):
    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = ""
        self.setObjectName("code")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 8)
        layout.setSpacing(2)
        header = QHBoxLayout()
        self.language = QLabel()
        self.language.setObjectName("codeLang")
        header.addWidget(self.language)
        header.addStretch(1)
        self.copy_button = tool_button("copy", self.tr("Copy code"))
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.code))
        header.addWidget(self.copy_button)
        layout.addLayout(header)
        self.body = _selectable(WrappedLabel())
        self.body.setTextFormat(Qt.TextFormat.PlainText)
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.body)
        self.set_block(block)

    def set_block(self, block: Block) -> None:
        self.code = block.text
        self.language.setText(block.language or self.tr("code"))
        self.body.setText(block.text)


class MessageWidget(QWidget):
    """One message. Assistant replies grow with `append` while streaming and settle with `finish`."""

    copy_requested = Signal()
    edit_requested = Signal()
    regenerate_requested = Signal()

    def __init__(self, role: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.text = text
        self.message_id: int | None = None
        self.streaming = False
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.bubble = QFrame()
        self.bubble.setObjectName(f"bubble_{role}")
        if role == "user":
            outer.addStretch(1)
        outer.addWidget(self.bubble, 12)
        if role == "assistant":
            outer.addStretch(1)
        layout = QVBoxLayout(self.bubble)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(6)
        layout.addLayout(self._build_header(role))
        # Settled segments live in one container and the segment still growing in another: an update
        # then lays out only the growing one (Qt keeps the settled container's cached height).
        self._settled, self._settled_layout = self._container()
        self._growing, self._growing_layout = self._container()
        layout.addWidget(self._settled)
        layout.addWidget(self._growing)
        self._build_footer(layout)
        self._segments: list[QWidget] = []
        self._render_timer = QTimer(self)
        self._render_timer.setObjectName("render reply")
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self._render)
        self.setAccessibleName(self.tr("Your message") if role == "user" else self.tr("Assistant's reply"))
        self._render()

    def _build_header(self, role: str) -> QHBoxLayout:
        """Who wrote it, and the message's buttons (Edit, Regenerate, Copy)."""
        header = QHBoxLayout()
        who = QLabel(self.tr("You") if role == "user" else self.tr("Assistant"))
        who.setObjectName("muted")
        header.addWidget(who)
        header.addStretch(1)
        self.edit_button = self._tool("edit", self.tr("Edit and resend"), self.edit_requested)
        self.regenerate_button = self._tool("regenerate", self.tr("Regenerate reply"), self.regenerate_requested)
        self.copy_button = self._tool("copy", self.tr("Copy message"), self.copy_requested)
        for button in (self.edit_button, self.regenerate_button, self.copy_button):
            header.addWidget(button)
        self.edit_button.hide()
        self.regenerate_button.hide()
        self.copy_requested.connect(lambda: QGuiApplication.clipboard().setText(self.text))
        return header

    def _build_footer(self, layout: QVBoxLayout) -> None:
        """The reply's statistics, and an error line with Retry."""
        self.stats = QLabel()
        self.stats.setObjectName("stats")
        self.stats.hide()
        layout.addWidget(self.stats)
        self.error = _selectable(QLabel())
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # an error may quote the model's template: never HTML
        self.error.setObjectName("error")
        self.error.hide()
        self.retry_button = QPushButton(self.tr("Retry"))
        self.retry_button.setAccessibleName(self.tr("Retry the reply"))
        self.retry_button.clicked.connect(self.regenerate_requested)
        self.retry_button.hide()
        error_row = QHBoxLayout()
        error_row.addWidget(self.error, 1)
        error_row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(error_row)

    def _tool(self, icon_name: str, tip: str, signal: Any) -> QToolButton:
        button = tool_button(icon_name, tip, role="muted")
        button.clicked.connect(signal)
        return button

    @staticmethod
    def _container() -> tuple[QWidget, QVBoxLayout]:
        return boxed(QWidget(), QVBoxLayout, spacing=6)

    def _render(self) -> None:
        self._render_timer.stop()
        if self.role == "user":
            blocks = [Block("text", self.text)]
        else:
            blocks = split_for_display(self.text, STREAM_CHUNK if self.streaming else None) or [Block("text", "")]
        for index, block in enumerate(blocks):
            widget = self._segments[index] if index < len(self._segments) else None
            if widget is None or (block.kind == "code") != isinstance(widget, CodeBlock):
                self._drop_segments(index)
                widget = CodeBlock(block) if block.kind == "code" else self._text_label()
                self._segments.append(widget)
            if isinstance(widget, CodeBlock):
                if widget.code != block.text or widget.language.text() != (block.language or widget.tr("code")):
                    widget.set_block(block)
            elif isinstance(widget, QLabel) and widget.text() != block.text:
                widget.setText(block.text)  # unchanged segments are not laid out again
        self._drop_segments(len(blocks))
        last = len(self._segments) - 1
        for index, widget in enumerate(self._segments):
            target = self._growing_layout if index == last else self._settled_layout
            if widget.parentWidget() is not target.parentWidget():
                if widget.parentWidget() is not None:
                    self._growing_layout.removeWidget(widget)
                target.addWidget(widget)

    def _text_label(self) -> QLabel:
        # What the user typed is shown exactly; replies are Markdown that may name no resource.
        if self.role == "user":
            label = _selectable(WrappedLabel())
            label.setTextFormat(Qt.TextFormat.PlainText)
            return label
        reply = _selectable(ReplyLabel())
        reply.setOpenExternalLinks(False)
        reply.linkActivated.connect(open_link)
        return reply

    def _drop_segments(self, start: int) -> None:
        for stale in self._segments[start:]:
            stale.hide()
            stale.setParent(None)
            stale.deleteLater()
        del self._segments[start:]

    def append(self, text: str) -> None:
        """Add streamed text; batches that arrive together are drawn once, when the event loop is free."""
        self.text += text
        if not self._render_timer.isActive():
            self._render_timer.start()

    def set_text(self, text: str) -> None:
        """The final text: drawn at once, long paragraphs whole again."""
        if text != self.text or self._render_timer.isActive() or self.streaming:
            self.text = text
            self.streaming = False
            self._render()

    def set_stats(self, stats: dict[str, Any] | None) -> None:
        if not stats:
            self.stats.hide()
            return
        line = self.tr("{tokens} tokens · {speed:.1f} tokens/s · first token {ttft:.0f} ms").format(
            tokens=stats.get("generated_tokens", 0), speed=stats.get("tokens_per_s", 0.0),
            ttft=stats.get("ttft_ms", 0.0),
        )
        if stats.get("interrupted"):
            line = self.tr("Interrupted: {cause}").format(cause=stats["interrupted"])
        elif stats.get("stop_reason") == "cancelled":
            line += " · " + self.tr("stopped")
        elif stats.get("stop_reason") in ("length", "context"):
            line += " · " + self.tr("cut at the length limit")
        self.stats.setText(line)
        self.stats.setToolTip(self.tr(
            "Prompt: {prompt} tokens ({evaluated} evaluated, {pspeed:.0f} tokens/s)\nTotal time: {total:.0f} ms"
        ).format(prompt=stats.get("prompt_tokens", 0), evaluated=stats.get("evaluated_prompt_tokens", 0),
                 pspeed=stats.get("prompt_tokens_per_s", 0.0), total=stats.get("total_ms", 0.0)))
        self.stats.show()

    def set_error(self, text: str, *, retry: bool = False) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.retry_button.setVisible(bool(text) and retry)


class MessageView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messages")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("messagesBody")
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(12)
        self._layout.addStretch(1)
        # Wrapped text reports a tall minimum height (measured at a narrow width) that would stretch
        # the body past its content; ignoring it lets the scroll area size the body by height-for-width.
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.setWidget(body)
        self.follow = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_value)
        self.setAccessibleName(self.tr("Messages"))

    def _on_range(self, _low: int, high: int) -> None:
        if self.follow:
            self.verticalScrollBar().setValue(high)

    def _on_value(self, value: int) -> None:
        self.follow = value >= self.verticalScrollBar().maximum() - 8

    def messages(self) -> list[MessageWidget]:
        items = (self._layout.itemAt(i) for i in range(self._layout.count()))
        return [w for w in (item.widget() for item in items if item is not None) if isinstance(w, MessageWidget)]

    def warm_up(self) -> None:
        """Build, lay out and paint off-screen a throw-away message of each role, so that the first real
        one does not pay for style sheets, fonts and icons on the UI thread."""
        for role in ("user", "assistant"):
            widget = MessageWidget(role, WARM_UP_TEXT, self.widget())
            widget.hide()
            widget.resize(max(self.viewport().width(), 400), 80)
            widget.grab()
            widget.deleteLater()

    def update_actions(self, *, idle: bool) -> None:
        """Edit shows on the last user message, Regenerate on the last reply, and neither mid-reply."""
        widgets = self.messages()
        last_user = next((w for w in reversed(widgets) if w.role == "user"), None)
        for widget in widgets:
            widget.edit_button.setVisible(idle and widget is last_user)
            widget.regenerate_button.setVisible(idle and widget is widgets[-1] and widget.role == "assistant")

    def add(self, widget: MessageWidget) -> MessageWidget:
        self._layout.insertWidget(self._layout.count() - 1, widget)
        return widget

    def remove(self, widget: MessageWidget) -> None:
        self._layout.removeWidget(widget)
        widget.hide()
        widget.deleteLater()

    def remove_from(self, first: MessageWidget) -> None:
        """Remove `first` and every message after it."""
        widgets = self.messages()
        for widget in widgets[widgets.index(first):]:
            self.remove(widget)

    def clear(self) -> None:
        for widget in self.messages():
            self.remove(widget)

    def scroll_to_end(self) -> None:
        self.follow = True
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
