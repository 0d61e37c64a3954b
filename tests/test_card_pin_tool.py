"""`python -m engines.download.refresh_pins` refreshes a card's pins from the (fake) hub and keeps its comments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_hub import FakeHub

from engines.cards import load_card
from engines.download.refresh_pins import main
from tests_support import REAL_SHA, card_toml_head

OLD_SHA = REAL_SHA
CARD = card_toml_head("pin-me", "Pin me", "org/pin-me", note="# Pins: from the fake hub.") + f"""

[[source.files]]
path = "model.gguf"
role = "model"
size = 1_000
sha256 = "{OLD_SHA}"

[[source.files]]
path = "config.json"
role = "config"
size = 10
sha256 = "{OLD_SHA}"
"""


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    with FakeHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_pins_are_refreshed_from_the_hub(hub: FakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights, config = b"GGUF" + bytes(range(256)) * 40, b'{"a": 1}'
    hub.add_file("org/pin-me", "model.gguf", weights)
    hub.add_file("org/pin-me", "config.json", config, lfs=False)  # kept in git: no published sha256
    (tmp_path / "pin-me.toml").write_text(CARD, encoding="utf-8")
    assert main(["--latest", "--dir", str(tmp_path), "pin-me"]) == 0
    card = load_card(tmp_path / "pin-me.toml")
    assert card.source.revision == hub.repos["org/pin-me"].commit
    model, cfg = card.source.files
    assert (model.size, model.sha256) == (len(weights), hashlib.sha256(weights).hexdigest())
    assert (cfg.size, cfg.sha256) == (len(config), "unknown")
    assert "# Pins: from the fake hub." in (tmp_path / "pin-me.toml").read_text()
    assert "pin-me: org/pin-me@" in capsys.readouterr().out


def test_a_missing_file_is_reported_and_the_card_kept(hub: FakeHub, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    hub.add_file("org/pin-me", "model.gguf", b"GGUF")
    (tmp_path / "pin-me.toml").write_text(CARD, encoding="utf-8")
    assert main(["--latest", "--dir", str(tmp_path), "pin-me"]) == 1
    assert "config.json" in capsys.readouterr().err
    assert (tmp_path / "pin-me.toml").read_text() == CARD
