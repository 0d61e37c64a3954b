"""Light and dark themes: a Fusion palette plus one stylesheet (resources/style.qss) filled with colours.

"system" follows the OS colour scheme where Qt can read it (Qt 6.5+), else light.
Icons are monochrome SVGs tinted with the theme's text colour, so they stay sharp at any DPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from engines.system.resources import resource_path

RESOURCES = resource_path("desktop", "resources")


@dataclass(frozen=True)
class Colors:
    name: str
    window: str
    surface: str  # cards, inputs
    sidebar: str
    border: str
    text: str
    muted: str
    accent: str
    accent_text: str
    user_bubble: str
    code_bg: str
    warning_bg: str
    warning_text: str
    error: str
    selection: str


LIGHT = Colors(
    name="light", window="#f6f7f9", surface="#ffffff", sidebar="#eceef2", border="#d5d9e0", text="#1d2330",
    muted="#5d6678", accent="#c2570c", accent_text="#ffffff", user_bubble="#fdecdc", code_bg="#f1f3f6",
    warning_bg="#fff4d6", warning_text="#6b4a00", error="#b3261e", selection="#f7c9a3",
)
DARK = Colors(
    name="dark", window="#1b1e24", surface="#24282f", sidebar="#15171c", border="#3a404a", text="#e6e8ec",
    muted="#a3abb9", accent="#f08a3c", accent_text="#1b1e24", user_bubble="#3a2c22", code_bg="#15171c",
    warning_bg="#4a3a12", warning_text="#ffe3a3", error="#ff8a80", selection="#7a4a22",
)

_current: Colors = LIGHT


def current() -> Colors:
    return _current


def resolve(mode: str) -> Colors:
    if mode == "dark":
        return DARK
    if mode == "light":
        return LIGHT
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.surface,
        QPalette.ColorRole.AlternateBase: c.window,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.surface,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.ToolTipBase: c.surface,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.Highlight: c.selection,
        QPalette.ColorRole.HighlightedText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.BrightText: c.error,
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.muted))
    return p


def stylesheet(c: Colors) -> str:
    text = (RESOURCES / "style.qss").read_text(encoding="utf-8")
    text = text.replace("@check_icon", _tinted_file("check", c.accent_text))
    for key, value in sorted(vars(c).items(), key=lambda kv: -len(kv[0])):  # @accent_text before @accent
        text = text.replace(f"@{key}", value)
    return text


def apply(app: QApplication, mode: str) -> Colors:
    global _current
    _current = resolve(mode)
    app.setStyle("Fusion")
    app.setPalette(_palette(_current))
    app.setStyleSheet(stylesheet(_current))
    _icon.cache_clear()
    return _current


def _tinted_file(name: str, color: str) -> str:
    """Stylesheets take image files, not data: write a tinted copy of an icon to the cache folder."""
    from engines.paths import cache_dir

    target = cache_dir() / "icons" / f"{name}-{color.lstrip('#')}.svg"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        svg = (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8").replace("currentColor", color)
        target.write_text(svg, encoding="utf-8")
    return target.as_posix()


@cache
def _icon(name: str, color: str) -> QIcon:
    svg = (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8").replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    icon = QIcon()
    for size in (16, 20, 24, 32, 48, 64):  # pre-rendered sizes; Qt picks one per device pixel ratio
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def icon(name: str, color: str | None = None) -> QIcon:
    return _icon(name, color or _current.text)


def set_icon(button: QAbstractButton, name: str, role: str = "text") -> None:
    """Give a button a themed icon that `refresh_icons` redraws when the theme changes."""
    button.setProperty("themeIcon", name)
    button.setProperty("themeIconRole", role)
    button.setIcon(icon(name, getattr(_current, role)))


def refresh_icons(root: QWidget) -> None:
    for button in root.findChildren(QAbstractButton):
        name = button.property("themeIcon")
        if name:
            button.setIcon(icon(str(name), getattr(_current, str(button.property("themeIconRole") or "text"))))
