"""Save a reply while it streams, so that `kill -9` or a power cut mid-reply keeps what had arrived.

ReplyDraft (engines/chat/conversations.py) saves at most once a second as text arrives; a timer here
saves the tail when the stream pauses, so what is on screen is at most about a second ahead of
the disk.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer

from engines.chat.conversations import ConversationStore, ReplyDraft


class ReplySaver(QObject):
    def __init__(self, store: ConversationStore, conversation_id: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.draft = ReplyDraft(store, conversation_id)
        self._timer = QTimer(self)
        self._timer.setObjectName("save streaming reply")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.draft.save)

    @property
    def message_id(self) -> int | None:
        return self.draft.message_id

    def append(self, text: str) -> None:
        self.draft.append(text)
        if self.draft.pending and not self._timer.isActive():
            self._timer.start(int(self.draft.seconds_to_next_save() * 1000) + 1)

    def stop(self) -> int | None:
        """Save what streamed and leave the reply unfinished (it failed or the app is closing)."""
        self._timer.stop()
        self.draft.save()
        return self.draft.message_id

    def finish(self, text: str, stats: dict[str, Any] | None) -> int | None:
        """The reply is complete (or was stopped by the user): saved whole and marked finished."""
        self._timer.stop()
        return self.draft.finish(text, stats)
