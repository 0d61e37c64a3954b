"""The Chat page: ties the conversation store, the model session and the widgets together.

The user's message is saved at once; a reply is saved while it streams (reply_saver.py, about
once a second) and marked finished when it ends or is stopped, so a crash keeps what had
streamed. A reply keeps the id of the conversation it belongs to: switching conversations
mid-reply stops it and still saves it there.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from desktop.appcontext import AppContext
from desktop.pages.chat.budget_bar import BudgetBar
from desktop.pages.chat.chrome import build_header, build_system_editor
from desktop.pages.chat.composer import Composer
from desktop.pages.chat.conversation_list import ConversationList
from desktop.pages.chat.export import add_export_menu, ask_path, write_export
from desktop.pages.chat.grounding import KnowledgeBasePicker
from desktop.pages.chat.message_view import MessageView, MessageWidget
from desktop.pages.chat.model_choice import ModelChoice
from desktop.pages.chat.reply_run import ReplyRun, conversation_history, grounded_task
from desktop.pages.chat.reply_saver import ReplySaver
from desktop.pages.chat.sampling_panel import SamplingPanel, sampling_from
from desktop.pages.documents.backend import CoreBackend, DocumentsBackend
from desktop.pages.documents.sources_view import SourcesView
from desktop.pages.welcome import WelcomePage
from desktop.session import Budget, LoadedModel, Reply, repair_text
from engines.chat.conversations import Conversation, StoredMessage
from engines.errors import StoreError

TITLE_LENGTH = 48
WARM_UP_DELAY_MS = 100  # after the first paint, so start-up is not slowed


class ChatPage(QWidget):
    reply_finished = Signal(dict)  # the reply's statistics, for the status bar
    busy_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self.ctx = ctx
        self.store = ctx.conversations
        self.session = ctx.session
        self.conv: Conversation | None = None
        self.reply: ReplyRun | None = None
        self._draft_sampling: dict[str, Any] = {}
        self.last_budget: Budget | None = None
        self.kb_backend: DocumentsBackend = CoreBackend()
        self.last_sources: SourcesView | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack)
        self.welcome = WelcomePage(ctx)
        self.stack.addWidget(self.welcome)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setChildrenCollapsible(False)
        body.setHandleWidth(1)
        self.stack.addWidget(body)
        self.conversations = ConversationList(self.store)
        self.conversations.setMinimumWidth(200)
        body.addWidget(self.conversations)
        body.addWidget(self._build_center())
        self.sampling = SamplingPanel()
        self.sampling.setMinimumWidth(230)
        self.sampling.hide()
        body.addWidget(self.sampling)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        body.setSizes([240, 760, 260])
        self._connect()
        self.refresh_models()
        self.conversations.refresh()
        self.budget.set_text(self.tr("No model loaded"))
        self._warm_up_queued = False
        self.warmed_up = False

    def _build_center(self) -> QWidget:
        """The middle column: header, system prompt, notice, messages, budget and composer."""
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(12, 10, 12, 10)
        column.setSpacing(8)
        header = build_header()
        self.model_combo = header.model_combo
        self.models = ModelChoice(self.ctx, self.model_combo)
        self.kb_picker = KnowledgeBasePicker()
        header.row.insertWidget(1, self.kb_picker)
        self.system_button, self.sampling_button = header.system_button, header.sampling_button
        self.export_button = header.export_button
        column.addLayout(header.row)
        editor = build_system_editor()
        self.system_frame, self.presets, self.system_edit = editor.frame, editor.presets, editor.edit
        column.addWidget(self.system_frame)
        self.notice = QLabel()
        self.notice.setTextFormat(Qt.TextFormat.PlainText)  # errors quote model files: never HTML
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        column.addWidget(self.notice)
        self.view = MessageView()
        column.addWidget(self.view, 1)
        self.budget = BudgetBar()
        self.budget_bar, self.budget_label = self.budget.bar, self.budget.label
        column.addWidget(self.budget)
        self.composer = Composer()
        column.addWidget(self.composer)
        return center

    def _connect(self) -> None:
        self.conversations.selected.connect(self.show_conversation)
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.deleted.connect(self._on_deleted)
        self.model_combo.activated.connect(self._model_picked)
        self.system_button.toggled.connect(lambda on: self.system_frame.setVisible(on))
        self.sampling_button.toggled.connect(lambda on: self.sampling.setVisible(on))
        add_export_menu(self.export_button, self._export_dialog)
        self.presets.activated.connect(self._preset_picked)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.sampling.changed.connect(self._sampling_changed)
        self.session.loading.connect(self._on_loading)
        self.session.loaded.connect(self._on_loaded)
        self.session.load_failed.connect(self._on_load_failed)
        self.ctx.models_changed.connect(self.refresh_models)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warm_up_queued:
            self._warm_up_queued = True
            QTimer.singleShot(WARM_UP_DELAY_MS, self._warm_up)

    def _warm_up(self) -> None:
        """The one-time work of a first message, done while the user types it (icons, a message of each
        role laid out and painted, the model's file checked, the messages table read): done at the
        first Send, it stalled the UI thread for 60-90 ms (docs/performance.md)."""
        if not self.isVisible() or self.session.closed:  # the window closed meanwhile (its history too)
            return
        self.view.warm_up()
        model_id = self.current_model_id()
        if model_id is not None and self.session.pending_ref is None:
            self.session.prevalidate(model_id)
        with contextlib.suppress(StoreError):  # only a head start: a real error shows on the real read
            self.store.messages(-1)
        self.warmed_up = True

    def refresh_models(self) -> None:
        installed = self.models.refresh(self.conv.model_id if self.conv else None)
        self.stack.setCurrentIndex(1 if installed else 0)
        self._apply_model_defaults()

    def current_model_id(self) -> str | None:
        return self.models.current_id()

    def _apply_model_defaults(self) -> None:
        self.sampling.set_defaults(self.models.defaults())
        self.sampling.set_values(self.conv.sampling if self.conv else self._draft_sampling)

    def _model_picked(self, _index: int) -> None:
        if self.conv is not None:
            self.conv = self.store.update(self.conv.id, model_id=self.current_model_id())
        self._apply_model_defaults()
        self.ensure_model()

    def ensure_model(self) -> bool:
        """Load the picked model with the conversation's context size unless it is loaded or loading."""
        return self.models.ensure_loaded(self.session, int(self.sampling.values()["context_size"]))

    def _on_loading(self, ref: str) -> None:
        self.budget.set_text(self.tr("Loading {model}…").format(model=ref))

    def _on_loaded(self, model: LoadedModel) -> None:
        self.budget.set_text(self.tr("{model} loaded in {ms:.0f} ms").format(model=model.name, ms=model.load_ms))
        if model.repair is not None:
            self._show_notice(repair_text(model.repair))
        self._measure()

    def _on_load_failed(self, message: str) -> None:
        self.budget.set_text(self.tr("The model could not be loaded"))
        self._show_notice(self.tr("The model could not be loaded: {error}").format(error=message))

    def new_chat(self) -> None:
        self._save_system_prompt()
        self._detach_reply()
        self.conv = None
        self.view.clear()
        self.system_edit.setPlainText("")
        self._draft_sampling = {}
        self.conversations.list.clearSelection()
        self.conversations.list.setCurrentRow(-1)
        self.models.select(self.ctx.default_model("chat"))
        self._apply_model_defaults()
        self.notice.hide()
        self.focus_input()

    def show_conversation(self, conversation_id: int) -> None:
        if self.conv is not None and self.conv.id == conversation_id:
            return
        self._save_system_prompt()
        self._detach_reply()
        self.conv = self.store.get(conversation_id)
        self.view.clear()
        for message in self.store.messages(conversation_id):
            self._add_widget(message)
        self._update_actions()
        self.system_edit.setPlainText(self.conv.system_prompt)
        self.system_button.setChecked(bool(self.conv.system_prompt) or self.system_button.isChecked())
        self.models.select(self.conv.model_id)
        self._apply_model_defaults()
        self.notice.hide()
        self.view.scroll_to_end()
        self.ensure_model()
        self._measure()

    def _on_deleted(self, conversation_id: int) -> None:
        if self.conv is not None and self.conv.id == conversation_id:
            self.conv = None
            self._detach_reply()
            self.view.clear()
            self.system_edit.setPlainText("")

    def _save_system_prompt(self) -> None:
        if self.conv is not None and self.system_edit.toPlainText() != self.conv.system_prompt:
            self.conv = self.store.update(self.conv.id, system_prompt=self.system_edit.toPlainText())

    def _preset_picked(self, index: int) -> None:
        prompt = self.presets.itemData(index)
        if prompt is not None:
            self.system_edit.setPlainText(str(prompt))
            self._save_system_prompt()
        self.presets.setCurrentIndex(0)

    def _sampling_changed(self, values: dict[str, Any]) -> None:
        if self.conv is not None:
            self.conv = self.store.update(self.conv.id, sampling=values)
        else:
            self._draft_sampling = values

    def _add_widget(self, message: StoredMessage) -> MessageWidget:
        widget = MessageWidget(message.role, message.content)
        widget.message_id = message.id
        widget.set_stats(message.stats)
        if not message.finished:
            widget.set_error(self.tr("This reply did not finish: it stopped while it was being written."))
        widget.edit_requested.connect(self.edit_last)
        widget.regenerate_requested.connect(self.regenerate)
        return self.view.add(widget)

    def _update_actions(self) -> None:
        self.view.update_actions(idle=self.reply is None)

    def send(self, text: str) -> None:
        """Save the user's message and stream a reply to it."""
        text = text.strip()
        if not text or self.reply is not None:
            return
        if self.current_model_id() is None:
            self._show_notice(self.tr("Install or import a chat model first (see the Models page)."))
            return
        if self.conv is None:
            title = text.splitlines()[0][:TITLE_LENGTH].strip() or self.tr("New chat")
            self.conv = self.store.create(
                title, model_id=self.current_model_id(), system_prompt=self.system_edit.toPlainText(),
                sampling=self.sampling.values(),
            )
            # Listed on the next turn of the event loop: the reply starts first (the list's query
            # and rebuild would otherwise add to the one long stall of the click).
            QTimer.singleShot(0, self, lambda conv_id=self.conv.id: self._list_new_conversation(conv_id))
        else:
            self._save_system_prompt()
        message = self.store.add_message(self.conv.id, "user", text)
        self.composer.input.clear()
        self._add_widget(message)
        self.view.scroll_to_end()
        self._start_reply()

    def _list_new_conversation(self, conversation_id: int) -> None:
        with contextlib.suppress(StoreError):  # the window closed (and its history) in between
            self.conversations.refresh(select=conversation_id)

    def _start_reply(self) -> None:
        assert self.conv is not None
        self.notice.hide()
        self.ensure_model()
        sampling = sampling_from(self.sampling.values())
        widget = self.view.add(MessageWidget("assistant"))
        widget.streaming = True
        widget.regenerate_requested.connect(self.regenerate)
        history = conversation_history(self.store, self.conv)
        task = grounded_task(self.session, self.kb_picker, self.kb_backend, history)
        task = task or self.session.generate(history, sampling)
        reply = ReplyRun(task, self.conv.id, widget, ReplySaver(self.store, self.conv.id, self), self._show_budget)
        self.reply = reply
        task.succeeded.connect(lambda result: self._on_reply(reply, result))
        task.done.connect(lambda: self._on_reply_done(reply))
        self.composer.set_generating(True)
        self._update_actions()
        self.busy_changed.emit(True)

    def _on_reply(self, reply: ReplyRun, result: Reply) -> None:
        self.last_sources = reply.sources or self.last_sources
        stats = reply.finish(result, self.view)
        self._show_budget(result.budget)
        self.reply_finished.emit(stats)

    def _on_reply_done(self, reply: ReplyRun) -> None:
        reply.close()
        if self.reply is reply:
            self.reply = None
        self.composer.set_generating(False)
        self._update_actions()
        self.busy_changed.emit(False)

    def _detach_reply(self) -> None:
        """Stop the reply (it is still saved to its conversation) and stop showing it here."""
        if self.reply is not None:
            self.session.stop()
            self.reply.widget = None

    def stop(self) -> None:
        if self.reply is not None:
            self.session.stop()

    def regenerate(self) -> None:
        if self.reply is not None or self.conv is None:
            return
        widgets = self.view.messages()
        if not widgets or widgets[-1].role != "assistant":
            return
        last = widgets[-1]
        if last.message_id is not None:
            self.store.delete_messages_from(self.conv.id, last.message_id)
        self.view.remove(last)
        self._start_reply()

    def edit_last(self) -> None:
        """Take back the last user message (and the reply to it) into the input box to edit and resend."""
        if self.reply is not None or self.conv is None:
            return
        last = next((w for w in reversed(self.view.messages()) if w.role == "user"), None)
        if last is None or last.message_id is None:
            return
        self.store.delete_messages_from(self.conv.id, last.message_id)
        self.composer.input.setPlainText(last.text)
        self.view.remove_from(last)
        self._update_actions()
        self.focus_input()
        self._measure()

    def _measure(self) -> None:
        """Count the conversation's tokens (on the model's worker); a reply in flight reports its own."""
        if self.conv is None or self.session.pending_ref is None or self.reply is not None:
            return
        task = self.session.measure(conversation_history(self.store, self.conv), self.sampling.values()["max_tokens"])
        conv_id = self.conv.id

        def show(budget: Budget | None) -> None:
            if self.reply is None and self.conv is not None and self.conv.id == conv_id:
                self._show_budget(budget)

        task.succeeded.connect(show)

    def _show_budget(self, budget: Budget | None) -> None:
        if budget is None:
            return
        self.last_budget = budget
        notice = self.budget.show_budget(budget)
        if notice is not None:
            self._show_notice(notice)

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def _export_dialog(self, fmt: str) -> None:
        path = ask_path(self, self.conv.title, fmt) if self.conv is not None else None
        if path is not None:
            self.export_to(path, fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        if self.conv is not None:
            write_export(self.store, self.conv.id, path, fmt)

    def focus_input(self) -> None:
        self.composer.input.setFocus()

    def shutdown(self) -> None:
        self._save_system_prompt()
        if self.reply is not None:
            self.reply.saver.stop()  # the reply may not get to finish before the store closes
        self._detach_reply()
