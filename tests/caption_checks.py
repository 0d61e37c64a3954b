"""Checks the caption graph-pass tests share: op counts of a graph file, and a split, specialized
quantized captioner agreeing with the same folder run unsplit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.onnx.graph import all_graphs


def all_ops(path: Path) -> list[str]:
    """Op types of every node, those in If branches too."""
    return [n.op_type for g in all_graphs(onnx.load(str(path), load_external_data=False).graph) for n in g.node]


def top_ops(path: Path) -> list[str]:
    """Op types of the main graph's nodes only."""
    return [n.op_type for n in onnx.load(str(path), load_external_data=False).graph.node]


def assert_quantized_split_agrees(folder: Path, *, images: int, seed: int, max_new_tokens: int) -> None:
    """An already-quantized folder is split and specialized (no draft), and its captions equal the
    unsplit decoder's, greedy and with beams."""
    model = OnnxCaptioner(folder, threads=1, variant="quantized")
    assert model.cross is not None
    assert model.step_file is not None and model.draft is None  # already quantized: no draft
    shapes = all_ops(model.step_file).count("Shape")
    assert shapes < all_ops(folder / "decoder_model_merged_quantized.onnx").count("Shape") // 4  # specialized
    plain = OnnxCaptioner(folder, threads=1, variant="quantized", split=False)
    rng = np.random.default_rng(seed)
    pictures = [Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)) for _ in range(images)]
    pixels = model.pixel_values(pictures)
    for beams in (1, 2):
        settings = model.settings_for(CaptionOptions(max_new_tokens=max_new_tokens, num_beams=beams))
        assert model.generate(pixels, settings) == plain.generate(pixels, settings)
