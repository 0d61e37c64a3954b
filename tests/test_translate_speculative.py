"""Translation's speculative greedy decoding: the folder's int8 decoder drafts, fp32 verifies; same ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from tiny_seq2seq import build_marian, cached, quantize_folder

from engines.translate.engine import DecodeOptions, Seq2SeqEngine

pytestmark = pytest.mark.timeout(600)  # builds and exports models: slow on a busy machine

TEXTS = ["Hello world, this is a test.", "Good morning.", "Where is the station and how is the weather today?",
         "Numbers like 12 and 345 appear too.", "Ships sail over the sea while birds fly over land."]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny Marian's checkpoint and a folder with its fp32 and int8 graphs side by side."""
    ckpt, folder = cached(tmp_path_factory.getbasetemp(), "marian", build_marian)
    return ckpt, quantize_folder(folder, tmp_path_factory.mktemp("marian-both") / "model")


def _reference(ckpt: Path, texts: list[str], **kwargs: Any) -> list[list[int]]:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(ckpt), AutoModelForSeq2SeqLM.from_pretrained(ckpt).eval()
    with torch.no_grad():
        out = model.generate(**tok(texts, return_tensors="pt", padding=True), **kwargs).tolist()
    return [row[1:row.index(0) + 1] if 0 in row[1:] else row[1:] for row in out]  # eos is 0


def test_fp32_with_an_int8_decoder_beside_decodes_speculatively(both: tuple[Path, Path]) -> None:
    ckpt, folder = both
    engine = Seq2SeqEngine(folder, threads=1)
    assert not engine.files.quantized and engine.model.draft is not None
    plain = Seq2SeqEngine(folder, threads=1, draft=False)
    assert plain.model.draft is None
    for new in (1, 3, 24):  # the limit at once, inside a round, after several
        options = DecodeOptions(num_beams=1, max_new_tokens=new)
        expected = _reference(ckpt, TEXTS[:4], num_beams=1, max_new_tokens=new)
        inputs = [engine.encode(t, None, None) for t in TEXTS[:4]]
        assert engine.generate_ids(inputs, engine.settings_for(None, options)) == expected
        assert plain.generate_ids(inputs, plain.settings_for(None, options)) == expected
        single = [engine.generate_ids([ids], engine.settings_for(None, options))[0] for ids in inputs]
        assert single == expected
    assert engine.model.draft_stats.verifies > 0 and engine.model.draft_stats.accepted > 0
    assert len({len(r) for r in expected}) > 1, "some translations should end before the limit"


def test_large_batches_beams_and_int8_models_decode_plainly(both: tuple[Path, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    ckpt, folder = both
    engine = Seq2SeqEngine(folder, threads=1)
    inputs = [engine.encode(t, None, None) for t in TEXTS]
    assert len(inputs) > engine.DRAFT_MAX_BATCH
    for beams in (1, 2):
        settings = engine.settings_for(None, DecodeOptions(num_beams=beams, max_new_tokens=12))
        assert engine.generate_ids(inputs, settings) == _reference(ckpt, TEXTS, num_beams=beams, max_new_tokens=12)
    assert engine.model.draft_stats.verifies == 0
    assert Seq2SeqEngine(folder, threads=1, variant="int8").model.draft is None
    monkeypatch.setenv("CANDEIA_TRANSLATE_DRAFT", "0")
    assert Seq2SeqEngine(folder, threads=1).model.draft is None
