"""BERT-class ONNX encoders equal sentence-transformers on the same weights (cosine >= 0.999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_encoders import cached_encoder, hub_offline

from engines.encoders.onnx_encoder import OnnxTextEncoder
from engines.encoders.pooling import read_pooling
from engines.errors import InvalidModelFileError

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Olá mundo, isto é um teste.",
    "Where is the station?",
    "Numbers like 12 and 345 appear too, in a much longer sentence that pads the others in its batch.",
    "",
    "Ships",
]


def _reference(folder: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    with hub_offline():
        model = SentenceTransformer(str(folder), device="cpu")
        return np.asarray(model.encode(texts, batch_size=4, convert_to_numpy=True), dtype=np.float32)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize(("kind", "pooling", "normalize"),
                         [("bert", "mean", True), ("bert", "cls", False), ("xlmr", "mean", True)])
def test_parity_with_sentence_transformers(tmp_path_factory: pytest.TempPathFactory, kind: str, pooling: str,
                                           normalize: bool) -> None:
    folder = cached_encoder(tmp_path_factory.getbasetemp(), kind, pooling, normalize)
    encoder = OnnxTextEncoder(folder, threads=1)
    assert encoder.pooling.mode == pooling and encoder.normalized is normalize
    ours = encoder.embed(TEXTS, batch_size=3)  # batches of mixed lengths, sorted and put back in order
    ref = _reference(folder, TEXTS)
    assert ours.shape == ref.shape == (len(TEXTS), 32)
    assert _cosines(ours, ref).min() >= 0.999
    if normalize:
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    single = encoder.embed([TEXTS[3]])  # batching does not change a vector
    assert _cosines(single, ours[3:4])[0] >= 0.9999


def test_progress_cancel_and_empty(tmp_path_factory: pytest.TempPathFactory) -> None:
    from engines.jobs import Cancelled, CancelToken

    encoder = OnnxTextEncoder(cached_encoder(tmp_path_factory.getbasetemp()), threads=1)
    seen: list[tuple[int, int]] = []
    encoder.embed(TEXTS, batch_size=2, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 6), (4, 6), (6, 6)]
    assert encoder.embed([]).shape == (0, encoder.dimensions)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        encoder.embed(TEXTS, cancel=token)


def test_long_text_is_truncated_not_failed(tmp_path_factory: pytest.TempPathFactory) -> None:
    encoder = OnnxTextEncoder(cached_encoder(tmp_path_factory.getbasetemp()), threads=1)
    vector = encoder.embed(["good morning " * 2000])
    assert vector.shape == (1, encoder.dimensions) and np.isfinite(vector).all()


def test_default_pooling_without_sentence_transformers_files(tmp_path: Path) -> None:
    config = read_pooling(tmp_path)
    assert config.mode == "mean" and config.normalize is False


def test_folder_without_tokenizer_or_graph_says_so(tmp_path: Path) -> None:
    with pytest.raises(InvalidModelFileError, match=r"tokenizer\.json"):
        OnnxTextEncoder(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidModelFileError):
        OnnxTextEncoder(tmp_path)
