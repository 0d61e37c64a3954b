"""The GUI's handle on the loaded chat model: load, generate, measure and unload off the UI thread.

All engine work runs on one serial worker, in the order it was asked for, so a model switch
waits for the reply being stopped and the old model is freed before the new one loads. The
engine keeps its own owner thread (llama.cpp); the worker only waits on it. What to send and how
(fitting the conversation, the budget, the reply's stream) is engines/chat/session.py's; this
module is only its Qt plumbing. Reply text reaches the UI in the engine's batches (about 50 a
second at most), never one signal per token.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from desktop.workers import Task, TaskRunner
from engines.chat.session import Budget as Budget
from engines.chat.session import ChatSession
from engines.chat.session import Reply as Reply
from engines.errors import CandeiaError, EngineCrashedError
from engines.host import spare
from engines.host.open_model import OpenedChat, open_chat_model
from engines.host.remote_chat import RemoteChatModel
from engines.host.repair import Repair
from engines.jobs import CancelToken
from engines.llama.engine import LoadOptions, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.template import Message
from engines.store.models import inspect_gguf


@dataclass(frozen=True)
class LoadedModel:
    ref: str
    name: str
    context_size: int
    load_ms: float
    device: str  # "CPU", or "GPU (N layers)"
    options: LoadOptions
    repair: Repair | None = None  # set when the model needed safe settings on this computer


def crash_text(error: EngineCrashedError) -> str:
    """The death of a model's process, in the user's language."""
    cause = error.detail
    if error.kind == "crashed":
        return QCoreApplication.translate("ModelSession", "The model process crashed ({cause}).").format(cause=cause)
    if error.kind == "oom":
        return QCoreApplication.translate("ModelSession", "The model process ran out of memory.")
    if error.kind == "killed":
        return QCoreApplication.translate(
            "ModelSession", "The model process was killed ({cause}); the computer may have run out of memory."
        ).format(cause=cause)
    if error.kind == "dropped":
        return QCoreApplication.translate(
            "ModelSession", "The connection to {server} was lost mid-reply ({cause}); what arrived is kept.").format(
            server=getattr(error, "origin", ""), cause=cause)
    if error.kind == "hung":
        return QCoreApplication.translate("ModelSession", "The model process stopped responding and was ended.")
    return QCoreApplication.translate(
        "ModelSession", "The model process ended unexpectedly ({cause}).").format(cause=cause)


def device_text(engine: OpenedChat) -> str:
    """Where the model runs, for the status bar: the engine's device, or the other computer's name."""
    if isinstance(engine, RemoteChatModel):
        return QCoreApplication.translate("ModelSession", "on {server}").format(server=engine.endpoint.name)
    return engine.device


def repair_text(repair: Repair) -> str:
    """What changed for a model that crashed llama.cpp with its defaults, in the user's language."""
    if repair.level.cpu_only:
        remedy = QCoreApplication.translate(
            "ModelSession", "Candeia now loads it without repacked CPU weights and on the CPU only.")
    else:
        remedy = QCoreApplication.translate(
            "ModelSession", "Candeia now loads it without llama.cpp's repacked CPU weights.")
    what = QCoreApplication.translate(
        "ModelSession", "{file} crashed llama.cpp ({cause}) with its default settings on this computer.")
    return what.format(file=repair.file, cause=repair.cause) + " " + remedy


def error_text(error: object) -> str:
    """A sentence for the user: CandeiaError messages are written for people; others get their type."""
    if isinstance(error, EngineCrashedError):
        return crash_text(error)
    if isinstance(error, CandeiaError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class _Holder:
    """The engine and its chat session, swapped only on the worker thread; the engine is read by
    `stop()` from the UI thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.engine: OpenedChat | None = None
        self.chat: ChatSession | None = None

    def swap(self, engine: OpenedChat | None) -> OpenedChat | None:
        with self.lock:
            old, self.engine = self.engine, engine
            self.chat = ChatSession(engine) if engine is not None else None
            return old


class ModelSession(QObject):
    loading = Signal(str)  # the model's display name
    loaded = Signal(object)  # LoadedModel
    load_failed = Signal(str)
    unloaded = Signal()
    used = Signal()  # a reply started: the model owner counts the model as just used

    def __init__(self, parent: QObject | None = None,
                 opener: Callable[[str, LoadOptions], OpenedChat] | None = None):
        super().__init__(parent)
        self._runner = TaskRunner("model", 1, self)
        self._holder = _Holder()
        self._open = opener or (lambda ref, options: open_chat_model(ref, options))
        self.model: LoadedModel | None = None
        self.pending_ref: str | None = None
        self._reply: Task | None = None
        self.closed = False  # shut down: the window is closing

    # -- loading -------------------------------------------------------------------------------
    def load(self, ref: str, options: LoadOptions, name: str | None = None) -> Task:
        """Stop any reply, free the current model, load `ref`. Emits loading, then loaded or load_failed."""
        self.stop()
        self.pending_ref = ref
        self.loading.emit(name or ref)
        holder, opener = self._holder, self._open

        def job(cancel: CancelToken) -> LoadedModel | None:
            old = holder.swap(None)
            if old is not None:
                old.close()
            engine = opener(ref, options)
            if cancel.cancelled:  # the window closed while loading
                engine.close()
                return None
            holder.swap(engine)
            return LoadedModel(ref, name or engine.info.name or engine.info.path.stem, engine.context_size,
                               engine.load_ms, device_text(engine), options, engine.repair)

        self.model = None
        task = self._runner.start("load", job)
        task.succeeded.connect(lambda model: self._on_loaded(ref, model))
        task.failed.connect(lambda error: self._on_load_failed(ref, error))
        return task

    def _on_loaded(self, ref: str, model: LoadedModel | None) -> None:
        if model is None or ref != self.pending_ref:
            return
        self.model = model
        self.loaded.emit(model)

    def _on_load_failed(self, ref: str, error: object) -> None:
        if ref == self.pending_ref:
            self.pending_ref = None
            self.load_failed.emit(error_text(error))

    def prevalidate(self, ref: str) -> Task:
        """Check `ref`'s file ahead of its load, while the user is still typing: the load then finds
        it checked (engines.gguf.info.read_gguf_once) instead of walking its metadata at the click.
        A problem is not reported here: the load reports it."""

        def job(cancel: CancelToken) -> None:
            with contextlib.suppress(CandeiaError, OSError):
                inspect_gguf(ref)
                spare.enable()  # the model's process will start ready (engines/host/spare.py)

        return self._runner.start("validate", job)

    def unload(self) -> Task:
        self.stop()
        return self.release_when_idle()

    def release_when_idle(self) -> Task:
        """Free the model once the reply in flight ends (the model owner asks this to keep to its budget)."""
        self.model = None
        self.pending_ref = None
        holder = self._holder

        def job(cancel: CancelToken) -> None:
            old = holder.swap(None)
            if old is not None:
                old.close()

        task = self._runner.start("unload", job)
        task.succeeded.connect(lambda _: self.unloaded.emit())
        return task

    # -- generating ----------------------------------------------------------------------------
    def generate(self, messages: Sequence[Message], sampling: SamplingOptions) -> Task:
        """Stream a reply. The task yields ("budget", Budget) once and ("text", str) batches; succeeds with a Reply."""
        holder = self._holder
        messages = list(messages)

        def job(cancel: CancelToken) -> Generator[tuple[str, Any], None, Reply]:
            chat = self._revived(holder)
            if chat is None:
                raise CandeiaError("no model is loaded")
            for event in chat.send(messages, sampling, cancel):
                if isinstance(event, TextDelta):
                    yield ("text", event.text)
                elif isinstance(event, Budget):
                    yield ("budget", event)
                else:
                    return event
            raise CandeiaError("the reply ended without a result")

        task = self._runner.start("generate", job)
        self._reply = task
        self.used.emit()
        task.done.connect(lambda: self._forget_reply(task))
        return task

    def run_with_model(self, name: str, fn: Callable[[OpenedChat, CancelToken], Any]) -> Task:
        """Run `fn(engine, cancel)` with the loaded model on the model's worker, after any load or reply
        queued before it (a knowledge-base answer). A generator's items become the task's progress;
        `stop()` cancels it like a reply."""
        holder = self._holder

        def job(cancel: CancelToken) -> Any:
            if self._revived(holder) is None or holder.engine is None:
                raise CandeiaError("no model is loaded")
            return fn(holder.engine, cancel)

        task = self._runner.start(name, job)
        self._reply = task
        task.done.connect(lambda: self._forget_reply(task))
        return task

    def _revived(self, holder: _Holder) -> ChatSession | None:
        """The loaded model's chat session, started again in a new process if its process died (Retry
        after a crash). Runs on the worker thread."""
        model, engine = self.model, holder.engine
        if engine is None or engine.death is None or model is None:
            return holder.chat
        self.loading.emit(model.name)
        fresh = self._open(model.ref, model.options)
        old = self._holder.swap(fresh)
        if old is not None:
            old.close()
        revived = LoadedModel(model.ref, model.name, fresh.context_size, fresh.load_ms, device_text(fresh),
                              model.options, fresh.repair)
        self.model = revived
        self.loaded.emit(revived)
        return self._holder.chat

    def _forget_reply(self, task: Task) -> None:
        if self._reply is task:
            self._reply = None

    @property
    def generating(self) -> bool:
        return self._reply is not None

    def stop(self) -> None:
        """Stop the reply now: the engine stops within one token; the partial text is kept."""
        if self._reply is not None:
            self._reply.cancel.cancel()
        engine = self._holder.engine
        if engine is not None:
            engine.cancel_all()

    def measure(self, messages: Sequence[Message], max_tokens: int | None) -> Task:
        """Count the prompt's tokens as the next reply would see them. Succeeds with a Budget (or None)."""
        holder = self._holder
        messages = list(messages)

        def job(cancel: CancelToken) -> Budget | None:
            chat = holder.chat
            return chat.measure(messages, max_tokens) if chat is not None else None

        return self._runner.start("measure", job)

    # -- shutting down -------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop the reply, free the model and end the worker: no thread outlives this call."""
        self.closed = True
        self.stop()
        self._runner.cancel_all()
        self._runner.shutdown(timeout_ms)
        spare.disable()
        engine = self._holder.swap(None)
        if engine is not None:
            engine.close()
        self.model = None
