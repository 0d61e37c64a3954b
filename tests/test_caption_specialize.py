"""The step graph: shape arithmetic folded away, same outputs for one token or several, a safe fallback."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from caption_checks import assert_quantized_split_agrees, top_ops

from engines.caption import specialize
from engines.caption.split import split_decoder

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")


def _split(tiny_captioner: Path, target: Path) -> Path:
    assert split_decoder(tiny_captioner / "onnx" / "decoder_model_merged.onnx", target)
    return target


def _step_outputs(step: Path, cross: Path, batch: int, past: int, enc: int, tokens: int = 1) -> list[Any]:
    import onnxruntime as ort

    rng = np.random.default_rng(batch * 100 + past)
    hidden = rng.standard_normal((batch, enc, 32)).astype(np.float32)
    cross_session = ort.InferenceSession(str(cross))
    feeds = dict(zip([o.name for o in cross_session.get_outputs()],
                     cross_session.run(None, {"encoder_hidden_states": hidden}), strict=True))
    session = ort.InferenceSession(str(step))
    for value in session.get_inputs():
        if value.name == "input_ids":
            feeds[value.name] = rng.integers(0, 50, (batch, tokens), dtype=np.int64)
        elif value.name.startswith("past_key_values."):
            feeds[value.name] = rng.standard_normal((batch, 4, past, 8)).astype(np.float32)
    return list(session.run(None, feeds))


def test_step_graph_loses_its_shape_arithmetic(tiny_captioner: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    special = _split(tiny_captioner, tmp_path / "special")
    monkeypatch.setattr(specialize, "specialize_step", lambda *a, **k: 0)
    monkeypatch.setattr("engines.caption.split.specialize_step", lambda *a, **k: 0)
    plain = _split(tiny_captioner, tmp_path / "plain")
    before, after = top_ops(plain / "step.onnx"), top_ops(special / "step.onnx")
    assert len(after) < len(before) // 2
    assert after.count("Shape") < before.count("Shape") // 3
    assert sorted(op for op in after if op in ("Gemm", "MatMul", "Softmax", "LayerNormalization")) == sorted(
        op for op in before if op in ("Gemm", "MatMul", "Softmax", "LayerNormalization"))
    inputs = {i.name: i for i in onnx.load(str(special / "step.onnx"), load_external_data=False).graph.input}
    assert inputs["input_ids"].type.tensor_type.shape.dim[1].dim_value != 1  # several tokens per run too
    # batch, past, encoder lengths and token counts the probes never saw, the first step (empty past) included
    for batch, past, enc, tokens in ((1, 0, 4, 1), (5, 9, 11, 1), (4, 2, 1, 1), (2, 0, 3, 6), (3, 7, 5, 2)):
        want = _step_outputs(plain / "step.onnx", plain / "cross.onnx", batch, past, enc, tokens)
        got = _step_outputs(special / "step.onnx", special / "cross.onnx", batch, past, enc, tokens)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_a_specialization_that_changes_results_is_not_kept(tiny_captioner: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    real = specialize._constant

    def wrong(values: list[Any]) -> Any:  # fold the scale of attention to a wrong value
        value = real(values)
        return value * 2 if value is not None and value.dtype == np.float32 else value

    monkeypatch.setattr(specialize, "_constant", wrong)
    target = tmp_path / "split"
    original = tmp_path / "original"
    shutil.copytree(tiny_captioner / "onnx", original)
    with caplog.at_level(logging.WARNING):
        assert split_decoder(original / "decoder_model_merged.onnx", target)
    assert "using it unspecialized" in caplog.text
    assert "Shape" in top_ops(target / "step.onnx")
    assert not list(target.glob(".*")), "probe files are cleaned up"


def test_specialized_int8_step_matches_its_original(tiny_captioner: Path, tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = tmp_path / "q"
    shutil.copytree(tiny_captioner / "onnx", folder)
    quantize_dynamic(folder / "decoder_model_merged.onnx", folder / "decoder_model_merged_quantized.onnx",
                     weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                     extra_options={"EnableSubgraph": True})
    shutil.copy(folder / "encoder_model.onnx", folder / "encoder_model_quantized.onnx")
    assert_quantized_split_agrees(folder, images=3, seed=1, max_new_tokens=8)


def test_attention_scale_moves_from_the_keys_to_the_query(tiny_captioner: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    merged = _split(tiny_captioner, tmp_path / "merged")
    monkeypatch.setattr("engines.caption.split.merge_scales_file", lambda *a, **k: 0)
    kept = _split(tiny_captioner, tmp_path / "kept")
    layers = 2
    step_muls = top_ops(kept / "step.onnx").count("Mul") + top_ops(kept / "cross.onnx").count("Mul")
    merged_muls = top_ops(merged / "step.onnx").count("Mul") + top_ops(merged / "cross.onnx").count("Mul")
    assert merged_muls == step_muls - 2 * layers
    for batch, past, enc in ((1, 0, 3), (2, 5, 7)):
        want = _step_outputs(kept / "step.onnx", kept / "cross.onnx", batch, past, enc)
        got = _step_outputs(merged / "step.onnx", merged / "cross.onnx", batch, past, enc)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_key_scaling_moves_to_the_once_per_image_graph(tiny_captioner: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engines.caption.split.merge_scales_file", lambda *a, **k: 0)  # leave the keys' multiply
    recut = _split(tiny_captioner, tmp_path / "recut")
    monkeypatch.setattr("engines.caption.split.move_encoder_only_nodes", lambda *a, **k: 0)
    kept = _split(tiny_captioner, tmp_path / "kept")
    layers = 2
    assert top_ops(recut / "step.onnx").count("Mul") == top_ops(kept / "step.onnx").count("Mul") - layers
    assert top_ops(recut / "cross.onnx").count("Mul") == top_ops(kept / "cross.onnx").count("Mul") + layers
    cross_out = {o.name for o in onnx.load(str(recut / "cross.onnx"), load_external_data=False).graph.output}
    step_in = {i.name for i in onnx.load(str(recut / "step.onnx"), load_external_data=False).graph.input}
    assert cross_out <= step_in
    for batch, past, enc in ((1, 0, 3), (2, 5, 7)):
        want = _step_outputs(kept / "step.onnx", kept / "cross.onnx", batch, past, enc)
        got = _step_outputs(recut / "step.onnx", recut / "cross.onnx", batch, past, enc)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
