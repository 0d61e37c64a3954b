"""The ONNX Runtime image pipeline on a tiny random Stable Diffusion: the same pixels as diffusers,
seeds, img2img, previews, cancel, and folders refused before any session loads."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engines.errors import InvalidModelFileError, UsageError
from engines.imagegen.onnx.folder import read_onnx_image_folder
from engines.imagegen.onnx.pipeline import OnnxImagePipeline
from engines.imagegen.onnx.schedule import make_schedule
from engines.imagegen.settings import ImageSettings
from engines.jobs import Cancelled, CancelToken

SIZE = 64
BASE = ImageSettings("a red cat on a cliff", "blurry", SIZE, SIZE, steps=4, guidance=1.0, sampler="euler")


@pytest.fixture(scope="module")
def pipeline(tiny_sd: tuple[Path, Path]) -> OnnxImagePipeline:
    return OnnxImagePipeline(read_onnx_image_folder(tiny_sd[1]), threads=1)


@pytest.fixture(scope="module")
def reference(tiny_sd: tuple[Path, Path]) -> Any:
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(str(tiny_sd[0]))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


@pytest.mark.parametrize("guidance", [1.0, 7.5])
@pytest.mark.parametrize("spacing", ["leading", "trailing"])
def test_same_pixels_as_diffusers(pipeline: OnnxImagePipeline, reference: Any, guidance: float,
                                  spacing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    from diffusers import EulerDiscreteScheduler

    reference.scheduler = EulerDiscreteScheduler.from_config(reference.scheduler.config, timestep_spacing=spacing)
    folder = replace(pipeline.folder, schedule=replace(pipeline.folder.schedule, spacing=spacing))
    monkeypatch.setattr(pipeline, "folder", folder)
    noise = np.random.default_rng(5).standard_normal((1, 4, SIZE // 8, SIZE // 8), dtype=np.float32)
    settings = replace(BASE, guidance=guidance)
    expected = reference(settings.prompt, negative_prompt=settings.negative_prompt, height=SIZE, width=SIZE,
                         num_inference_steps=settings.steps, guidance_scale=guidance,
                         latents=torch.from_numpy(noise), output_type="np").images[0]
    expected = (expected * 255).round().astype(np.uint8)
    got = pipeline.generate(settings, seed=0, noise=noise)
    assert got.shape == (SIZE, SIZE, 3) and expected.std() > 10  # varied pixels, not a flat image
    assert _mae(got, expected) < 1.0  # the bar: mean absolute error under 1/255


@pytest.mark.parametrize("name", ["EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler"])
@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_schedule_matches_diffusers(pipeline: OnnxImagePipeline, name: str, spacing: str) -> None:
    import diffusers

    config = replace(pipeline.folder.schedule, spacing=spacing)
    theirs = getattr(diffusers, name)(beta_start=config.beta_start, beta_end=config.beta_end,
                                      beta_schedule=config.beta_schedule, timestep_spacing=spacing,
                                      steps_offset=config.steps_offset)
    theirs.set_timesteps(7)
    ours = make_schedule(config, 7)
    np.testing.assert_allclose(ours.timesteps, theirs.timesteps.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.sigmas, theirs.sigmas.numpy(), rtol=1e-5)
    assert ours.init_sigma == pytest.approx(float(theirs.init_noise_sigma), rel=1e-5)


def test_a_seed_reproduces_its_image(pipeline: OnnxImagePipeline) -> None:
    settings = replace(BASE, sampler="euler_a", guidance=5.0)
    first = pipeline.generate(settings, seed=42)
    assert np.array_equal(first, pipeline.generate(settings, seed=42))
    assert _mae(first, pipeline.generate(settings, seed=43)) > 1.0


def test_img2img_changes_less_at_low_strength(pipeline: OnnxImagePipeline) -> None:
    init = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    steps: list[int] = []
    low = pipeline.generate(replace(BASE, steps=10, strength=0.2), seed=1, init=init,
                            on_step=lambda step, total, _: steps.append(total))
    high = pipeline.generate(replace(BASE, steps=10, strength=0.9), seed=1, init=init)
    assert steps == [2, 2]  # strength x steps steps, from part way down the schedule
    assert _mae(low, init) < _mae(high, init)


def test_each_step_reports_a_preview(pipeline: OnnxImagePipeline) -> None:
    from PIL import Image

    seen: list[tuple[int, int, bytes | None]] = []
    pipeline.generate(BASE, seed=3, on_step=lambda step, total, png: seen.append((step, total, png)))
    assert [(s, t) for s, t, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    png = seen[-1][2]
    assert png is not None
    with Image.open(io.BytesIO(png)) as preview:
        assert preview.size == (SIZE // 8, SIZE // 8)


def test_cancel_stops_within_one_step(pipeline: OnnxImagePipeline) -> None:
    token, steps = CancelToken(), []

    def on_step(step: int, total: int, _: bytes | None) -> None:
        steps.append(step)
        if step == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        pipeline.generate(replace(BASE, steps=8), seed=0, cancel=token, on_step=on_step)
    assert steps == [1, 2]
    assert pipeline.generate(replace(BASE, steps=1), seed=0).shape == (SIZE, SIZE, 3)  # still usable


def test_other_samplers_are_refused_in_one_sentence(pipeline: OnnxImagePipeline) -> None:
    with pytest.raises(UsageError, match="euler_a and euler"):
        pipeline.generate(replace(BASE, sampler="dpm++2m"), seed=0)


def _copy(tiny_sd: tuple[Path, Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_sd[1], tmp_path / "model"))


def test_missing_part_is_refused(tiny_sd: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(tiny_sd, tmp_path)
    (folder / "vae_decoder" / "model.onnx").unlink()
    with pytest.raises(InvalidModelFileError, match=r"vae_decoder/model.onnx is missing"):
        read_onnx_image_folder(folder)


def test_damaged_graph_is_refused(tiny_sd: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(tiny_sd, tmp_path)
    (folder / "unet" / "model.onnx").write_bytes(b"\x08\x07not a protobuf at all" * 50)
    with pytest.raises(InvalidModelFileError, match="not a readable ONNX graph") as caught:
        read_onnx_image_folder(folder)
    assert "\n" not in str(caught.value)


def test_wrong_graph_is_refused(tiny_sd: tuple[Path, Path], tmp_path: Path) -> None:
    folder = _copy(tiny_sd, tmp_path)
    shutil.copy(folder / "vae_decoder" / "model.onnx", folder / "unet" / "model.onnx")
    with pytest.raises(InvalidModelFileError, match="no input 'sample'"):
        read_onnx_image_folder(folder)


def test_truncated_external_weights_are_refused(tiny_sd: tuple[Path, Path], tmp_path: Path) -> None:
    import onnx

    folder = _copy(tiny_sd, tmp_path)
    graph = folder / "unet" / "model.onnx"
    onnx.save(onnx.load(str(graph)), str(graph), save_as_external_data=True, location="model.onnx_data",
              size_threshold=0)
    assert read_onnx_image_folder(folder).weight_bytes > 0
    data = folder / "unet" / "model.onnx_data"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(InvalidModelFileError, match="truncated"):
        read_onnx_image_folder(folder)
