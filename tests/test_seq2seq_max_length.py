"""transformers' library-default max_length (20) means 20 *new* tokens: both tasks stop where
`generate()` stops, token for token, with the default in a file, absent, or passed by the caller."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny_captioner import load_reference, random_images

from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions

torch = pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")
pytestmark = pytest.mark.timeout(600)  # builds and exports models: slow on a busy machine


def _caption_reference(reference: Any, pixels: np.ndarray, **kw: Any) -> list[list[int]]:
    with torch.no_grad():
        out = reference.generate(torch.from_numpy(pixels), do_sample=False, **kw)
    return [list(map(int, row)) for row in out.tolist()]


@pytest.mark.parametrize("beams", [1, 2])
def test_captioning_default_max_length_generates_twenty_tokens(tiny_captioner: Path, tmp_path: Path,
                                                               beams: int) -> None:
    reference = load_reference(tiny_captioner)
    gen = json.loads((tiny_captioner / "onnx" / "generation_config.json").read_text())
    assert "max_length" not in gen and "max_new_tokens" not in gen, "the test model must use the library default"
    model = OnnxCaptioner(tiny_captioner / "onnx", threads=1)
    pixels = model.pixel_values(random_images(6, seed=31))
    ours = model.generate(pixels, model.settings_for(CaptionOptions(num_beams=beams)))
    theirs = _caption_reference(reference, pixels, num_beams=beams)
    assert ours == theirs
    assert max(len(row) for row in ours) == 21, "some caption should run to the limit: start token + 20"
    # the same default written in generation_config.json is still the default
    folder = tmp_path / "explicit"
    shutil.copytree(tiny_captioner / "onnx", folder)
    (folder / "generation_config.json").write_text(json.dumps({**gen, "max_length": 20}))
    explicit = OnnxCaptioner(folder, threads=1, draft=False)
    assert explicit.generate(pixels, explicit.settings_for(CaptionOptions(num_beams=beams))) == theirs


def test_translation_default_and_caller_max_length(tmp_path: Path) -> None:
    from tiny_seq2seq import build_marian
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from engines.translate.engine import DecodeOptions, Seq2SeqEngine

    # no end-of-sentence bias and weak weights: long outputs, so the limit decides where most rows end
    ckpt, folder = build_marian(tmp_path, eos_bias=-2.0, generation={"max_length": 20, "num_beams": 1})
    tok = AutoTokenizer.from_pretrained(ckpt)
    reference = AutoModelForSeq2SeqLM.from_pretrained(ckpt).eval()
    texts = ["Hello world, this is a test.", "Good morning.", "Where is the station?"]
    enc = tok(texts, return_tensors="pt", padding=True)
    engine = Seq2SeqEngine(folder)
    inputs = [engine.encode(t, None, None) for t in texts]
    for options, kwargs, longest in ((DecodeOptions(), {}, 20), (DecodeOptions(max_length=20), {"max_length": 20}, 19),
                                     (DecodeOptions(num_beams=2), {"num_beams": 2}, 20)):
        with torch.no_grad():
            out = reference.generate(**enc, **kwargs).tolist()
        ours = engine.generate_ids(inputs, engine.settings_for(None, options))
        assert ours == [_until_eos(row[1:], reference.generation_config.eos_token_id) for row in out]
        assert max(len(ids) for ids in ours) == longest


def _until_eos(row: list[int], eos: int) -> list[int]:
    return row[:row.index(eos) + 1] if eos in row else row
