"""User settings: a typed model saved as JSON, atomically."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engines.atomic import atomic_write_json
from engines.paths import settings_file

log = logging.getLogger(__name__)


def default_threads() -> int:
    # llama.cpp is fastest with about one thread per physical core; leave one free on big machines.
    count = os.cpu_count() or 2
    return max(1, count if count <= 4 else count - 1)


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    threads: int = Field(default_factory=default_threads, ge=1, le=512)
    context_size: int = Field(default=4096, ge=128, le=1_048_576)
    gpu_layers: int = Field(default=0, ge=-1, description="-1 offloads every layer")
    onnx_provider: str = Field(default="auto", description="ONNX Runtime execution provider, or 'auto'")
    offline: bool = False
    hf_endpoint: str | None = None
    allow_insecure_http: bool = Field(
        default=False, description="Allow a plain-http hub endpoint that is not on this machine (a LAN mirror)."
    )
    ui_language: str = "system"
    theme: str = "system"
    default_models: dict[str, str] = Field(default_factory=dict)
    hub_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="Access token for each download server other than huggingface.co, by its address.",
    )


def load_settings(path: Path | None = None) -> Settings:
    """Read settings field by field: a bad value falls back to its default alone (and is logged).

    Offline mode fails safe: it stays on when the file turns it on, even with a value that does
    not validate, and when the file exists but cannot be read at all.
    """
    path = path or settings_file()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("settings file %s is unreadable (%s); using defaults, with offline mode on", path, exc)
        return Settings(offline=True)
    if not isinstance(raw, dict):
        log.warning("settings file %s holds no settings object; using defaults, with offline mode on", path)
        return Settings(offline=True)
    settings = Settings()
    for name in Settings.model_fields:
        if name not in raw:
            continue
        try:
            setattr(settings, name, raw[name])  # validate_assignment checks this one field
        except ValidationError as exc:
            log.warning("setting '%s' in %s is invalid (%s); using its default", name, path,
                        exc.errors()[0].get("msg", exc))
            if name == "offline":
                settings.offline = True  # an unreadable switch for privacy stays on the safe side
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    atomic_write_json(path or settings_file(), settings.model_dump(mode="json"))
