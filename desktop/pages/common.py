"""Small shared widgets and formatting helpers for the pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QBoxLayout, QFrame, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop import theme
from engines.errors import CandeiaError
from engines.images.decode import ImageFileError

_Box = TypeVar("_Box", bound=QBoxLayout)
_Widget = TypeVar("_Widget", bound=QWidget)


def format_size(size: int | None) -> str:
    if size is None:
        return QCoreApplication.translate("format", "unknown size")
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover


def format_params(count: int | None) -> str:
    if not count:
        return ""
    return f"{count / 1e9:.1f}B" if count >= 1e9 else f"{count / 1e6:.0f}M"


def heading(text: str, object_name: str = "title") -> QLabel:
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    return label


def page_layout(widget: QWidget, margins: int = 24) -> QVBoxLayout:
    widget.setObjectName("page")
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(12)
    return layout


def boxed(widget: _Widget, layout: Callable[[QWidget], _Box], margins: tuple[int, int, int, int] = (0, 0, 0, 0),
          spacing: int | None = None) -> tuple[_Widget, _Box]:
    """`widget` with a row or column layout of these margins (left, top, right, bottom) and spacing
    (None: the style's)."""
    box = layout(widget)
    box.setContentsMargins(*margins)
    if spacing is not None:
        box.setSpacing(spacing)
    return widget, box


def card_frame(margins: tuple[int, int, int, int]) -> tuple[QFrame, QVBoxLayout]:
    """A framed group of widgets (the theme's "card"), with its column."""
    frame = QFrame()
    frame.setObjectName("card")
    return boxed(frame, QVBoxLayout, margins)


def tool_button(icon_name: str, tip: str, *, checkable: bool = False, role: str = "text") -> QToolButton:
    """An icon button whose tooltip is its accessible name too; `role`: the theme colour of its icon."""
    button = QToolButton()
    theme.set_icon(button, icon_name, role)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setCheckable(checkable)
    return button


def error_sentence(error: object) -> str:
    """One line for an error a page shows: the file and why for an image, the message for our own errors."""
    if isinstance(error, ImageFileError):
        return f"{Path(error.path).name} {error.reason}"
    if isinstance(error, CandeiaError):
        return str(error)
    return f"{type(error).__name__}: {error}"
