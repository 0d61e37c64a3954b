"""A page's slot with the app's model owner: claimed before each job, given back on the page's worker.

The owner may ask for the model back to stay within its memory budget; the model is then closed on
the page's worker after the job in flight (never under it), and the owner told the memory is free.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.page_worker import PageWorker
from engines.system.model_owner import ModelOwner


class ModelClaim:
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

        self._worker.then(f"free {self.slot} model", free)

    def released(self) -> None:
        """The page closed its model itself (on shutdown)."""
        if self._owner is not None:
            self._owner.released(self.slot)
