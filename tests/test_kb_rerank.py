"""Cross-encoder reranking: Candeia's scores equal sentence-transformers' CrossEncoder, and search re-orders by them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_encoders import build_cross_encoder, cached_encoder, hub_offline

from engines.encoders.cross_encoder import CrossEncoder
from engines.errors import InvalidModelFileError
from engines.kb.api import create_kb

PASSAGES = ["The boats sail at dawn.", "Trains leave every hour from the station.", "Good morning and good night."]


@pytest.fixture(scope="module")
def reranker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with hub_offline():
        return build_cross_encoder(tmp_path_factory.mktemp("rerank"))


def test_scores_match_sentence_transformers(reranker: Path) -> None:
    from sentence_transformers import CrossEncoder as Reference

    ours = CrossEncoder(reranker, threads=1).score("when do boats sail", PASSAGES)
    with hub_offline():
        ref = Reference(str(reranker), device="cpu")
        expected = np.asarray(ref.predict([("when do boats sail", p) for p in PASSAGES]), dtype=np.float32)
    # sentence-transformers puts one logit through a sigmoid; Candeia keeps the logit (same order)
    assert np.allclose(1.0 / (1.0 + np.exp(-ours)), expected.reshape(-1), atol=1e-5)


def test_an_embedding_model_is_not_a_reranker(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(InvalidModelFileError, match="not a cross-encoder"):
        CrossEncoder(cached_encoder(tmp_path_factory.getbasetemp()))


def test_search_reorders_by_the_cross_encoder(reranker: Path, tmp_path: Path,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    for i, text in enumerate(PASSAGES):
        (tmp_path / f"p{i}.txt").write_text(text + "\n", encoding="utf-8")
    with create_kb("reranked", str(cached_encoder(tmp_path_factory.getbasetemp()))) as kb:
        kb.add([tmp_path])
        hits = kb.search("boats station morning", k=3, rerank=True, reranker=str(reranker))
    scores = [h.score for h in hits]
    assert len(hits) == 3 and scores == sorted(scores, reverse=True)
    direct = CrossEncoder(reranker, threads=1).score("boats station morning", [h.text for h in hits])
    assert np.allclose(direct, scores, atol=1e-5)
