"""The page's captioning model, owned by one worker thread: every job runs there, in order.

The loaded captioner is kept between jobs (reopened only when the model changes) and closed on
that same thread, or after the worker has stopped when the page shuts down.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.workers import Task, TaskRunner
from engines.caption import BatchOptions, Captioner, CaptionOptions, CaptionResult, caption_paths, load_image
from engines.caption.batch import collect_images
from engines.hardware.devices import model_device
from engines.jobs import CancelToken
from engines.store.model_store import ModelStore


@dataclass(frozen=True)
class BatchProgress:
    """One image done: its result and where the batch stands."""

    result: CaptionResult
    count: int
    total: int


class CaptionEngine(QObject):
    device_known = Signal(object)  # a ModelDevice: the model just opened and where it runs (from the worker)

    def __init__(self, store: ModelStore, threads: int | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._threads = threads
        self._runner = TaskRunner("caption", 1, self)
        self._captioner: Captioner | None = None  # touched only on the runner's thread (or after it stopped)
        self._model: tuple[str, str, int] | None = None  # the model and the device settings it was opened with

    @property
    def busy(self) -> bool:
        return self._runner.busy

    def _open(self, model: str) -> Captioner:
        from engines.settings import load_settings

        settings = load_settings()
        # the device settings as the next load would use them: a change reloads the model
        wanted = (model, settings.onnx_provider, settings.gpu_layers)
        if self._captioner is not None and self._model == wanted:
            return self._captioner
        self._close()
        from engines.caption import open_captioner

        self._captioner = open_captioner(model, threads=self._threads, gpu_layers=settings.gpu_layers,
                                         store=self._store)
        self._model = wanted
        device = model_device(self._captioner.name, self._captioner)
        if device is not None:
            self.device_known.emit(device)
        return self._captioner

    def _close(self) -> None:
        if self._captioner is not None:
            captioner, self._captioner, self._model = self._captioner, None, None
            captioner.close()

    def caption_one(self, model: str, image: Path, options: CaptionOptions) -> Task:
        """`succeeded` carries (caption, seconds spent captioning); `failed` an ImageFileError, a model
        error or Cancelled."""

        def job(cancel: CancelToken) -> tuple[str, float]:
            picture = load_image(image)  # a broken file is reported before a model is loaded
            captioner = self._open(model)
            cancel.raise_if_cancelled()
            started = time.perf_counter()
            caption = captioner.caption_images([picture], options, cancel)[0]
            return caption, time.perf_counter() - started

        return self._runner.start("caption image", job)

    def caption_batch(self, model: str, inputs: list[Path], options: CaptionOptions, batch: BatchOptions) -> Task:
        """`progressed` carries a BatchProgress per image; `failed` Cancelled when stopped."""

        def job(cancel: CancelToken) -> Iterator[BatchProgress]:
            images = collect_images(inputs, batch.recursive)
            captioner = self._open(model)
            sized = CaptionOptions(style=options.style, prompt=options.prompt,
                                   max_new_tokens=options.max_new_tokens, num_beams=options.num_beams,
                                   batch_size=captioner.preferred_batch_size)
            total = len(images)
            for count, result in enumerate(caption_paths(captioner, images, sized, batch, cancel=cancel), 1):
                yield BatchProgress(result, count, total)

        return self._runner.start("caption folder", job)

    def cancel(self) -> None:
        self._runner.cancel_all()

    def shutdown(self) -> None:
        self._runner.shutdown()
        self._close()
