"""The captioning int8 recipe: MatMulNBits for the decoder step, dynamic int8 for cross-attention and encoder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from caption_checks import all_ops, assert_quantized_split_agrees

from engines.convert.checkpoint import quantize_int8

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def nbits_folder(tiny_captioner: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("nbits") / "onnx"
    shutil.copytree(tiny_captioner / "onnx", folder)
    quantize_int8(folder, decoder_nbits=True)
    return folder


def test_recipe_covers_every_weight(nbits_folder: Path, tiny_captioner: Path) -> None:
    decoder = all_ops(nbits_folder / "decoder_model_merged_quantized.onnx")
    plain = all_ops(tiny_captioner / "onnx" / "decoder_model_merged.onnx")
    layers, branches = 2, 2
    assert decoder.count("MatMulInteger") == layers * branches  # cross-attention key/value projections
    weights = plain.count("Gemm") + plain.count("MatMul") - decoder.count("MatMul")
    assert decoder.count("MatMulNBits") + decoder.count("MatMulInteger") == weights
    assert "Gemm" not in decoder
    encoder = all_ops(nbits_folder / "encoder_model_quantized.onnx")
    assert "MatMulInteger" in encoder and "MatMulNBits" not in encoder


def test_nbits_decoder_is_split_specialized_and_agrees(nbits_folder: Path) -> None:
    assert_quantized_split_agrees(nbits_folder, images=4, seed=3, max_new_tokens=10)


def test_without_the_block_quantizer_decoders_get_dynamic_int8(tiny_captioner: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """An older ONNX Runtime lacks the private 8-bit packer: conversion still works, with the old recipe."""
    import engines.onnx.nbits

    folder = tmp_path / "onnx"
    shutil.copytree(tiny_captioner / "onnx", folder)
    monkeypatch.setattr(engines.onnx.nbits, "nbits_available", lambda: False)
    quantize_int8(folder, decoder_nbits=True)
    decoder = all_ops(folder / "decoder_model_merged_quantized.onnx")
    assert "MatMulNBits" not in decoder and "MatMulInteger" in decoder
