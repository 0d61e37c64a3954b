"""Load model cards from TOML files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pydantic import ValidationError

from engines.cards.schema import ModelCard
from engines.errors import CardError
from engines.system.resources import resource_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


CATALOG_ENV = "CANDEIA_CATALOG"  # a folder of cards to use instead (a maintainer trying new cards, the tests)


def builtin_cards_dir() -> Path:
    """The catalog shipped with the app: `model_cards/` at the top of a checkout or the bundle, or
    `engines/model_cards/` where a wheel installed it (package data); $CANDEIA_CATALOG overrides it."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override).expanduser()
    installed = Path(__file__).resolve().parents[1] / "model_cards"
    return installed if installed.is_dir() else resource_path("model_cards")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "card"
    return f"{where}: {err['msg']}"


def load_card(path: Path) -> ModelCard:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(f"{path}: cannot read the card ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{path}: not valid TOML ({exc})") from exc
    try:
        card = ModelCard.model_validate(raw)
    except ValidationError as exc:
        raise CardError(f"{path}: {_first_error(exc)}") from exc
    if card.id != path.stem:
        raise CardError(f"{path}: the card id '{card.id}' must match the file name")
    return card


def load_catalog(directory: Path | None = None) -> list[ModelCard]:
    directory = directory or builtin_cards_dir()
    cards = [load_card(p) for p in sorted(directory.glob("*.toml"))]
    seen: set[str] = set()
    for card in cards:
        if card.id in seen:
            raise CardError(f"duplicate card id '{card.id}' in {directory}")
        seen.add(card.id)
    return cards
