"""Every shipped card validates and is pinned; the schema refuses unpinned cards and made-up hashes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from engines.cards import ModelCard, load_card, load_catalog
from engines.cards.hashes import looks_made_up
from engines.download import DownloadRequest
from engines.errors import CardError
from tests_support import REAL_COMMIT, REAL_SHA, card_toml_head

CARDS = load_catalog()
CARD = card_toml_head("x-model", "X", "org/x") + f"""
[[source.files]]
path = "x.gguf"
size = 1024
sha256 = "{REAL_SHA}"
"""


def _load(tmp_path: Path, text: str) -> ModelCard:
    path = tmp_path / "x-model.toml"
    path.write_text(text, encoding="utf-8")
    return load_card(path)


def test_the_catalog_has_this_years_models_over_four_tasks() -> None:
    assert len(CARDS) >= 25
    ids = {c.id for c in CARDS}
    assert {"qwen3-0.6b-q4_k_m", "qwen3-1.7b-q4_k_m", "qwen3-4b-q4_k_m", "gemma-3-4b-it-q4_k_m",
            "phi-4-mini-instruct-q4_k_m", "smolvlm2-500m-video-instruct-q8_0"} <= ids
    assert any(c.parameters and c.parameters >= 7e9 for c in CARDS)  # something for 16 GB machines
    tasks = {t for c in CARDS for t in c.tasks}
    assert {"chat", "translate", "caption", "embed"} <= tasks
    assert len([c for c in CARDS if "embed" in c.tasks]) >= 2
    gemma = next(c for c in CARDS if c.id == "gemma-3-4b-it-q4_k_m")
    assert {"chat", "caption"} <= set(gemma.tasks) and any(f.role == "mmproj" for f in gemma.source.files)


@pytest.mark.parametrize("card", CARDS, ids=[c.id for c in CARDS])
def test_card_is_complete_and_pinned(card: ModelCard) -> None:
    assert card.homepage and card.homepage.startswith("https://huggingface.co/")
    assert re.match(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", card.source.repo)
    for f in card.source.files:
        assert f.size > 0 and (f.known_sha256 is None or not looks_made_up(f.known_sha256))
    assert card.source.pinned_commit or all(f.known_sha256 for f in card.source.files)
    assert card.licence.url.startswith("https://") and card.licence.id
    assert card.description_i18n.get("pt_BR") and card.description_i18n["pt_BR"] != card.description
    assert card.localized_name("pt_BR")
    request = DownloadRequest.from_card(card)
    assert request.model_id == card.id and len(request.files) == len(card.source.files)
    assert request.revision == card.source.revision and all(f.pinned and f.size for f in request.files)
    if card.engine == "llama.cpp":
        assert request.main_file.path.endswith(".gguf") and request.main_file.role == "model"
        assert card.shape is not None  # the catalog can show a KV cache
        if "caption" in card.tasks:
            assert any(f.role == "mmproj" and "mmproj" in f.path for f in card.source.files)
    elif card.engine == "stable-diffusion.cpp":  # one single-file checkpoint, the model's own advice
        assert card.tasks == ["image"] and request.main_file.path.endswith((".safetensors", ".gguf"))
        assert card.recommended.steps and card.recommended.guidance is not None and card.recommended.image_size
    elif card.tasks == ["embed"]:  # an ONNX text encoder: one graph and its tokenizer.json
        roles = {f.role for f in card.source.files}
        assert {"model", "tokenizer"} <= roles and any(f.path == "tokenizer.json" for f in card.source.files)
    else:
        roles = {f.role for f in card.source.files}
        assert {"encoder", "decoder", "config", "tokenizer"} <= roles


def test_the_licences_say_what_the_vendors_say() -> None:
    cards = {c.id: c for c in CARDS}
    assert cards["qwen2.5-3b-instruct-q4_k_m"].licence.commercial_use == "no"
    assert cards["qwen2.5-3b-instruct-q4_k_m"].licence.needs_consent
    assert cards["gemma-3-4b-it-q4_k_m"].licence.commercial_use == "conditions"
    assert cards["llama-3.2-1b-instruct-q4_k_m"].licence.attribution == "Built with Llama"
    assert cards["opus-mt-zh-en"].licence.attribution  # CC-BY asks for credit
    assert cards["qwen3-4b-q4_k_m"].licence.commercial_use == "yes" and not cards["qwen3-4b-q4_k_m"].licence.gated
    assert cards["sd-turbo-q8_0"].licence.commercial_use == "no" and cards["sd-turbo-q8_0"].licence.needs_consent
    assert cards["stable-diffusion-v1-5"].licence.commercial_use == "conditions"  # OpenRAIL-M use restrictions


def test_a_valid_card_loads(tmp_path: Path) -> None:
    card = _load(tmp_path, CARD)
    assert card.size == 1024 and card.source.pinned_commit == REAL_COMMIT


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("size = 1024\n", "", "size"),  # no size
        (f'sha256 = "{REAL_SHA}"\n', "", "sha256"),  # no hash (not even "unknown")
        (f'revision = "{REAL_COMMIT}"\n', "", "revision"),  # no revision
        (REAL_SHA, "0" * 64, "placeholder"),
        (REAL_SHA, "ab" * 32, "placeholder"),
        (REAL_SHA, "0123456789abcdef" * 4, "placeholder"),
        (REAL_SHA, "deadbeef" * 8, "placeholder"),
        (REAL_SHA, "abc123" * 10 + "abc1", "placeholder"),
        (REAL_COMMIT, "a" * 40, "placeholder"),
        (REAL_COMMIT, "0123456789" * 4, "placeholder"),
        (REAL_SHA, "not-a-hash", "sha256"),
        ('commercial_use = "yes"', 'commercial_use = "maybe"', "commercial_use"),
    ],
)
def test_unpinned_or_made_up_cards_fail(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in CARD
    with pytest.raises(CardError, match=message):
        _load(tmp_path, CARD.replace(old, new, 1))


def test_unknown_hash_needs_a_commit(tmp_path: Path) -> None:
    unknown = CARD.replace(REAL_SHA, "unknown")
    card = _load(tmp_path, unknown)
    assert card.source.files[0].known_sha256 is None  # the first download records it
    with pytest.raises(CardError, match="commit"):
        _load(tmp_path, unknown.replace(REAL_COMMIT, "main"))
    assert _load(tmp_path, CARD.replace(REAL_COMMIT, "main")).source.pinned_commit is None  # hash pins the bytes


def test_real_digests_are_never_taken_for_placeholders() -> None:
    for n in range(20000):
        assert not looks_made_up(hashlib.sha256(str(n).encode()).hexdigest())
        assert not looks_made_up(hashlib.sha1(str(n).encode()).hexdigest())


def test_localized_texts_follow_the_language(tmp_path: Path) -> None:
    card = _load(tmp_path, CARD + '[description_i18n]\npt_BR = "Um modelo."\n[name_i18n]\npt_BR = "Xis"\n')
    assert card.localized_description("pt_BR") == "Um modelo." and card.localized_description("pt") == "Um modelo."
    assert card.localized_name("pt_BR") == "Xis" and card.localized_name("en") == "X"
    assert card.localized_description("en") == ""
