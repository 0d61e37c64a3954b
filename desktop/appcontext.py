"""What every page shares: settings, the model store, the catalog, chat history, the model session and file workers."""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from desktop.downloads import DownloadCenter
from desktop.server_control import ServerControl
from desktop.session import ModelSession
from desktop.workers import TaskRunner
from engines.cards import ModelCard, load_catalog
from engines.cards.fit import FitEstimate, card_estimate
from engines.chat.conversations import ConversationStore
from engines.hardware.machine import Hardware, detect
from engines.jobs import CancelToken
from engines.settings import Settings, load_settings, save_settings
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.store.remotes import RemoteStore
from engines.system.model_owner import ModelOwner


class AppContext(QObject):
    settings_changed = Signal()
    models_changed = Signal()  # installed models were added, removed or changed
    navigate = Signal(str)  # ask the window to show a page by key
    status_message = Signal(str)
    hardware_ready = Signal()
    loaded_models_changed = Signal()  # the model owner loaded or freed a model (from any thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings: Settings = load_settings()
        self.store = ModelStore()
        self.remotes = RemoteStore()  # endpoints on other computers; their models list with the installed ones
        self.catalog: list[ModelCard] = load_catalog()
        self.conversations = ConversationStore()
        # Decides which models stay loaded (chat, LLM translation, captioning) within a memory budget.
        self.models = ModelOwner(on_change=self.loaded_models_changed.emit)
        self.session = ModelSession(self)
        self.server = ServerControl(self.models, self)
        self.session.loading.connect(self._chat_loading)
        self.session.used.connect(lambda: self.models.touch("chat"))
        self.session.unloaded.connect(self._chat_unloaded)
        self.files = TaskRunner("files", 2, self)
        self.downloads = DownloadCenter(self.settings, self.store, self)
        self.downloads.installed.connect(lambda _: self.models_changed.emit())
        self.settings_changed.connect(self.downloads.apply_settings)  # offline mode pauses downloads
        self.hardware: Hardware | None = None
        self._closed = False

    @Slot(str)
    def _chat_loading(self, _name: str) -> None:
        """The chat session loads a model (a Slot: a reload after a crash announces it from the worker)."""
        ref = self.session.pending_ref
        if ref is not None:
            self.models.claim("chat", ref, self.model_bytes(ref), self.session.release_when_idle)

    def _chat_unloaded(self) -> None:
        if self.session.pending_ref is None:  # not already loading another model (which has claimed the slot)
            self.models.released("chat")
        self.models.memory_freed()

    def model_bytes(self, ref: str) -> int:
        """What loading `ref` (an installed id or a file) costs in memory, roughly: its files' size."""
        model = next((m for m in self.installed() if m.id == ref), None)
        paths = [Path(p) for p in model.companions.values()] if model is not None else [Path(ref)]
        total = model.size if model is not None else 0
        for path in paths:
            with contextlib.suppress(OSError):  # a missing file: the load reports it
                total += path.stat().st_size
        return total

    def detect_hardware(self) -> None:
        """Measure RAM, GPUs and offload support off the UI thread; `hardware_ready` follows."""

        def job(cancel: CancelToken) -> Hardware:
            # Not the engines: importing llama_cpp and onnxruntime at start costs ~60 MB of idle
            # memory and startup CPU. Fit estimates treat unknown GPU offload as possible.
            return detect(llama=False, onnx=False)

        task = self.files.start("hardware", job)
        task.succeeded.connect(self._on_hardware)

    def _on_hardware(self, hardware: Hardware) -> None:
        self.hardware = hardware
        self.hardware_ready.emit()

    def fit(self, card: ModelCard) -> FitEstimate | None:
        """Will `card` fit this computer at its recommended context? None until the hardware is known."""
        if self.hardware is None:
            return None
        context = card.recommended.context_size or self.settings.context_size
        return card_estimate(card, context, self.hardware, self.settings.gpu_layers)

    def ui_language(self) -> str:
        """The UI language in use ("en" or "pt_BR"), for card texts and the starter pick."""
        from desktop.i18n import resolve

        return resolve(self.settings.ui_language)

    def installed_card_ids(self) -> set[str]:
        return {m.card_id or m.id for m in self.installed()}

    def save_settings(self) -> None:
        save_settings(self.settings)
        self.settings_changed.emit()

    def installed(self) -> list[InstalledModel]:
        try:
            return self.store.installed() + self.remotes.models()
        except Exception:  # a damaged manifest must not take the window down; the Models page reports it
            return []

    def chat_models(self) -> list[InstalledModel]:
        return [m for m in self.installed()
                if m.format in (ModelFormat.gguf, ModelFormat.remote) and "chat" in m.tasks]

    def card(self, card_id: str | None) -> ModelCard | None:
        return next((c for c in self.catalog if c.id == card_id), None) if card_id else None

    def default_model(self, task: str) -> str | None:
        wanted = self.settings.default_models.get(task)
        models = self.chat_models() if task == "chat" else [m for m in self.installed() if task in m.tasks]
        ids = [m.id for m in models]
        if wanted in ids:
            return wanted
        return ids[0] if ids else None

    def shutdown(self) -> None:
        """Stop every worker and free the model; called once when the window closes."""
        if self._closed:
            return
        self._closed = True
        self.server.stop()
        self.session.shutdown()
        self.downloads.shutdown()
        self.files.shutdown()
        self.conversations.close()
