"""Hybrid fusion (engines/kb/fusion.py): the vectors' share follows how far their best candidate stands out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.kb import retrieval
from engines.kb.api import create_kb
from engines.kb.fusion import MIN_CANDIDATES, fuse, vector_confidence


def ranked(scores: list[float], first_id: int = 100) -> list[tuple[int, float]]:
    ordered = sorted(scores, reverse=True)
    return [(first_id + i, float(s)) for i, s in enumerate(ordered)]


def flat_list() -> list[tuple[int, float]]:
    """50 cosines spread evenly over 0.50..0.55: the best stands about 1.7 standard deviations above
    the mean, as a list of near-equal scores does (an English model given a Portuguese question)."""
    return ranked(list(np.linspace(0.50, 0.55, 50)))


def peaked_list() -> list[tuple[int, float]]:
    """One passage far above 49 near-equal ones: the model recognises an answer."""
    return ranked([0.80, *np.linspace(0.20, 0.25, 49)])


def test_confidence_is_low_for_a_flat_list_and_full_for_a_peaked_one() -> None:
    assert vector_confidence(flat_list()) < 0.2
    assert vector_confidence(peaked_list()) == 1.0
    assert vector_confidence(ranked([0.3] * 50)) == 0.0  # all tied: nothing to tell apart


def test_confidence_ignores_the_models_cosine_scale() -> None:
    """An E5-style model scores unrelated pairs ~0.7: the same shape higher up gives the same confidence."""
    shifted = [(c, 0.5 * s + 0.45) for c, s in flat_list()]
    assert vector_confidence(shifted) == pytest.approx(vector_confidence(flat_list()))


def test_too_few_candidates_keep_the_whole_share() -> None:
    """In a knowledge base of a few chunks the list's shape says nothing: the vectors keep their weight."""
    assert vector_confidence(ranked([0.9, 0.1, 0.1])) == 1.0
    assert vector_confidence(ranked(list(np.linspace(0.5, 0.55, MIN_CANDIDATES - 1)))) == 1.0


def test_a_flat_vector_list_does_not_reorder_keyword_hits() -> None:
    keyword = [(1, 10.0), (2, 8.0), (3, 6.0)]
    vector = [(3, 0.551), *flat_list()[1:]]  # the third keyword hit is the vectors' "best", by noise
    assert [c for c, _ in fuse(keyword, vector, weight=0.5)[:3]] == [1, 2, 3]
    # without the confidence (the share at full) the noise would have lifted it to first
    assert fuse(keyword, vector, weight=0.5, confidence=1.0)[0][0] == 3


def test_a_peaked_vector_list_lifts_its_best_passage() -> None:
    vector = [(3, 0.80), *peaked_list()[1:]]
    keyword = [(1, 10.0), (2, 8.0), (3, 6.0)]
    fused = fuse(keyword, vector, weight=0.5)
    assert fused[0][0] == 3
    assert fused[0][1] == pytest.approx(0.5 * 6.0 / 10.0 + 0.5)


def test_vectors_alone_keep_their_order_whatever_the_confidence() -> None:
    assert [c for c, _ in fuse([], flat_list())] == [c for c, _ in flat_list()]


def test_hybrid_search_applies_the_vectors_confidence(encoder_folder: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """On the real core: the same vector favourite is kept third behind the keyword hits when the
    vector list is flat, and lifted to first when it stands out."""
    filler = "granite stairs harbour chart signal"
    sections = [f"# Part {i}\n\n{' '.join(['lamp'] * n)} {filler}\n" for i, n in ((1, 3), (2, 2), (3, 1))]
    sections += [f"# Part {i}\n\nfiller text number {i} about {filler}\n" for i in range(4, 34)]
    (tmp_path / "manual.md").write_text("\n".join(sections), encoding="utf-8")
    with create_kb("fusion", str(encoder_folder)) as kb:
        kb.add([tmp_path / "manual.md"])
        keyword = [c for c, _ in retrieval.keyword_ranks(kb, "lamp", 50)]
        assert len(keyword) == 3  # three times, twice, once
        others = [c for c in kb.index.vector_matrix()[0].tolist() if c not in keyword]

        def with_vectors(scores: list[float]) -> list[str]:
            favourite = [(keyword[2], scores[0]), *zip(others, scores[1:], strict=False)]
            monkeypatch.setattr(retrieval, "vector_ranks", lambda *_: favourite)
            return [h.text for h in kb.search("lamp", k=3, mode="hybrid")]

        flat = with_vectors([float(s) for s in np.linspace(0.55, 0.50, 30)])
        peaked = with_vectors([0.80, *(float(s) for s in np.linspace(0.25, 0.20, 29))])
    assert [t.count("lamp") for t in flat] == [3, 2, 1]
    assert peaked[0].count("lamp") == 1
