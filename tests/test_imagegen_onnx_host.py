"""An ONNX image folder through the app's path: the image host (no stable-diffusion.cpp needed),
`candeia-cli imagine`, progress with previews over a batch, the PNG parameters, cancel that keeps the
host loaded, and kill -9 of the host."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engines.cli.main import main
from engines.errors import EngineCrashedError, UsageError
from engines.imagegen.hosted import HostedImageEngine
from engines.imagegen.onnx.folder import read_onnx_image_folder
from engines.imagegen.onnx.pipeline import OnnxImagePipeline
from engines.imagegen.png_params import read_parameters
from engines.imagegen.settings import ImageSettings
from engines.imagegen.weights import read_image_model
from engines.jobs import Cancelled, CancelToken

SMALL = ImageSettings("a red cat on a cliff", "blurry", 64, 64, steps=2, guidance=5.0, sampler="euler_a", seed=7)


@pytest.fixture
def engine(tiny_sd: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[HostedImageEngine]:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",  # as where the `image` extra is not installed
                        lambda name, *a: None if name == "stable_diffusion_cpp" else real(name, *a))
    with HostedImageEngine.open(tiny_sd[1], threads=1) as opened:
        yield opened


def test_an_onnx_folder_is_an_image_model(tiny_sd: tuple[Path, Path]) -> None:
    info = read_image_model(tiny_sd[1])
    assert info.format == "onnx" and info.family == "sd" and info.parameter_count > 100_000


def test_the_host_makes_the_pipelines_pixels_with_progress_and_previews(engine: HostedImageEngine,
                                                                        tiny_sd: tuple[Path, Path]) -> None:
    steps: list[tuple[int, int, bool]] = []
    made = engine.generate(replace(SMALL, batch_count=2), on_step=lambda s, t, png: steps.append((s, t, bool(png))))
    assert steps == [(1, 4, True), (2, 4, True), (3, 4, True), (4, 4, True)]
    assert [g.settings.seed for g in made] == [7, 8]
    local = OnnxImagePipeline(read_onnx_image_folder(tiny_sd[1]), threads=1)
    for generated in made:
        expected = local.generate(generated.settings, seed=generated.settings.seed)
        assert np.array_equal(np.asarray(generated.image), expected)
    assert not np.array_equal(np.asarray(made[0].image), np.asarray(made[1].image))


def test_imagine_writes_a_png_with_its_parameters(tiny_sd: tuple[Path, Path], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cat.png"
    code = main(["imagine", "-m", str(tiny_sd[1]), "a red cat", "--size", "64x64", "--steps", "2", "--seed", "9",
                 "--sampler", "euler", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    with Image.open(out) as image:
        assert image.size == (64, 64)
    found = read_parameters(out)
    assert found is not None and found.settings.seed == 9 and found.settings.sampler == "euler"


def test_other_samplers_are_refused_before_the_host_is_asked(engine: HostedImageEngine) -> None:
    with pytest.raises(UsageError, match="euler_a and euler"):
        engine.generate(replace(SMALL, sampler="DPM++ 2M"))


def _in_thread(engine: HostedImageEngine, settings: ImageSettings, cancel: CancelToken,
               started: threading.Event) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            engine.generate(settings, cancel=cancel, on_step=lambda *_: started.set())
        except BaseException as exc:
            outcome["error"] = exc

    outcome["thread"] = thread = threading.Thread(target=run)
    thread.start()
    return outcome


def test_cancel_stops_the_generation_and_keeps_the_host(engine: HostedImageEngine) -> None:
    host = engine._host
    assert host is not None
    cancel, started = CancelToken(), threading.Event()
    outcome = _in_thread(engine, replace(SMALL, width=256, height=256, steps=150), cancel, started)
    assert started.wait(60)
    cancel.cancel()
    outcome["thread"].join(30)
    assert isinstance(outcome.get("error"), Cancelled)
    assert engine._host is host and host.alive  # no new process, no second model load
    assert engine.generate(SMALL)[0].image.size == (64, 64)


def test_kill_9_of_the_host_is_a_clear_error_and_the_next_generation_works(engine: HostedImageEngine) -> None:
    started = threading.Event()
    outcome = _in_thread(engine, replace(SMALL, width=256, height=256, steps=150), CancelToken(), started)
    assert started.wait(60)
    assert engine._host is not None
    os.kill(engine._host.pid, signal.SIGKILL)
    outcome["thread"].join(30)
    error = outcome.get("error")
    assert isinstance(error, EngineCrashedError) and error.kind == "killed"
    assert engine.generate(SMALL)[0].image.size == (64, 64)


def test_models_add_and_scan_take_the_folder_as_one_image_model(tiny_sd: tuple[Path, Path], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from engines.store.model_store import ModelStore
    from engines.store.scan import find_models

    assert [c.path for c in find_models(tiny_sd[1].parent)] == [tiny_sd[1]]  # not its unet/, vae_decoder/, ...
    assert main(["models", "add", str(tiny_sd[1]), "--id", "tiny-sd"]) == 0, capsys.readouterr().err
    added = ModelStore().get("tiny-sd")
    assert added.tasks == ["image"] and added.architecture == "stable-diffusion"
    broken = Path(shutil.copytree(tiny_sd[1], tmp_path / "broken"))
    (broken / "unet" / "model.onnx").write_bytes(b"junk")
    assert main(["models", "add", str(broken)]) != 0
    assert "not a readable ONNX graph" in capsys.readouterr().err
    assert [m.id for m in ModelStore().installed()] == ["tiny-sd"]


def test_convert_task_image_exports_a_diffusers_folder(tiny_sd: tuple[Path, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from engines.store.model_store import ModelStore

    assert main(["models", "convert", str(tiny_sd[0]), "--task", "image", "--id", "tiny-conv"]) == 0
    model = ModelStore().get("tiny-conv")
    assert model.tasks == ["image"] and not model.linked
    assert (Path(model.path) / "unet" / "model.onnx_data").is_file()  # weights memory-mapped at load
    assert read_image_model(model.path).format == "onnx"
    single = tmp_path / "model.safetensors"
    single.write_bytes(b"\0" * 16)
    capsys.readouterr()
    assert main(["models", "convert", str(single), "--task", "image"]) != 0
    assert "is a single file" in capsys.readouterr().err
