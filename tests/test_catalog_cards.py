"""Every shipped card validates, and the catalog covers what the issue asks for."""

from __future__ import annotations

import re

import pytest

from engines.cards import ModelCard, load_catalog
from engines.download import DownloadRequest
from engines.fit import approximate_size

CARDS = load_catalog()


def test_the_catalog_has_enough_real_cards() -> None:
    assert len(CARDS) >= 12
    chat = [c for c in CARDS if "chat" in c.tasks and c.engine == "llama.cpp"]
    assert len(chat) >= 6 and all(c.parameters and 4e8 <= c.parameters <= 4e9 for c in chat)
    translate = [c for c in CARDS if "translate" in c.tasks and c.engine == "onnxruntime"]
    assert len(translate) >= 2 and any(not c.language_pairs for c in translate)  # one many-to-many model
    captions = {c.engine for c in CARDS if "caption" in c.tasks}
    assert captions == {"llama.cpp", "onnxruntime"}


@pytest.mark.parametrize("card", CARDS, ids=[c.id for c in CARDS])
def test_card_is_complete(card: ModelCard) -> None:
    assert card.license and card.homepage and card.homepage.startswith("https://huggingface.co/")
    assert re.match(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", card.source.repo)
    request = DownloadRequest.from_card(card)
    assert request.model_id == card.id and len(request.files) == len(card.source.files)
    if card.engine == "llama.cpp":
        assert request.main_file.path.endswith(".gguf") and request.main_file.role == "model"
        assert card.shape is not None and approximate_size(card)  # the catalog can show a fit
        if "caption" in card.tasks:
            assert any(f.role == "mmproj" and "mmproj" in f.path for f in card.source.files)
    else:
        roles = {f.role for f in card.source.files}
        assert {"encoder", "decoder", "config", "tokenizer"} <= roles
        assert all(f.path.startswith("onnx/") for f in card.source.files if f.path.endswith(".onnx"))
