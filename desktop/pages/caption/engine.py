"""The Caption page's model work: one captioner on the page's `PageWorker`, every job there, in order.

The loaded captioner is kept between jobs (reopened only when the model changes) and closed on
that same thread, or after the worker has stopped when the page shuts down. It is registered
with the app's model owner, which may ask for it back to stay within its memory budget: it is
then closed on the worker after the job in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.model_slot import SlotEngine
from desktop.page_worker import Callback, Run
from desktop.workers import Job
from engines.caption import BatchOptions, Captioner, CaptionOptions, CaptionResult, caption_paths, load_image
from engines.caption.batch import collect_images
from engines.hardware.devices import model_device
from engines.store.model_store import ModelStore
from engines.system.model_owner import ModelOwner

SLOT = "caption"  # the model owner's name for the captioner this page keeps


@dataclass(frozen=True)
class BatchProgress:
    """One image done: its result and where the batch stands."""

    result: CaptionResult
    count: int
    total: int


class CaptionEngine(SlotEngine):
    device_known = Signal(object)  # a ModelDevice: the model just opened and where it runs (from the worker)

    def __init__(self, store: ModelStore, threads: int | None = None, parent: QObject | None = None,
                 owner: ModelOwner | None = None, model_bytes: Callable[[str], int] | None = None) -> None:
        super().__init__("caption", SLOT, threads, parent, owner, model_bytes)
        self._store = store
        self._captioner: Captioner | None = None  # touched only on the runner's thread (or after it stopped)
        self._model: tuple[str, str, int] | None = None  # the model and the device settings it was opened with

    @property
    def busy(self) -> bool:
        return self.worker.busy

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

    def caption_one(self, model: str, image: Path, options: CaptionOptions, *, on_result: Callback,
                    on_error: Callback, on_done: Callable[[], None]) -> Run:
        """`on_result` gets (caption, seconds spent captioning); `on_error` an ImageFileError, a model
        error or Cancelled. A newer image's run replaces this one."""

        def job(job: Job) -> tuple[str, float]:
            picture = load_image(image)  # a broken file is reported before a model is loaded
            captioner = self._open(model)
            job.cancel.raise_if_cancelled()
            started = time.perf_counter()
            caption = captioner.caption_images([picture], options, job.cancel)[0]
            return caption, time.perf_counter() - started

        self._slot.claim(model)
        return self.worker.run(job, slot="single", on_result=on_result, on_error=on_error, on_done=on_done)

    def caption_batch(self, model: str, inputs: list[Path], options: CaptionOptions, batch: BatchOptions, *,
                      on_progress: Callback, on_result: Callback, on_error: Callback,
                      on_done: Callable[[], None]) -> Run:
        """`on_progress` gets a BatchProgress per image; `on_error` Cancelled when stopped."""

        def job(job: Job) -> Iterator[BatchProgress]:
            images = collect_images(inputs, batch.recursive)
            captioner = self._open(model)
            sized = CaptionOptions(style=options.style, prompt=options.prompt,
                                   max_new_tokens=options.max_new_tokens, num_beams=options.num_beams,
                                   batch_size=captioner.preferred_batch_size)
            total = len(images)
            for count, result in enumerate(caption_paths(captioner, images, sized, batch, cancel=job.cancel), 1):
                yield BatchProgress(result, count, total)

        self._slot.claim(model)
        return self.worker.run(job, slot="batch", on_progress=on_progress, on_result=on_result, on_error=on_error,
                               on_done=on_done)

    def cancel(self) -> None:
        self.worker.cancel()

    def shutdown(self) -> None:
        self._slot.shutdown()
