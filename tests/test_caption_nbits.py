"""The captioning int8 recipe: MatMulNBits for the decoder step, dynamic int8 for cross-attention and encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.convert.checkpoint import quantize_int8

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")


def _all_ops(path: Path) -> list[str]:
    """Op types of every node, those in If branches too."""
    from engines.onnx.graph import all_graphs

    return [n.op_type for g in all_graphs(onnx.load(str(path), load_external_data=False).graph) for n in g.node]


def _ops(path: Path) -> list[str]:
    from engines.onnx.graph import all_graphs

    model = onnx.load(str(path), load_external_data=False)
    return [n.op_type for g in all_graphs(model.graph) for n in g.node]


@pytest.fixture(scope="module")
def nbits_folder(tiny_captioner: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nbits") / "onnx"
    shutil.copytree(tiny_captioner / "onnx", folder)
    quantize_int8(folder, decoder_nbits=True)
    return folder


def test_recipe_covers_every_weight(nbits_folder: Path, tiny_captioner: Path) -> None:
    decoder = _ops(nbits_folder / "decoder_model_merged_quantized.onnx")
    plain = _ops(tiny_captioner / "onnx" / "decoder_model_merged.onnx")
    layers, branches = 2, 2
    assert decoder.count("MatMulInteger") == layers * branches  # cross-attention key/value projections
    weights = plain.count("Gemm") + plain.count("MatMul") - decoder.count("MatMul")
    assert decoder.count("MatMulNBits") + decoder.count("MatMulInteger") == weights
    assert "Gemm" not in decoder
    encoder = _ops(nbits_folder / "encoder_model_quantized.onnx")
    assert "MatMulInteger" in encoder and "MatMulNBits" not in encoder


def test_nbits_decoder_is_split_specialized_and_agrees(nbits_folder: Path) -> None:
    model = OnnxCaptioner(nbits_folder, threads=1, variant="quantized")
    assert model.cross is not None
    assert model.step_file is not None and model.draft is None  # already quantized: no draft
    assert _ops(model.step_file).count("Shape") < _all_ops(nbits_folder / "decoder_model_merged_quantized.onnx").count(
        "Shape") // 4  # specialized
    plain = OnnxCaptioner(nbits_folder, threads=1, variant="quantized", split=False)
    rng = np.random.default_rng(3)
    images = [Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)) for _ in range(4)]
    pixels = model.pixel_values(images)
    for beams in (1, 2):
        settings = model.settings_for(CaptionOptions(max_new_tokens=10, num_beams=beams))
        assert model.generate(pixels, settings) == plain.generate(pixels, settings)



def test_without_the_block_quantizer_decoders_get_dynamic_int8(tiny_captioner: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """An older ONNX Runtime lacks the private 8-bit packer: conversion still works, with the old recipe."""
    import engines.onnx.nbits

    folder = tmp_path / "onnx"
    shutil.copytree(tiny_captioner / "onnx", folder)
    monkeypatch.setattr(engines.onnx.nbits, "nbits_available", lambda: False)
    quantize_int8(folder, decoder_nbits=True)
    decoder = _ops(folder / "decoder_model_merged_quantized.onnx")
    assert "MatMulNBits" not in decoder and "MatMulInteger" in decoder
