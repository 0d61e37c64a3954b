"""Where Candeia keeps its files.

Everything lives under one data folder: `CANDEIA_HOME` when set (tests always set it, so they
never touch a real profile); otherwise the folder the user moved it to (a pointer file in the
platformdirs config dir, written by engines/store/relocate.py); otherwise the platformdirs user data dir.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "Candeia"
HOME_ENV = "CANDEIA_HOME"
CONFIG_ENV = "CANDEIA_CONFIG_HOME"


def default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def location_file() -> Path:
    """The pointer to a data folder the user moved; it cannot live inside the folder it points to."""
    override = os.environ.get(CONFIG_ENV)
    base = Path(override).expanduser() if override else Path(user_config_dir(APP_NAME, appauthor=False))
    return base / "location.json"


def moved_data_dir() -> Path | None:
    try:
        value = json.loads(location_file().read_text(encoding="utf-8")).get("data_dir")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(value) if isinstance(value, str) and value else None


PRIVATE_FOLDER = 0o700  # chats, settings and tokens are the user's alone (POSIX)
PRIVATE_FILE = 0o600
_tightened: set[Path] = set()


def data_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    base = Path(override).expanduser() if override else (moved_data_dir() or default_data_dir())
    if not base.is_dir():
        base.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    elif base not in _tightened and not override and base == default_data_dir():
        # Older versions made the default folder 0755; it is Candeia's own, so close it once.
        _tighten(base)
    _tightened.add(base)
    return base


def _tighten(folder: Path) -> None:
    if os.name == "posix":
        try:
            if folder.stat().st_mode & 0o077:
                folder.chmod(PRIVATE_FOLDER)
        except OSError:
            pass


def settings_file() -> Path:
    return data_dir() / "settings.json"


def manifest_file() -> Path:
    return data_dir() / "models.json"


def _data_subdir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Files Candeia owns (copied or downloaded models)."""
    return _data_subdir("models")


def cache_dir() -> Path:
    return _data_subdir("cache")


def downloads_dir() -> Path:
    """Unfinished downloads (`.part` files and their state); on the same disk as models_dir()."""
    return _data_subdir("downloads")


def gallery_dir() -> Path:
    """The images the Create page and `candeia-cli imagine` made or were given (PNG, settings in their chunks)."""
    return _data_subdir("gallery")


def readable_file_size(path: Path, error: Callable[[Path, str], Exception], kind: str) -> int:
    """The size of a file the user named, or `error(path, reason)` raised with a reason they can act on
    (missing, unreadable, a folder); `kind` names what was expected ("an image", "a GGUF file")."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(path, "does not exist") from None
    except OSError as exc:
        raise error(path, f"cannot be read ({exc.strerror or exc})") from None
    if path.is_dir():
        raise error(path, f"is a folder, not {kind}")
    return size
