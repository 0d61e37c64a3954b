"""The Create page's model work: one image engine on the page's `PageWorker`, kept between runs.

The engine (an image host process) is reopened only when the model changes, closed on the worker,
and registered with the app's model owner, which may ask for it back. Every image made is saved to
the gallery on the worker before the page hears of it, so nothing is lost if the page is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject

from desktop.model_slot import SlotEngine
from desktop.page_worker import Callback, Run
from desktop.workers import Job
from engines.imagegen.engine import ImageEngine
from engines.imagegen.gallery import Gallery
from engines.imagegen.settings import ImageSettings
from engines.system.model_owner import ModelOwner

SLOT = "imagegen"  # the model owner's name for the image model this page keeps


@dataclass(frozen=True)
class Step:
    """One denoising step done: `step` of `total` (over the whole batch), and a small PNG of it if any."""

    step: int
    total: int
    preview: bytes | None


@dataclass(frozen=True)
class Made:
    """The images a run saved to the gallery, with the settings (seed included) that re-make each."""

    paths: list[Path]
    settings: list[ImageSettings]
    seconds: float
    device: str


def open_engine(model: str, threads: int | None) -> ImageEngine:
    from engines.imagegen.engine import open_image_engine

    return open_image_engine(model, threads=threads)


class CreateEngine(SlotEngine):
    def __init__(self, gallery: Gallery, threads: int | None = None, parent: QObject | None = None,
                 owner: ModelOwner | None = None, model_bytes: Callable[[str], int] | None = None) -> None:
        super().__init__("create", SLOT, threads, parent, owner, model_bytes)
        self.gallery = gallery
        self._engine: ImageEngine | None = None  # touched only on the worker's thread (or after it stopped)
        self._model: str | None = None

    def _open(self, model: str) -> ImageEngine:
        if self._engine is not None and self._model == model:
            return self._engine
        self._close()
        self._engine = open_engine(model, self._threads)
        self._model = model
        return self._engine

    def _close(self) -> None:
        if self._engine is not None:
            engine, self._engine, self._model = self._engine, None, None
            engine.close()

    def generate(self, model: str, settings: ImageSettings, *, on_progress: Callback, on_result: Callback,
                 on_error: Callback, on_done: Callable[[], None]) -> Run:
        """`on_progress` gets a Step per denoising step, `on_result` a Made; `on_error` Cancelled on Stop,
        an ImageFileError for a bad init image, a UsageError or a model error."""

        def job(job: Job) -> Made:
            if settings.init_image is not None:
                from engines.images.decode import load_image

                load_image(settings.init_image)  # refused with captioning's sentence before a model loads
            engine = self._open(model)
            job.cancel.raise_if_cancelled()
            made = engine.generate(settings, cancel=job.cancel,
                                   on_step=lambda step, total, preview: job.report(Step(step, total, preview)))
            paths = [self.gallery.save(item.image, item.settings, engine.model_id) for item in made]
            return Made(paths, [item.settings for item in made], sum(item.seconds for item in made), engine.device)

        self._slot.claim(model)
        return self.worker.run(job, slot="generate", on_progress=on_progress, on_result=on_result,
                               on_error=on_error, on_done=on_done)

    def cancel(self) -> None:
        self.worker.cancel()

    def shutdown(self) -> None:
        self._slot.shutdown()
