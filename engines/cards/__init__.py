"""Model cards: the typed schema for `model_cards/*.toml` and the catalog loader."""

from engines.cards.catalog import builtin_cards_dir, load_card, load_catalog
from engines.cards.schema import CardFile, Engine, FileRole, Licence, ModelCard, Recommended, Shape, Source, Task

__all__ = [
    "CardFile",
    "Engine",
    "FileRole",
    "Licence",
    "ModelCard",
    "Recommended",
    "Shape",
    "Source",
    "Task",
    "builtin_cards_dir",
    "load_card",
    "load_catalog",
]
