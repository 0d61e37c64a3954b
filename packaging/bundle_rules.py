"""What goes into the PyInstaller bundle and what stays out (used by candeia.spec and build.py's checks).

PyInstaller's Qt hooks collect every plugin of each type a module uses and every translation of Qt; Candeia
needs a few plugin types (drawing a window, reading images and SVG icons, styles, input methods) and the Qt
translations of the languages it ships. torch, transformers and optimum are development tools here (model
conversion, tests): if anything drags them in, the build fails instead of shipping gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath

# Top-level packages that must never be in the bundle; the build fails if any of them is collected.
FORBIDDEN = ("torch", "transformers", "optimum", "torchvision", "tensorflow", "jax")

# Qt modules Candeia does not import (PySide6-Essentials ships some of these; full PySide6 all of them).
_UNUSED_QT = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender", "QtBluetooth", "QtCharts",
    "QtConcurrent", "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp", "QtHttpServer",
    "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork", "QtNetworkAuth", "QtNfc", "QtOpenGL",
    "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D",
    "QtQuickControls2", "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort",
    "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets", "QtTest", "QtTextToSpeech", "QtUiTools",
    "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView",
    "QtXml", "QtAxContainer", "QtDBus",
)

EXCLUDED_MODULES = [
    *FORBIDDEN,
    *(f"PySide6.{name}" for name in _UNUSED_QT),
    # development and optional extras that libraries import only if present
    "tkinter", "matplotlib", "IPython", "pytest", "mypy", "scipy", "pandas", "sympy", "networkx",
    "ctranslate2", "psutil", "onnxruntime.quantization", "onnxruntime.tools", "onnxruntime.transformers",
    "llama_cpp.server", "PySide6.scripts",
    "hf_xet",  # huggingface_hub's Xet transfer backend: Candeia downloads with its own resumable client
]

# Qt plugin folders kept (under PySide6/Qt/plugins); every other plugin type is left out.
QT_PLUGIN_TYPES = {
    "platforms",  # the window system (and `offscreen` for the self-test)
    "platformthemes",  # native file dialogs and colour scheme (GTK, xdg portal)
    "platforminputcontexts",  # input methods, dead keys and compose on Linux
    "imageformats",  # JPEG, GIF, WebP, TIFF, SVG... for the caption page's previews
    "iconengines",  # SVG icons
    "styles",  # the native widget style on macOS and Windows
    "xcbglintegrations",  # needed by the xcb platform plugin
    "wayland-decoration-client",
    "wayland-graphics-integration-client",
    "wayland-shell-integration",
}
# Single plugins left out of a kept type: they pull in a Qt module the app never uses, or serve no desktop.
QT_PLUGINS_DROPPED = (
    "qpdf",  # imageformats/qpdf links QtPdf
    "qeglfs", "qlinuxfb", "qminimal", "qvkkhrdisplay", "qvnc",  # embedded and headless platforms (qvnc: QtNetwork)
)
# Qt libraries only the dropped plugins link: the analysis has already collected them by the time the spec prunes.
QT_LIBS_DROPPED = ("Qt6EglFSDeviceIntegration", "Qt6EglFsKmsSupport", "Qt6Network", "QtNetwork.framework",
                   "Qt6Pdf", "QtPdf.framework")

# Qt's own translations kept: standard buttons and dialogs in the languages Candeia ships (desktop/i18n.py).
QT_TRANSLATIONS = ("qtbase_en.qm", "qtbase_pt_BR.qm")

_QT_PLUGINS = PurePosixPath("PySide6/Qt/plugins")
_QT_TRANSLATIONS = PurePosixPath("PySide6/Qt/translations")


def _posix(dest: str) -> PurePosixPath:
    return PurePosixPath(dest.replace("\\", "/"))


def _dropped_lib(path: PurePosixPath) -> bool:
    return any(lib in part for part in path.parts for lib in QT_LIBS_DROPPED)


def keep_binary(dest: str) -> bool:
    """Keep a collected binary unless it is a Qt plugin of a type (or name) Candeia does not use."""
    path = _posix(dest)
    if _dropped_lib(path):
        return False
    if not path.is_relative_to(_QT_PLUGINS):
        return True
    parts = path.relative_to(_QT_PLUGINS).parts
    if len(parts) < 2 or parts[0] not in QT_PLUGIN_TYPES:
        return False
    return not any(dropped in parts[-1] for dropped in QT_PLUGINS_DROPPED)


def keep_data(dest: str) -> bool:
    """Keep a collected data file unless it is a Qt translation of a language Candeia does not ship (or a link to
    a library left out: PyInstaller lists the top-level links to Qt's libraries among the data)."""
    path = _posix(dest)
    if _dropped_lib(path):
        return False
    if path.is_relative_to(_QT_TRANSLATIONS):
        return path.name in QT_TRANSLATIONS
    if path.is_relative_to(_QT_PLUGINS):  # plugin metadata files follow their plugin's rule
        return keep_binary(dest)
    return True


def forbidden_names(names: Iterable[str]) -> list[str]:
    """The module names or bundle paths among `names` that belong to a forbidden package."""
    found = []
    for name in names:
        first = _posix(name).parts[0] if ("/" in name or "\\" in name) else name.split(".")[0]
        if first in FORBIDDEN or first.split("-")[0] in FORBIDDEN:  # also torch-2.x.dist-info and the like
            found.append(name)
    return sorted(set(found))


def check_no_forbidden(*tocs: Sequence[tuple[str, ...]]) -> None:
    """Stop the build if torch, transformers or optimum made it into any of the TOCs."""
    found = forbidden_names(entry[0] for toc in tocs for entry in toc)
    if found:
        raise SystemExit(f"candeia.spec: forbidden packages in the bundle: {', '.join(found[:10])}")
