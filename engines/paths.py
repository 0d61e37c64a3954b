"""Where Candeia keeps its files.

Everything lives under one data folder: the platformdirs user data dir, or `CANDEIA_HOME`
when set (tests always set it, so they never touch a real profile).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "Candeia"
HOME_ENV = "CANDEIA_HOME"


def data_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    base = Path(override).expanduser() if override else Path(user_data_dir(APP_NAME, appauthor=False))
    base.mkdir(parents=True, exist_ok=True)
    return base


def settings_file() -> Path:
    return data_dir() / "settings.json"


def manifest_file() -> Path:
    return data_dir() / "models.json"


def models_dir() -> Path:
    """Files Candeia owns (copied or downloaded models)."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def downloads_dir() -> Path:
    """Unfinished downloads (`.part` files and their state); on the same disk as models_dir()."""
    path = data_dir() / "downloads"
    path.mkdir(parents=True, exist_ok=True)
    return path
