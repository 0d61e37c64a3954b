"""`candeia-cli embed` on an ONNX encoder and on a GGUF model (llama.cpp in an engine host)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engines.cli.main import main
from engines.encoders.onnx_encoder import OnnxTextEncoder
from engines.host.embed import HostedEmbedder


def test_embed_json_matches_the_core(encoder_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = ["Good morning", "Onde fica a estação?"]
    assert main(["embed", "-m", str(encoder_folder), *texts, "--json", "--threads", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dimensions"] == 32 and len(out["vectors"]) == 2
    expected = OnnxTextEncoder(encoder_folder, threads=1).embed(texts)
    assert np.allclose(np.asarray(out["vectors"]), expected, atol=1e-5)


def test_embed_plain_prints_one_line_per_text(encoder_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", "-m", str(encoder_folder), "one", "two", "three"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(len(line.split()) == 32 for line in lines)


def test_embed_unknown_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", "-m", str(tmp_path / "nope"), "hi"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("candeia-cli: error:") and "\n" not in err


def test_gguf_embeddings_in_an_engine_host(tiny_gguf: Path) -> None:
    embedder = HostedEmbedder(tiny_gguf, threads=1)
    try:
        vectors = embedder.embed(["the quick brown fox", "a cup of coffee", "the quick brown fox"], batch_size=2)
        assert vectors.shape == (3, embedder.dimensions) and embedder.dimensions == 64
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert np.allclose(vectors[0], vectors[2], atol=1e-5)  # deterministic
        assert not np.allclose(vectors[0], vectors[1], atol=1e-3)
    finally:
        embedder.close()


def test_embed_cli_on_gguf(tiny_gguf: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["embed", "-m", str(tiny_gguf), "hello there", "--json", "--threads", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dimensions"] == 64 and len(out["vectors"][0]) == 64
