"""A page's slot with the app's model owner, for the model it keeps loaded on its `PageWorker`.

`claim` before each job that uses the model; when the owner needs the memory back, the model is
closed on the page's worker after the job in flight (never under it), and the owner is told.
`shutdown` stops the worker, closes the model and gives the slot up.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from desktop.page_worker import PageWorker
from engines.system.model_owner import ModelOwner


class ModelSlot:
    def __init__(self, slot: str, worker: PageWorker, close: Callable[[], None], owner: ModelOwner | None,
                 model_bytes: Callable[[str], int] | None = None) -> None:
        self.slot = slot
        self._worker = worker
        self._close = close
        self._owner = owner
        self._model_bytes = model_bytes or (lambda model: 0)

    def claim(self, model: str) -> None:
        """Before a job: the owner may free other models (or, later, ask for this one back)."""
        if self._owner is not None:
            self._owner.claim(self.slot, model, self._model_bytes(model), self._release)

    def _release(self) -> None:
        owner = self._owner

        def free() -> None:
            self._close()
            if owner is not None:
                owner.memory_freed()

        self._worker.then(f"free {self.slot}", free)

    def shutdown(self) -> None:
        self._worker.shutdown()
        self._close()
        if self._owner is not None:
            self._owner.released(self.slot)


class SlotEngine(QObject):
    """A page's engine: its `PageWorker` and its model slot. A subclass closes its model in `_close`."""

    def __init__(self, worker_name: str, slot: str, threads: int | None, parent: QObject | None,
                 owner: ModelOwner | None, model_bytes: Callable[[str], int] | None) -> None:
        super().__init__(parent)
        self._threads = threads
        self.worker = PageWorker(worker_name, self)
        self._slot = ModelSlot(slot, self.worker, self._close, owner, model_bytes)

    def _close(self) -> None:
        raise NotImplementedError
