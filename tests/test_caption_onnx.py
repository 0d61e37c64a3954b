"""The ONNX captioner against transformers on the same random weights: token ids, text, folder checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tiny_captioner import random_images

from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.errors import GenerationError, InvalidModelFileError
from engines.jobs import Cancelled, CancelToken
from engines.onnx.session import make_session

torch = pytest.importorskip("torch")


_images = random_images


@pytest.fixture(scope="module")
def processor(tiny_captioner: Path) -> Any:
    from transformers import ViTImageProcessor

    return ViTImageProcessor.from_pretrained(tiny_captioner / "hf")


@pytest.fixture(scope="module")
def captioner(tiny_captioner: Path) -> OnnxCaptioner:
    return OnnxCaptioner(tiny_captioner / "onnx", threads=1)


@pytest.fixture(scope="module")
def split_folder(tiny_captioner: Path) -> Path:
    from tiny_captioner import export_onnx

    return export_onnx(tiny_captioner / "hf", tiny_captioner / "split", merged=False)


def _generate(model: Any, pixels: np.ndarray, **kw: Any) -> list[list[int]]:
    with torch.no_grad():
        out = model.generate(torch.from_numpy(pixels), do_sample=False, **kw)
    return [list(map(int, row)) for row in out.tolist()]


def test_folder_has_what_the_test_needs(captioner: OnnxCaptioner) -> None:
    assert captioner.files.decoder_merged is not None
    assert captioner.cross is not None, "the decoder should be split so cross-attention runs once per image"
    assert len(captioner.past_names) == 4 and len(captioner.cross_names) >= 4


def test_sessions_stop_spinning_when_their_run_ends(tiny_captioner: Path, captioner: OnnxCaptioner) -> None:
    """Each session has its own pool; an idle pool spinning on would take the cores from the next one."""
    merged = OnnxCaptioner(tiny_captioner / "onnx", threads=1, split=False)
    for session in (captioner.encoder, captioner.cross, captioner.rest, merged.encoder, merged.rest):
        assert session.get_session_options().get_session_config_entry("session.force_spinning_stop") == "1"
    default = make_session(captioner.files.encoder, threads=1)  # the option is off unless asked for
    with pytest.raises(RuntimeError):
        default.get_session_options().get_session_config_entry("session.force_spinning_stop")


def test_unsplit_decoders_give_the_same_ids(tiny_captioner: Path, captioner: OnnxCaptioner, split_folder: Path,
                                            reference: Any) -> None:
    merged = OnnxCaptioner(tiny_captioner / "onnx", threads=1, split=False)
    assert merged.cross is None and merged.uses_cache_branch
    pixels = captioner.pixel_values(_images(4, seed=8))
    for beams in (1, 3):
        settings = captioner.settings_for(CaptionOptions(num_beams=beams, max_new_tokens=10))
        expected = _generate(reference, pixels, num_beams=beams, max_new_tokens=10)
        assert merged.generate(pixels, settings) == expected
        assert captioner.generate(pixels, settings) == expected


def test_split_is_cached_and_int8_models_split_too(tiny_captioner: Path, tmp_path: Path,
                                                   candeia_home: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = tmp_path / "q"
    shutil.copytree(tiny_captioner / "onnx", folder)
    for name in ("encoder_model", "decoder_model_merged"):
        quantize_dynamic(folder / f"{name}.onnx", folder / f"{name}_quantized.onnx", weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], extra_options={"EnableSubgraph": True})
    split = OnnxCaptioner(folder, threads=1, variant="quantized")
    plain = OnnxCaptioner(folder, threads=1, variant="quantized", split=False)
    assert split.cross is not None and split.files.encoder.name == "encoder_model_quantized.onnx"
    cached = sorted(p.name for p in (candeia_home / "cache" / "caption-split").rglob("*.onnx"))
    assert cached == ["cross.onnx", "step.onnx"]
    pixels = split.pixel_values(_images(3, seed=9))
    settings = split.settings_for(CaptionOptions(num_beams=2, max_new_tokens=8))
    assert split.generate(pixels, settings) == plain.generate(pixels, settings)
    again = OnnxCaptioner(folder, threads=1, variant="quantized")
    assert again.cross is not None
    assert len(list((candeia_home / "cache" / "caption-split").iterdir())) == 1  # reused, not split again


@pytest.mark.parametrize("beams", [1, 3])
def test_token_ids_equal_transformers_generate(captioner: OnnxCaptioner, reference: Any, processor: Any,
                                               beams: int) -> None:
    images = _images(6)
    pixels = captioner.pixel_values(images)
    np.testing.assert_allclose(pixels, processor(images, return_tensors="np")["pixel_values"], atol=1e-6, rtol=0)
    settings = captioner.settings_for(CaptionOptions(num_beams=beams, max_new_tokens=12))
    ours = captioner.generate(pixels, settings)
    theirs = _generate(reference, pixels, num_beams=beams, max_new_tokens=12)
    assert ours == theirs
    lengths = {sum(t != 0 for t in row[1:]) for row in ours}
    assert len(lengths) > 1, "the test model should end some captions early and run others to the limit"
    assert len({tuple(r) for r in ours}) > 2, "captions should differ between images"


def test_single_image_and_long_beam_match(captioner: OnnxCaptioner, reference: Any) -> None:
    pixels = captioner.pixel_values(_images(2, seed=5))
    for beams, new in ((1, 30), (4, 20)):
        settings = captioner.settings_for(CaptionOptions(num_beams=beams, max_new_tokens=new))
        assert captioner.generate(pixels[:1], settings) == _generate(reference, pixels[:1], num_beams=beams,
                                                                     max_new_tokens=new)
        assert captioner.generate(pixels, settings) == _generate(reference, pixels, num_beams=beams,
                                                                 max_new_tokens=new)


def test_split_decoders_give_the_same_ids(split_folder: Path, captioner: OnnxCaptioner) -> None:
    split = OnnxCaptioner(split_folder, threads=1)
    assert split.files.decoder_merged is None and split.files.decoder_with_past is not None
    pixels = captioner.pixel_values(_images(4, seed=2))
    for beams in (1, 2):
        settings = captioner.settings_for(CaptionOptions(num_beams=beams, max_new_tokens=10))
        assert split.generate(pixels, settings) == captioner.generate(pixels, settings)


def test_captions_equal_transformers_decoding(captioner: OnnxCaptioner, reference: Any, tiny_captioner: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_captioner / "hf")
    images = _images(5, seed=3)
    captions = captioner.caption_images(images, CaptionOptions(max_new_tokens=8))
    ids = _generate(reference, captioner.pixel_values(images), max_new_tokens=8)
    assert captions == [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
    assert any(captions)


def test_generation_config_defaults_are_used(tiny_captioner: Path, reference: Any, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_captioner / "onnx", folder)
    gen = json.loads((folder / "generation_config.json").read_text())
    gen.update(num_beams=3, max_length=9, no_repeat_ngram_size=2, length_penalty=0.5)
    (folder / "generation_config.json").write_text(json.dumps(gen))
    model = OnnxCaptioner(folder, threads=1)
    pixels = model.pixel_values(_images(3, seed=4))
    ours = model.generate(pixels, model.settings_for(CaptionOptions()))
    theirs = _generate(reference, pixels, num_beams=3, max_length=9, no_repeat_ngram_size=2, length_penalty=0.5)
    assert ours == theirs
    greedy = model.generate(pixels, model.settings_for(CaptionOptions(num_beams=1)))
    assert greedy == _generate(reference, pixels, num_beams=1, max_length=9, no_repeat_ngram_size=2)


def test_cancel_stops_generation(captioner: OnnxCaptioner) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        captioner.caption_images(_images(1), CaptionOptions(), cancel)
    with pytest.raises(GenerationError, match="cannot answer questions"):
        captioner.caption_images(_images(1), CaptionOptions(prompt="what is it?"))


def _broken_copy(src: Path, dst: Path, change: str) -> Path:
    shutil.copytree(src, dst)
    if change == "no encoder":
        (dst / "encoder_model.onnx").unlink()
    elif change == "no tokenizer":
        (dst / "tokenizer.json").unlink()
    elif change == "not a captioner":
        cfg = json.loads((dst / "config.json").read_text())
        cfg["model_type"] = "marian"
        (dst / "config.json").write_text(json.dumps(cfg))
    elif change == "no decoder":
        (dst / "decoder_model_merged.onnx").unlink()
    elif change == "corrupt decoder":
        (dst / "decoder_model_merged.onnx").write_bytes(b"\x08" + b"\xff" * 100)
    elif change == "bad preprocessor":
        (dst / "preprocessor_config.json").write_text("{not json")
    elif change == "bad config":
        (dst / "config.json").write_text("[1, 2]")
    return dst


@pytest.mark.parametrize(("change", "words"), [
    ("no encoder", "encoder_model.onnx"),
    ("no tokenizer", "tokenizer.json"),
    ("not a captioner", "not a vision-encoder-decoder"),
    ("no decoder", "decoder_model_merged.onnx"),
    ("corrupt decoder", "ONNX Runtime cannot load it"),
    ("bad preprocessor", "not valid JSON"),
    ("bad config", "JSON object"),
])
def test_bad_folders_give_clear_errors(tiny_captioner: Path, tmp_path: Path, change: str, words: str) -> None:
    folder = _broken_copy(tiny_captioner / "onnx", tmp_path / "m", change)
    with pytest.raises(InvalidModelFileError) as info:
        OnnxCaptioner(folder, threads=1)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_onnx_subfolder_layout_and_decoder_without_past(tiny_captioner: Path, split_folder: Path,
                                                        tmp_path: Path) -> None:
    root = tmp_path / "hub-layout"
    root.mkdir()
    for name in ("config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                 "tokenizer_config.json"):
        shutil.copy(tiny_captioner / "onnx" / name, root / name)
    (root / "onnx").mkdir()
    for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):
        shutil.copy(tiny_captioner / "onnx" / name, root / "onnx" / name)
    model = OnnxCaptioner(root, threads=1)
    assert model.caption_images(_images(1), CaptionOptions(max_new_tokens=4)) is not None
    no_past = tmp_path / "no-past"
    shutil.copytree(split_folder, no_past)
    (no_past / "decoder_with_past_model.onnx").unlink()
    with pytest.raises(InvalidModelFileError, match="without its key/value cache"):
        OnnxCaptioner(no_past, threads=1)
