"""Weights in `<graph>.onnx.data` (the naming caption caches used before `<graph>.onnx_data`) keep working:
a user's cached split and draft are reused as they are, and a model folder with such files loads and counts them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tiny_captioner import random_images

from engines.caption.folder import find_caption_files
from engines.caption.onnx_engine import OnnxCaptioner
from engines.caption.types import CaptionOptions
from engines.onnx.data_files import LEGACY_DATA_SUFFIX, data_file

onnx = pytest.importorskip("onnx")
pytest.importorskip("torch")

OPTIONS = CaptionOptions(max_new_tokens=6)


def _to_legacy_naming(graph: Path) -> None:
    """Rewrite `graph` as the older code saved it: weights in `<graph>.onnx.data`."""
    model = onnx.load(str(graph))
    data_file(graph).unlink(missing_ok=True)
    onnx.save(model, str(graph), save_as_external_data=True, all_tensors_to_one_file=True,
              location=graph.name + LEGACY_DATA_SUFFIX, size_threshold=1024)


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_cached_split_and_draft_with_the_older_naming_are_reused(tiny_captioner: Path, candeia_home: Path) -> None:
    images = random_images(2)
    with OnnxCaptioner(tiny_captioner / "onnx", threads=1) as first:
        assert first.cross is not None and first.draft is not None
        want = first.caption_images(images, OPTIONS)
    cache = candeia_home / "cache"
    graphs = sorted((cache / "caption-split").glob("*/*.onnx")) + sorted((cache / "caption-draft").glob("*/*.onnx"))
    assert [g.name for g in graphs] == ["cross.onnx", "step.onnx", "draft.onnx"]
    for graph in graphs:
        _to_legacy_naming(graph)
    before = _files(cache)
    assert sum(name.endswith(".onnx.data") for name in before) == 3
    with OnnxCaptioner(tiny_captioner / "onnx", threads=1) as again:
        assert again.cross is not None and again.draft is not None
        assert again.caption_images(images, OPTIONS) == want
    assert _files(cache) == before  # not made again: the same files, untouched


def test_a_model_folder_with_the_older_naming_loads(tiny_captioner: Path, tmp_path: Path) -> None:
    folder = tmp_path / "onnx"
    shutil.copytree(tiny_captioner / "onnx", folder)
    images = random_images(2)
    with OnnxCaptioner(folder, threads=1, split=False) as plain:
        want = plain.caption_images(images, OPTIONS)
    size = find_caption_files(folder).size
    for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):
        _to_legacy_naming(folder / name)
    files = find_caption_files(folder)
    assert files.size > size // 2  # the weights outside the graphs are counted
    assert files.size == sum(p.stat().st_size for p in folder.glob("*.onnx*") if "decoder_model." not in p.name
                             and "decoder_with_past" not in p.name)
    for split in (False, True):
        with OnnxCaptioner(folder, threads=1, split=split) as model:
            assert model.caption_images(images, OPTIONS) == want
