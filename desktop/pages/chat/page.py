"""The Chat page: ties the conversation store, the model session and the widgets together.

The user's message is saved at once; a reply is saved while it streams (reply_saver.py, about
once a second) and marked finished when it ends or is stopped, so a crash keeps what had
streamed. A reply keeps the id of the conversation it belongs to: switching conversations
mid-reply stops it and still saves it there.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.appcontext import AppContext
from desktop.pages.chat.composer import Composer
from desktop.pages.chat.conversation_list import ConversationList
from desktop.pages.chat.grounding import KnowledgeBasePicker, grounded_job, show_sources
from desktop.pages.chat.message_view import MessageView, MessageWidget
from desktop.pages.chat.presets import system_presets
from desktop.pages.chat.reply_saver import ReplySaver
from desktop.pages.chat.sampling_panel import SamplingPanel, card_defaults, sampling_from
from desktop.pages.documents.backend import CoreBackend, DocumentsBackend
from desktop.pages.documents.sources_view import SourcesView
from desktop.pages.welcome import WelcomePage
from desktop.session import Budget, LoadedModel, Reply, error_text, repair_text
from desktop.workers import Task
from engines.chat.conversations import Conversation, StoredMessage, export_json, export_markdown
from engines.errors import EngineCrashedError, StoreError
from engines.host.open_model import load_options_from
from engines.llama.template import Message

TITLE_LENGTH = 48
WARM_UP_DELAY_MS = 100  # after the first paint, so start-up is not slowed


class _Reply:
    def __init__(self, task: Task, conversation_id: int, widget: MessageWidget | None, saver: ReplySaver) -> None:
        self.task = task
        self.conversation_id = conversation_id
        self.widget = widget
        self.saver = saver


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
        self.reply: _Reply | None = None
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
        self.conversations.selected.connect(self.show_conversation)
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.deleted.connect(self._on_deleted)
        body.addWidget(self.conversations)

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(12, 10, 12, 10)
        column.setSpacing(8)
        column.addLayout(self._build_header())
        self.system_frame = self._build_system_editor()
        column.addWidget(self.system_frame)
        self.notice = QLabel()
        self.notice.setTextFormat(Qt.TextFormat.PlainText)  # errors quote model files: never HTML
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        column.addWidget(self.notice)
        self.view = MessageView()
        column.addWidget(self.view, 1)
        budget_row = QHBoxLayout()
        self.budget_bar = QProgressBar()
        self.budget_bar.setTextVisible(False)
        self.budget_bar.setFixedHeight(6)
        self.budget_bar.setMaximumWidth(160)
        self.budget_bar.setAccessibleName(self.tr("Context used"))
        self.budget_label = QLabel()
        self.budget_label.setObjectName("muted")
        budget_row.addWidget(self.budget_bar)
        budget_row.addWidget(self.budget_label)
        budget_row.addStretch(1)
        column.addLayout(budget_row)
        self.composer = Composer()
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        column.addWidget(self.composer)
        body.addWidget(center)

        self.sampling = SamplingPanel()
        self.sampling.setMinimumWidth(230)
        self.sampling.changed.connect(self._sampling_changed)
        self.sampling.hide()
        body.addWidget(self.sampling)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(1, 1)
        body.setSizes([240, 760, 260])

        self.session.loading.connect(self._on_loading)
        self.session.loaded.connect(self._on_loaded)
        self.session.load_failed.connect(self._on_load_failed)
        ctx.models_changed.connect(self.refresh_models)
        self.refresh_models()
        self.conversations.refresh()
        self._set_budget_text(self.tr("No model loaded"))
        self._warm_up_queued = False
        self.warmed_up = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warm_up_queued:
            self._warm_up_queued = True
            QTimer.singleShot(WARM_UP_DELAY_MS, self._warm_up)

    def _warm_up(self) -> None:
        """Do the one-time work of a first message while the user is still typing it: render the
        message icons, lay out and paint a message of each role, check the selected model's file
        and read the messages table once. Done at the first Send, it stalled the UI thread for
        60-90 ms (docs/performance.md)."""
        if not self.isVisible() or self.session.closed:  # the window closed meanwhile (its history too)
            return
        self.view.warm_up()
        model_id = self.current_model_id()
        if model_id is not None and self.session.pending_ref is None:
            self.session.prevalidate(model_id)
        with contextlib.suppress(StoreError):  # only a head start: a real error shows on the real read
            self.store.messages(-1)
        self.warmed_up = True

    # -- building ------------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(220)
        self.model_combo.setAccessibleName(self.tr("Model"))
        self.model_combo.setToolTip(self.tr("The model that answers in this conversation"))
        self.model_combo.activated.connect(self._model_picked)
        row.addWidget(self.model_combo)
        self.kb_picker = KnowledgeBasePicker()
        row.addWidget(self.kb_picker)
        row.addStretch(1)
        self.system_button = self._tool("edit", self.tr("System prompt"), checkable=True)
        self.system_button.toggled.connect(lambda on: self.system_frame.setVisible(on))
        self.sampling_button = self._tool("sliders", self.tr("Sampling settings"), checkable=True)
        self.sampling_button.toggled.connect(lambda on: self.sampling.setVisible(on))
        self.export_button = self._tool("export", self.tr("Export conversation"))
        menu = QMenu(self.export_button)
        menu.addAction(self.tr("Export as Markdown…"), lambda: self._export_dialog("md"))
        menu.addAction(self.tr("Export as JSON…"), lambda: self._export_dialog("json"))
        self.export_button.setMenu(menu)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for button in (self.system_button, self.sampling_button, self.export_button):
            row.addWidget(button)
        return row

    def _tool(self, icon_name: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        theme.set_icon(button, icon_name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setCheckable(checkable)
        return button

    def _build_system_editor(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("card")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(10, 8, 10, 8)
        top = QHBoxLayout()
        label = QLabel(self.tr("System prompt"))
        label.setObjectName("muted")
        top.addWidget(label)
        top.addStretch(1)
        self.presets = QComboBox()
        self.presets.setAccessibleName(self.tr("System prompt presets"))
        self.presets.addItem(self.tr("Presets…"), None)
        for name, prompt in system_presets():
            self.presets.addItem(name, prompt)
        self.presets.activated.connect(self._preset_picked)
        top.addWidget(self.presets)
        layout.addLayout(top)
        self.system_edit = QPlainTextEdit()
        self.system_edit.setPlaceholderText(self.tr("Instructions the model follows in this conversation"))
        self.system_edit.setAccessibleName(self.tr("System prompt"))
        self.system_edit.setFixedHeight(70)
        self.system_edit.setTabChangesFocus(True)
        layout.addWidget(self.system_edit)
        frame.hide()
        return frame

    # -- models --------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        models = self.ctx.chat_models()
        current = self.model_combo.currentData()
        self.model_combo.clear()
        for model in models:
            self.model_combo.addItem(model.name, model.id)
        self.stack.setCurrentIndex(1 if models else 0)
        wanted = (self.conv.model_id if self.conv else None) or current or self.ctx.default_model("chat")
        self._select_model(wanted)
        self._apply_model_defaults()

    def _select_model(self, model_id: str | None) -> None:
        index = self.model_combo.findData(model_id) if model_id else -1
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    def current_model_id(self) -> str | None:
        data = self.model_combo.currentData()
        return str(data) if data else None

    def _apply_model_defaults(self) -> None:
        model_id = self.current_model_id()
        model = next((m for m in self.ctx.chat_models() if m.id == model_id), None)
        card = self.ctx.card(model.card_id) if model else None
        self.sampling.set_defaults(card_defaults(card, self.ctx.settings.context_size))
        self.sampling.set_values(self.conv.sampling if self.conv else self._draft_sampling)

    def _model_picked(self, _index: int) -> None:
        model_id = self.current_model_id()
        if self.conv is not None:
            self.conv = self.store.update(self.conv.id, model_id=model_id)
        self._apply_model_defaults()
        self.ensure_model()

    def ensure_model(self) -> bool:
        """Load the picked model with the conversation's context size and the current settings (threads,
        GPU layers) unless it is loaded that way already, or loading."""
        model_id = self.current_model_id()
        if model_id is None:
            return False
        options = load_options_from(self.ctx.settings, context_size=int(self.sampling.values()["context_size"]))
        loaded = self.session.model
        if self.session.pending_ref == model_id and (loaded is None or loaded.options == options):
            return True
        self.session.load(model_id, options, name=self.model_combo.currentText())
        return True

    def _on_loading(self, ref: str) -> None:
        self._set_budget_text(self.tr("Loading {model}…").format(model=ref))

    def _on_loaded(self, model: LoadedModel) -> None:
        self._set_budget_text(self.tr("{model} loaded in {ms:.0f} ms").format(model=model.name, ms=model.load_ms))
        if model.repair is not None:
            self._show_notice(repair_text(model.repair))
        self._measure()

    def _on_load_failed(self, message: str) -> None:
        self._set_budget_text(self.tr("The model could not be loaded"))
        self._show_notice(self.tr("The model could not be loaded: {error}").format(error=message))

    # -- conversations -------------------------------------------------------------------------
    def new_chat(self) -> None:
        self._save_system_prompt()
        self._detach_reply()
        self.conv = None
        self.view.clear()
        self.system_edit.setPlainText("")
        self._draft_sampling = {}
        self.conversations.list.clearSelection()
        self.conversations.list.setCurrentRow(-1)
        self._select_model(self.ctx.default_model("chat"))
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
        self._select_model(self.conv.model_id)
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

    # -- messages ------------------------------------------------------------------------------
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
        """Edit shows on the last user message, Regenerate on the last reply, and neither mid-reply."""
        widgets = self.view.messages()
        last_user = next((w for w in reversed(widgets) if w.role == "user"), None)
        idle = self.reply is None
        for widget in widgets:
            widget.edit_button.setVisible(idle and widget is last_user)
            widget.regenerate_button.setVisible(idle and widget is widgets[-1] and widget.role == "assistant")

    def _history(self, conversation: Conversation) -> list[Message]:
        messages: list[Message] = []
        if conversation.system_prompt.strip():
            messages.append({"role": "system", "content": conversation.system_prompt})
        messages.extend({"role": m.role, "content": m.content} for m in self.store.messages(conversation.id))
        return messages

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
        task = self._grounded_task() or self.session.generate(self._history(self.conv), sampling)
        reply = _Reply(task, self.conv.id, widget, ReplySaver(self.store, self.conv.id, self))
        self.reply = reply
        task.progressed.connect(lambda item: self._on_progress(reply, item))
        task.succeeded.connect(lambda result: self._on_reply(reply, result))
        task.failed.connect(lambda error: self._on_reply_failed(reply, error))
        task.done.connect(lambda: self._on_reply_done(reply))
        self.composer.set_generating(True)
        self._update_actions()
        self.busy_changed.emit(True)

    def _grounded_task(self) -> Task | None:
        """With a knowledge base picked, the reply answers the last message from its documents."""
        kb = self.kb_picker.current_kb()
        question = self.store.messages(self.conv.id)[-1].content if self.conv is not None else ""
        if kb is None or not question:
            return None
        return self.session.run_with_model("kb answer", grounded_job(self.kb_backend, kb, question))

    def _on_progress(self, reply: _Reply, item: tuple[str, Any]) -> None:
        kind, value = item
        if kind == "sources" and reply.widget is not None:
            self.last_sources = show_sources(reply.widget, value)
        elif kind == "budget":
            self._show_budget(value)
        elif kind == "text":
            reply.saver.append(value)
            if reply.widget is not None:
                reply.widget.append(value)

    def _on_reply(self, reply: _Reply, result: Reply) -> None:
        stats = asdict(result.stats)
        message_id = reply.saver.finish(result.text, stats)
        if reply.widget is not None:
            reply.widget.message_id = message_id
            if result.text.strip():
                reply.widget.set_text(result.text)
                if result.stats.generated_tokens:  # a knowledge-base answer brings no statistics
                    reply.widget.set_stats(stats)
            else:
                self.view.remove(reply.widget)
                reply.widget = None
        self._show_budget(result.budget)
        self.reply_finished.emit(stats)

    def _on_reply_failed(self, reply: _Reply, error: object) -> None:
        crashed = isinstance(error, EngineCrashedError)
        if crashed:
            # what had streamed is kept, marked as interrupted; Retry replaces it with a new reply
            message_id = reply.saver.finish(reply.saver.draft.text, {"interrupted": error_text(error)})
        else:
            message_id = reply.saver.stop()  # what streamed is kept, marked unfinished
        if reply.widget is not None:
            reply.widget.message_id = message_id
            reply.widget.set_text(reply.widget.text)
            reply.widget.set_error(error_text(error), retry=crashed)

    def _on_reply_done(self, reply: _Reply) -> None:
        reply.saver.stop()
        reply.saver.deleteLater()
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
        widgets = self.view.messages()
        index = next((i for i in range(len(widgets) - 1, -1, -1) if widgets[i].role == "user"), None)
        message_id = widgets[index].message_id if index is not None else None
        if index is None or message_id is None:
            return
        self.store.delete_messages_from(self.conv.id, message_id)
        self.composer.input.setPlainText(widgets[index].text)
        for widget in widgets[index:]:
            self.view.remove(widget)
        self._update_actions()
        self.focus_input()
        self._measure()

    # -- context budget ------------------------------------------------------------------------
    def _measure(self) -> None:
        """Count the conversation's tokens (on the model's worker); a reply in flight reports its own."""
        if self.conv is None or self.session.pending_ref is None or self.reply is not None:
            return
        task = self.session.measure(self._history(self.conv), self.sampling.values()["max_tokens"])
        conv_id = self.conv.id

        def show(budget: Budget | None) -> None:
            if self.reply is None and self.conv is not None and self.conv.id == conv_id:
                self._show_budget(budget)

        task.succeeded.connect(show)

    def _set_budget_text(self, text: str) -> None:
        self.budget_label.setText(text)

    def _show_budget(self, budget: Budget | None) -> None:
        if budget is None:
            return
        self.last_budget = budget
        self.budget_bar.setMaximum(budget.context_size)
        self.budget_bar.setValue(min(budget.used, budget.context_size))
        self._set_budget_text(self.tr("{used} of {total} context tokens").format(
            used=budget.used, total=budget.context_size))
        if budget.dropped > 0:
            self._show_notice(self.tr(
                "This conversation is longer than the model's context ({total} tokens): the oldest {count} "
                "messages are left out of what the model sees. The system prompt and the newest messages are kept."
            ).format(total=budget.context_size, count=budget.dropped))
        elif budget.dropped < 0:
            self._show_notice(self.tr(
                "The last message is too long for the model's context ({total} tokens). "
                "Shorten it or raise the context size in the sampling settings."
            ).format(total=budget.context_size))

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    # -- export --------------------------------------------------------------------------------
    def _export_dialog(self, fmt: str) -> None:
        if self.conv is None:
            return
        suffix = "md" if fmt == "md" else "json"
        filters = self.tr("Markdown (*.md)") if fmt == "md" else self.tr("JSON (*.json)")
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in self.conv.title).strip() or "chat"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export conversation"), f"{safe}.{suffix}", filters)
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        if self.conv is None:
            return
        conv = self.store.get(self.conv.id)
        messages = self.store.messages(conv.id)
        if fmt == "md":
            labels = {"system": self.tr("System"), "user": self.tr("You"), "assistant": self.tr("Assistant")}
            text = export_markdown(conv, messages, labels)
        else:
            text = export_json(conv, messages)
        path.write_text(text, encoding="utf-8")

    # -- focus and shutdown ----------------------------------------------------------------------
    def focus_input(self) -> None:
        self.composer.input.setFocus()

    def shutdown(self) -> None:
        self._save_system_prompt()
        if self.reply is not None:
            self.reply.saver.stop()  # the reply may not get to finish before the store closes
        self._detach_reply()
