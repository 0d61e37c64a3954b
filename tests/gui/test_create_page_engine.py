"""The Create page end to end on the real image engine (a random-weight SD 1.5 in an image host): an image
with its settings in the gallery, and "use these settings again" re-makes the same pixels.

Skipped where stable-diffusion.cpp (the `image` extra) or diffusers is not installed."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot
from sd_fixtures import cached_sd15

from desktop.appcontext import AppContext
from desktop.pages.create.page import CreatePage
from engines.imagegen.png_params import read_parameters
from engines.imagegen.settings import ImageSettings
from engines.store.model_store import InstalledModel, ModelFormat

from .pages import shown_page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def page(qtbot: QtBot, tmp_path_factory: pytest.TempPathFactory,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[CreatePage]:
    sd15 = cached_sd15(tmp_path_factory.getbasetemp())
    # the engine resolves an id or a path; a path keeps the test independent of how the store registers it
    model = InstalledModel(id=str(sd15), name="Random SD 1.5", format=ModelFormat.gguf, path=str(sd15), linked=True,
                           size=0, tasks=["image"])
    ctx = AppContext()
    monkeypatch.setattr(ctx, "installed", lambda: [model])
    with shown_page(qtbot, ctx, CreatePage(ctx)) as page:
        yield page


def run(qtbot: QtBot, page: CreatePage) -> None:
    page.generate_button.click()
    qtbot.waitUntil(lambda: page.engine.worker.current("generate") is None, timeout=600_000)
    assert not page.status.text().startswith("Error"), page.status.text()


def test_generate_then_reuse_makes_the_same_image(qtbot: QtBot, page: CreatePage) -> None:
    page.form.apply(ImageSettings(prompt="a red lighthouse on a cliff", negative_prompt="blurry", width=64, height=64,
                                  steps=2, guidance=5.0, sampler="euler_a", seed=1234))
    steps: list[int] = []
    original = page._on_step
    page._on_step = lambda item: (steps.append(getattr(item, "step", 0)), original(item))  # type: ignore[method-assign]
    run(qtbot, page)
    first = page.gallery.items()[0].path
    parsed = read_parameters(first)
    assert parsed is not None and parsed.settings.seed == 1234 and parsed.settings.steps == 2
    assert steps and steps[-1] == 2

    page.form.apply(ImageSettings(prompt="something else", seed=99))
    assert page.use_settings_of(first)
    run(qtbot, page)
    second = next(item.path for item in page.gallery.items() if item.path != first)
    with Image.open(first) as a, Image.open(second) as b:
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
