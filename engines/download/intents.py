"""What the user last asked of each unfinished download, kept across restarts.

`downloads/<model id>.intent.json` says "active" (running or queued: resume it at the next
start), "paused" (the user paused it: wait for Resume) or "failed" (wait for Retry). A staging
folder without one (an interrupted command-line download, an older version) is never resumed
by itself either: only what was running when the app closed goes online again unasked.
"""

from __future__ import annotations

import enum
import json
import logging
from pathlib import Path

from engines.atomic import atomic_write_json
from engines.paths import downloads_dir
from engines.security.safe_names import check_model_id, path_inside

log = logging.getLogger(__name__)


class Intent(str, enum.Enum):
    active = "active"
    paused = "paused"
    failed = "failed"


def intent_path(model_id: str) -> Path:
    return path_inside(downloads_dir(), check_model_id(model_id) + ".intent.json")


def save_intent(model_id: str, intent: Intent) -> None:
    try:
        atomic_write_json(intent_path(model_id), {"intent": intent.value})
    except OSError as exc:  # the download itself matters more than remembering it
        log.warning("cannot record the state of download %s: %s", model_id, exc)


def load_intent(model_id: str) -> Intent | None:
    try:
        raw = json.loads(intent_path(model_id).read_text(encoding="utf-8"))
        return Intent(raw["intent"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: nothing is resumed on its strength


def clear_intent(model_id: str) -> None:
    try:
        intent_path(model_id).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remove the state of download %s: %s", model_id, exc)
