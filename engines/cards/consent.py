"""Licence terms the user accepted: asked once per card, before the first download of a
non-commercial or gated model, in the GUI or the CLI, and remembered in the data folder."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from engines.atomic import atomic_write_json
from engines.cards.schema import ModelCard
from engines.paths import data_dir

CONSENT_FILE = "licence-consent.json"


def _path() -> Path:
    return data_dir() / CONSENT_FILE


def _load() -> dict[str, dict[str, str]]:
    try:
        raw = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(v, dict)} if isinstance(raw, dict) else {}


def needs_consent(card: ModelCard) -> bool:
    """True when the card's terms call for a confirmation that this user has not given yet."""
    if not card.licence.needs_consent:
        return False
    given = _load().get(card.id)
    # Terms that changed (another licence id) are asked about again.
    return given is None or given.get("licence") != card.licence.id


def record_consent(card: ModelCard) -> None:
    consents = _load()
    consents[card.id] = {"licence": card.licence.id, "url": card.licence.url,
                         "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _path().parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(_path(), consents)


def badge(card: ModelCard) -> str:
    """A short English label for the CLI: "open", "non-commercial", "conditions", plus "gated"."""
    kind = {"yes": "open", "no": "non-commercial", "conditions": "conditions"}[card.licence.commercial_use]
    return f"{kind}, gated" if card.licence.gated else kind
