"""One reply in flight on the Chat page: its task, where it is saved, and where it is shown.

A reply keeps the id of the conversation it belongs to: switching conversations mid-reply stops it
and still saves it there (`widget` is None once the page no longer shows it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from desktop.pages.chat.grounding import KnowledgeBasePicker, grounded_job, show_sources
from desktop.pages.chat.message_view import MessageView, MessageWidget
from desktop.pages.chat.reply_saver import ReplySaver
from desktop.pages.documents.backend import DocumentsBackend
from desktop.pages.documents.sources_view import SourcesView
from desktop.session import Budget, ModelSession, Reply, error_text
from desktop.workers import Task
from engines.chat.conversations import Conversation, ConversationStore
from engines.errors import EngineCrashedError
from engines.llama.template import Message


def conversation_history(store: ConversationStore, conversation: Conversation) -> list[Message]:
    """What a reply answers: the conversation's system prompt (if any) and its saved messages."""
    messages: list[Message] = []
    if conversation.system_prompt.strip():
        messages.append({"role": "system", "content": conversation.system_prompt})
    messages.extend({"role": m.role, "content": m.content} for m in store.messages(conversation.id))
    return messages


def grounded_task(session: ModelSession, picker: KnowledgeBasePicker, backend: DocumentsBackend,
                  history: list[Message]) -> Task | None:
    """With a knowledge base picked, the reply answers the last message from its documents (the
    earlier user messages go along: a follow-up question is searched with them)."""
    kb = picker.current_kb()
    question = history[-1]["content"] if history and history[-1]["role"] == "user" else ""
    if kb is None or not question:
        return None
    earlier = [m["content"] for m in history[:-1] if m["role"] == "user"]
    return session.run_with_model("kb answer", grounded_job(backend, kb, question, earlier))


class ReplyRun:
    """Follows its task: text is saved and shown as it streams, the budget goes to `show_budget`, and
    a failure keeps what streamed."""

    def __init__(self, task: Task, conversation_id: int, widget: MessageWidget | None, saver: ReplySaver,
                 show_budget: Callable[[Budget], None]) -> None:
        self.task = task
        self.conversation_id = conversation_id
        self.widget = widget
        self.saver = saver
        self._show_budget = show_budget
        self.sources: SourcesView | None = None  # a knowledge-base answer's numbered sources
        task.progressed.connect(self._progress)
        task.failed.connect(self.fail)

    def _progress(self, item: tuple[str, Any]) -> None:
        kind, value = item
        if kind == "sources" and self.widget is not None:
            self.sources = show_sources(self.widget, value)
        elif kind == "budget":
            self._show_budget(value)
        elif kind == "text":
            self.saver.append(value)
            if self.widget is not None:
                self.widget.append(value)

    def finish(self, result: Reply, view: MessageView) -> dict[str, Any]:
        """Save the whole reply, marked finished, and settle its widget (an empty reply is removed).
        Returns its statistics."""
        stats = asdict(result.stats)
        message_id = self.saver.finish(result.text, stats)
        if self.widget is not None:
            self.widget.message_id = message_id
            if result.text.strip():
                self.widget.set_text(result.text)
                if result.stats.generated_tokens:  # a knowledge-base answer brings no statistics
                    self.widget.set_stats(stats)
            else:
                view.remove(self.widget)
                self.widget = None
        return stats

    def fail(self, error: object) -> None:
        """Keep what streamed: after a crash it is marked interrupted (Retry replaces it with a new
        reply); after another error it stays unfinished."""
        crashed = isinstance(error, EngineCrashedError)
        if crashed:
            message_id = self.saver.finish(self.saver.draft.text, {"interrupted": error_text(error)})
        else:
            message_id = self.saver.stop()
        if self.widget is not None:
            self.widget.message_id = message_id
            self.widget.set_text(self.widget.text)
            self.widget.set_error(error_text(error), retry=crashed)

    def close(self) -> None:
        self.saver.stop()
        self.saver.deleteLater()
