"""Offline mode: one switch that stops every network attempt before a socket is opened."""

from __future__ import annotations

import os

from engines.download.errors import OfflineError
from engines.settings import Settings, load_settings

OFFLINE_ENV = "CANDEIA_OFFLINE"
_TRUE = {"1", "true", "yes", "on"}


def is_offline(settings: Settings | None = None) -> bool:
    """True when CANDEIA_OFFLINE (or huggingface_hub's HF_HUB_OFFLINE) or the offline setting is on."""
    for name in (OFFLINE_ENV, "HF_HUB_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in _TRUE:
            return True
    return (settings or load_settings()).offline


def ensure_online(settings: Settings | None = None) -> None:
    if is_offline(settings):
        raise OfflineError(
            "Candeia is in offline mode (CANDEIA_OFFLINE or the 'offline' setting), so nothing is downloaded; "
            "turn offline mode off to download models"
        )
