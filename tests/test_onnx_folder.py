"""Which graphs of an optimum-exported encoder-decoder folder are used (engines/onnx/folder.py)."""

from __future__ import annotations

from pathlib import Path

from engines.onnx.folder import EncoderDecoderGraphs, find_graphs, graph_folder


def touch(folder: Path, *stems: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        (folder / f"{stem}.onnx").write_bytes(b"")


def test_the_merged_decoder_is_preferred(tmp_path: Path) -> None:
    touch(tmp_path, "encoder_model", "decoder_model_merged", "decoder_model", "decoder_with_past_model")
    assert find_graphs(tmp_path, "") == EncoderDecoderGraphs(
        encoder=tmp_path / "encoder_model.onnx", decoder_merged=tmp_path / "decoder_model_merged.onnx",
        decoder=None, decoder_with_past=None)


def test_a_decoder_pair_with_the_variant_suffix(tmp_path: Path) -> None:
    touch(tmp_path / "onnx", "encoder_model_quantized", "decoder_model_quantized",
          "decoder_with_past_model_quantized", "decoder_model_merged")  # the merged one is not quantized
    folder = graph_folder(tmp_path, ["_quantized"])
    assert folder == tmp_path / "onnx"
    assert find_graphs(folder, "_quantized") == EncoderDecoderGraphs(
        encoder=folder / "encoder_model_quantized.onnx", decoder_merged=None,
        decoder=folder / "decoder_model_quantized.onnx",
        decoder_with_past=folder / "decoder_with_past_model_quantized.onnx")


def test_an_incomplete_set_is_none(tmp_path: Path) -> None:
    touch(tmp_path, "encoder_model", "decoder_model")  # no decoder_with_past_model, no merged decoder
    assert find_graphs(tmp_path, "") is None
    assert find_graphs(tmp_path, "_int8") is None
    assert graph_folder(tmp_path, ["_int8"]) is None
