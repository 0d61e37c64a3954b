"""The Chat page's model picker: the installed chat models, the one picked, its card's defaults and its load."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox

from desktop.appcontext import AppContext
from desktop.pages.chat.sampling_panel import card_defaults
from desktop.session import ModelSession
from engines.host.open_model import load_options_from


class ModelChoice:
    def __init__(self, ctx: AppContext, combo: QComboBox) -> None:
        self.ctx = ctx
        self.combo = combo

    def refresh(self, preferred: str | None) -> bool:
        """List the installed chat models again, keeping `preferred` (or the current one) picked.
        Returns whether there is any."""
        models = self.ctx.chat_models()
        current = self.combo.currentData()
        self.combo.clear()
        for model in models:
            self.combo.addItem(model.name, model.id)
        self.select(preferred or current or self.ctx.default_model("chat"))
        return bool(models)

    def select(self, model_id: str | None) -> None:
        index = self.combo.findData(model_id) if model_id else -1
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def current_id(self) -> str | None:
        data = self.combo.currentData()
        return str(data) if data else None

    def defaults(self) -> dict[str, Any]:
        """The sampling defaults of the picked model's catalog card (the app's where it has none)."""
        model_id = self.current_id()
        model = next((m for m in self.ctx.chat_models() if m.id == model_id), None)
        card = self.ctx.card(model.card_id) if model else None
        return card_defaults(card, self.ctx.settings.context_size)

    def ensure_loaded(self, session: ModelSession, context_size: int) -> bool:
        """Load the picked model with `context_size` and the current settings (threads, GPU layers)
        unless it is loaded that way already, or loading. False if no model is picked."""
        model_id = self.current_id()
        if model_id is None:
            return False
        options = load_options_from(self.ctx.settings, context_size=context_size)
        loaded = session.model
        if session.pending_ref == model_id and (loaded is None or loaded.options == options):
            return True
        session.load(model_id, options, name=self.combo.currentText())
        return True
