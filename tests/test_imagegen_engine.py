"""The image engine on a random-weight SD 1.5 (real shapes): same pixels as stable-diffusion.cpp's own CLI,
a seed re-makes its image, per-step progress with previews, img2img, and cancel / kill -9 / out of memory
each end in one clear error while the next generation works."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sd_fixtures import cached_sd15, sd_cli

from engines.errors import EngineCrashedError
from engines.host.launch import MEMORY_LIMIT_ENV
from engines.imagegen.hosted import HostedImageEngine
from engines.imagegen.settings import ImageSettings
from engines.images.decode import ImageFileError
from engines.jobs import Cancelled, CancelToken

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
SMALL = ImageSettings(prompt="a red lighthouse on a cliff", negative_prompt="blurry", width=64, height=64, steps=2,
                      guidance=1.0, sampler="euler_a", seed=1234)  # guidance 1: one UNet pass a step


@pytest.fixture(scope="module")
def sd15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_sd15(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def engine(sd15: Path) -> Iterator[HostedImageEngine]:
    with HostedImageEngine.open(sd15, threads=2) as opened:
        yield opened


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def test_a_seed_remakes_its_image_and_another_seed_does_not(engine: HostedImageEngine) -> None:
    first, again = engine.generate(SMALL)[0], engine.generate(SMALL)[0]
    other = engine.generate(replace(SMALL, seed=1235))[0]
    assert first.image.size == (64, 64) and first.settings.seed == 1234
    assert np.array_equal(pixels(first.image), pixels(again.image))
    assert np.abs(pixels(first.image) - pixels(other.image)).mean() > 1.0
    assert pixels(first.image).std() > 1.0  # an image, not a flat colour


def test_the_same_pixels_as_stable_diffusion_cpps_own_cli(engine: HostedImageEngine, sd15: Path,
                                                           tmp_path: Path) -> None:
    cli = sd_cli()
    if cli is None:
        pytest.skip("stable-diffusion.cpp's sd-cli is not built (set CANDEIA_SD_CLI)")
    out, settings = tmp_path / "cli.png", replace(SMALL, guidance=5.0)  # with the negative prompt at work
    subprocess.run([str(cli), "-m", str(sd15), "-p", SMALL.prompt, "-n", SMALL.negative_prompt, "-W", "64", "-H", "64",
                    "--steps", "2", "--cfg-scale", "5", "--sampling-method", "euler_a", "--seed", "1234",
                    "-t", "2", "-o", str(out)], check=True, capture_output=True, timeout=600)
    ours = pixels(engine.generate(settings)[0].image)
    theirs = pixels(Image.open(out))
    assert np.abs(ours - theirs).mean() < 1.0  # under 1/255 of the range: the same image


def test_progress_per_step_with_previews_and_a_batch_counts_on(engine: HostedImageEngine) -> None:
    seen: list[tuple[int, int, bool]] = []
    made = engine.generate(replace(SMALL, batch_count=2), on_step=lambda s, t, p: seen.append((s, t, p is not None)))
    assert [g.settings.seed for g in made] == [1234, 1235]
    assert np.array_equal(pixels(made[0].image), pixels(engine.generate(SMALL)[0].image))  # image i uses seed + i
    steps = [s for s, t, preview in seen if not preview]
    assert steps == [1, 2, 3, 4] and {t for _, t, _ in seen} == {4}
    assert any(preview for *_, preview in seen)


def test_img2img_starts_from_the_init_image(engine: HostedImageEngine, tmp_path: Path) -> None:
    init = tmp_path / "init.png"
    Image.new("RGB", (200, 100), (20, 200, 40)).save(init)
    made = engine.generate(replace(SMALL, init_image=init, strength=0.5, steps=4))[0]
    assert made.image.size == (64, 64) and made.settings.init_image == init


def test_a_broken_init_image_or_a_bomb_is_refused_before_the_host_sees_it(engine: HostedImageEngine,
                                                                          tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageFileError, match=r"broken\.png"):
        engine.generate(replace(SMALL, init_image=broken))
    bomb = tmp_path / "bomb.png"
    Image.new("1", (12_000, 12_000)).save(bomb)  # 144 megapixels in a few kilobytes
    with pytest.raises(ImageFileError, match="decompression bomb"):
        engine.generate(replace(SMALL, init_image=bomb))


def _generate_in_thread(engine: HostedImageEngine, settings: ImageSettings, cancel: CancelToken,
                        first_step: threading.Event) -> dict[str, object]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = engine.generate(settings, cancel=cancel, on_step=lambda *_: first_step.set())
        except BaseException as exc:  # the test inspects it
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    outcome["thread"] = thread
    return outcome


@pytest.fixture
def own_engine(sd15: Path) -> Iterator[HostedImageEngine]:
    """An engine of the test's own: its host is replaced during the test, so the threads end with it."""
    with HostedImageEngine.open(sd15, threads=2) as opened:
        yield opened


def test_cancel_stops_within_a_step_and_the_next_generation_works(own_engine: HostedImageEngine) -> None:
    engine = own_engine
    cancel, first_step = CancelToken(), threading.Event()
    outcome = _generate_in_thread(engine, replace(SMALL, steps=60), cancel, first_step)
    assert first_step.wait(300)
    cancel.cancel()
    asked = time.monotonic()
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(60)
    assert isinstance(outcome.get("error"), Cancelled)
    assert float(str(outcome["ended"])) - asked < 10.0
    assert engine.generate(SMALL)[0].image.size == (64, 64)  # a new host loaded the model again


def test_kill_9_of_the_host_is_a_clear_error_and_the_next_generation_works(own_engine: HostedImageEngine) -> None:
    engine = own_engine
    first_step = threading.Event()
    outcome = _generate_in_thread(engine, replace(SMALL, steps=60), CancelToken(), first_step)
    assert first_step.wait(300)
    host = engine._host
    assert host is not None
    os.kill(host.pid, signal.SIGKILL)
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(60)
    error = outcome.get("error")
    assert isinstance(error, EngineCrashedError) and error.kind == "killed"
    assert "killed (SIGKILL)" in str(error)
    assert engine.generate(SMALL)[0].image.size == (64, 64)


def test_out_of_memory_at_a_too_large_size_is_a_clear_error(sd15: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # room for the weights and a small image, not for the UNet's attention at 1024x1024
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "5000")
    monkeypatch.setattr("engines.imagegen.hosted.check_memory", lambda *_: None)  # let the host meet the wall
    with HostedImageEngine.open(sd15, threads=2) as capped:
        with pytest.raises(EngineCrashedError) as caught:
            capped.generate(replace(SMALL, width=1024, height=1024, steps=1))
        assert caught.value.kind == "oom" and str(caught.value) == "the model process ran out of memory"
        assert capped.generate(SMALL)[0].image.size == (64, 64)
