"""Find files shipped with the app, from a source checkout, a pip install or a PyInstaller bundle.

Every data file (stylesheet, icons, translations, the model catalog) is looked up here, so the
frozen layout is decided in one place: PyInstaller unpacks data under `sys._MEIPASS` with the
same relative paths as the source tree (packaging/candeia.spec keeps them so).
"""

from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller build."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_root() -> Path:
    """The folder that holds `engines/` and `desktop/`: the checkout, site-packages for a wheel, or the bundle's
    data folder when frozen. Shipped data lives inside those packages (package data in pyproject.toml)."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS"))  # noqa: B009 (set by the PyInstaller bootloader only)
    return Path(__file__).resolve().parents[2]


def resource_path(*parts: str) -> Path:
    """A shipped file or folder, e.g. resource_path("desktop", "resources", "style.qss")."""
    return bundle_root().joinpath(*parts)


def bundled_executable(name: str) -> Path | None:
    """Another executable of the same frozen bundle (e.g. "candeia-cli" beside "candeia"), if there is one."""
    if not is_frozen():
        return None
    suffix = ".exe" if sys.platform == "win32" else ""
    candidate = Path(sys.executable).resolve().with_name(name + suffix)
    return candidate if candidate.is_file() else None
