"""The Translate page's model work: one `TranslationService` on the page's `PageWorker`.

The service and its models, a chat model (LLM) included, are kept between runs: translate-as-
you-type must not reload a GGUF for every keystroke pause. The chat model is registered with the
app's model owner, which may ask for it back to stay within its memory budget. Freeing it (the
owner asks, another model is picked, the model is removed) is queued on the worker after the run
in flight, so the UI thread never waits on an unload and never races a run.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from desktop.page_worker import Callback, PageWorker, Run
from desktop.workers import Job
from engines.store.model_store import ModelStore
from engines.system.model_owner import ModelOwner
from engines.translate import DocKind, TranslationResult, TranslationService
from engines.translate.engine import DecodeOptions

SLOT = "translate"  # the model owner's name for the chat model LLM translation keeps


class TranslationWork(QObject):
    def __init__(self, store: ModelStore, owner: ModelOwner, model_bytes: Callable[[str], int],
                 options: DecodeOptions | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = PageWorker("translate", self)
        self.service: TranslationService | None = None
        self._store = store
        self._owner = owner
        self._model_bytes = model_bytes
        self._options = options
        self._chat_ref: str | None = None  # the chat model the service may hold (the last LLM run's)

    def translate(self, text: str, *, target: str, source: str | None, kind: DocKind, model: str | None,
                  llm: bool, on_result: Callback, on_progress: Callback, on_error: Callback,
                  on_done: Callable[[], None]) -> Run:
        """Start a run (cancelling the one before); `on_progress` gets (done, total) sentences."""
        if self.service is None:
            self.service = TranslationService(self._store, options=self._options)
        service = self.service
        if llm and model is not None:
            if model != self._chat_ref:
                self.model_picked(model)
            self._chat_ref = model
            self._owner.claim(SLOT, model, self._model_bytes(model), self._release_chat)

        def job(job: Job) -> TranslationResult:
            job.cancel.raise_if_cancelled()
            return service.translate(text, target=target, source=source, kind=kind, model=model,
                                     cancel=job.cancel, progress=job.progress)

        return self.worker.run(job, on_result=on_result, on_progress=on_progress, on_error=on_error,
                               on_done=on_done)

    def model_picked(self, ref: str | None) -> None:
        """Another model was picked: the chat model kept for the old pick is freed."""
        if self._chat_ref is not None and self._chat_ref != ref:
            self.worker.cancel()
            self._release_chat()

    def _release_chat(self) -> None:
        """Free the chat model (asked by the owner, or another model picked), after the run in flight."""
        self._chat_ref = None
        self._owner.released(SLOT)  # now, on the UI thread: a claim that follows is not undone
        self._then("free chat model", lambda service: service.close_chat())

    def release_uninstalled(self, installed: set[str]) -> None:
        """Models no longer `installed` (ids) must not stay loaded: freed on the worker after the run in flight."""
        if self._chat_ref is not None and self._chat_ref not in installed:
            self._chat_ref = None
            self._owner.released(SLOT)
        self._then("release removed models", lambda service: service.release_uninstalled())

    def _then(self, name: str, fn: Callable[[TranslationService], None]) -> None:
        service, owner = self.service, self._owner
        if service is None:
            return

        def free() -> None:
            fn(service)
            owner.memory_freed()

        self.worker.then(name, free)

    def shutdown(self) -> None:
        """Cancel and join the worker, then unload the models."""
        self.worker.shutdown()
        if self.service is not None:
            self.service.close()
            self.service = None
            self._owner.released(SLOT)
