"""Settings round-trip atomically; every shipped model card validates against the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engines.cards import load_card, load_catalog
from engines.cards.schema import ModelCard
from engines.errors import CardError
from engines.paths import data_dir
from engines.settings import Settings, load_settings, save_settings
from tests_support import PROJECT_ROOT


def test_data_dir_follows_candeia_home(candeia_home: Path) -> None:
    assert data_dir() == candeia_home and candeia_home.is_dir()


def test_settings_round_trip_and_damage(candeia_home: Path) -> None:
    settings = Settings(threads=3, context_size=2048, offline=True)
    save_settings(settings)
    assert load_settings() == settings
    assert not list(candeia_home.glob("*.tmp"))
    (candeia_home / "settings.json").write_text("{ broken")
    assert load_settings() == Settings(offline=True)  # unreadable: offline mode stays on (test_settings_fallback)
    (candeia_home / "settings.json").write_text(json.dumps({"threads": -4}))
    assert load_settings() == Settings()


def test_every_shipped_card_validates() -> None:
    cards = load_catalog(PROJECT_ROOT / "model_cards")
    assert len(cards) >= 4
    files = sorted((PROJECT_ROOT / "model_cards").glob("*.toml"))
    assert [c.id for c in cards] == [f.stem for f in files]
    tasks = {t for c in cards for t in c.tasks}
    assert {"chat", "translate", "caption", "embed"} <= tasks


def test_exported_json_schema_is_current() -> None:
    exported = json.loads((PROJECT_ROOT / "model_cards" / "schema.json").read_text())
    assert exported == ModelCard.model_json_schema(), "run: python -m engines.cards.export_schema"


BASE = """
id = "x-model"
name = "X"
tasks = ["chat"]
engine = "llama.cpp"
[licence]
id = "MIT"
commercial_use = "yes"
url = "https://opensource.org/license/mit"
[source]
repo = "org/x"
revision = "4d5402369568f0bd157d8454270821341e833722"
[[source.files]]
path = "x.gguf"
size = 1024
sha256 = "f82c5c2230a8b452221706461eb93203443373625d96a05912d4f96c845c2775"
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('colour = "blue"\n', "Extra inputs are not permitted"),
        ('parameters = "1B"\n', "parameters"),
        ('tasks = ["dance"]\n', "tasks"),
    ],
)
def test_bad_cards_are_rejected(tmp_path: Path, extra: str, message: str) -> None:
    text = BASE.replace('tasks = ["chat"]\n', "") if extra.startswith("tasks") else BASE
    card = tmp_path / "x-model.toml"
    card.write_text(extra + text)
    with pytest.raises(CardError, match=message):
        load_card(card)


def test_card_rules(tmp_path: Path) -> None:
    card = tmp_path / "x-model.toml"
    card.write_text(BASE.replace("x.gguf", "pytorch_model.bin"))
    with pytest.raises(CardError, match="gguf"):
        load_card(card)
    card.write_text(BASE.replace('path = "x.gguf"', 'path = "../x.gguf"'))
    with pytest.raises(CardError, match="relative"):
        load_card(card)
    card.write_text(BASE.replace('tasks = ["chat"]', 'tasks = ["caption"]'))
    with pytest.raises(CardError, match="mmproj"):
        load_card(card)
    wrong_name = tmp_path / "other.toml"
    wrong_name.write_text(BASE)
    with pytest.raises(CardError, match="match the file name"):
        load_card(wrong_name)
    card.write_text("id = [")
    with pytest.raises(CardError, match="not valid TOML"):
        load_card(card)
