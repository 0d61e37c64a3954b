"""What every page shares: settings, the model store, the catalog, chat history, the model session and file workers."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engines.cards import ModelCard, load_catalog
from engines.conversations import ConversationStore
from engines.settings import Settings, load_settings, save_settings
from engines.store import InstalledModel, ModelFormat, ModelStore

from .session import ModelSession
from .workers import TaskRunner


class AppContext(QObject):
    settings_changed = Signal()
    models_changed = Signal()  # installed models were added, removed or changed
    navigate = Signal(str)  # ask the window to show a page by key
    status_message = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings: Settings = load_settings()
        self.store = ModelStore()
        self.catalog: list[ModelCard] = load_catalog()
        self.conversations = ConversationStore()
        self.session = ModelSession(self)
        self.files = TaskRunner("files", 2, self)
        self._closed = False

    def save_settings(self) -> None:
        save_settings(self.settings)
        self.settings_changed.emit()

    def installed(self) -> list[InstalledModel]:
        try:
            return self.store.installed()
        except Exception:  # a damaged manifest must not take the window down; the Models page reports it
            return []

    def chat_models(self) -> list[InstalledModel]:
        return [m for m in self.installed() if m.format is ModelFormat.gguf and "chat" in m.tasks]

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
        self.session.shutdown()
        self.files.shutdown()
        self.conversations.close()
