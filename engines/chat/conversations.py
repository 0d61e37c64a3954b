"""Chat history in SQLite (WAL): conversations and their messages, saved one message at a time.

Each message is committed on its own. A reply is saved while it streams (`start_reply`,
`update_reply`, at most about once a second: see ReplyDraft) and marked finished at the end, so
`kill -9` mid-reply keeps what had streamed, and a reply left unfinished is shown as such. One
connection is shared behind a lock; every statement is short, so callers on any thread (the
GUI's UI thread included) never wait long. The file is created 0600 on POSIX.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from engines.errors import StoreError
from engines.paths import PRIVATE_FILE, data_dir

SCHEMA_VERSION = 2
SAVE_INTERVAL = 1.0  # seconds between saves of a streaming reply

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    model_id TEXT,
    system_prompt TEXT NOT NULL DEFAULT '',
    sampling TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    stats TEXT,
    created_at REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
"""


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: int
    role: str  # "user" or "assistant"; the system prompt belongs to the conversation
    content: str
    stats: dict[str, Any] | None
    created_at: float
    finished: bool = True  # False: a reply that was still streaming when the app stopped


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    model_id: str | None
    system_prompt: str
    sampling: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


_Row = TypeVar("_Row", Conversation, StoredMessage)


class ReplyDraft:
    """A streaming reply saved as it grows: the first text creates the row, later text updates it
    at most every `interval` seconds, `finish` writes the whole reply and marks it finished.

    A reply that ends empty leaves no row. Errors saving a draft (the conversation was deleted
    meanwhile) are dropped: the reply on screen matters more than its copy."""

    def __init__(
        self, store: ConversationStore, conversation_id: int, interval: float = SAVE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.interval = interval
        self.clock = clock
        self.text = ""
        self.message_id: int | None = None
        self._saved = ""
        self._saved_at = -float("inf")

    def append(self, text: str) -> None:
        self.text += text
        if self.clock() - self._saved_at >= self.interval:
            self.save()

    @property
    def pending(self) -> bool:
        """Text that streamed since the last save."""
        return self.text != self._saved

    def seconds_to_next_save(self) -> float:
        return max(0.0, self._saved_at + self.interval - self.clock())

    def save(self) -> None:
        if not self.text.strip() or not self.pending:
            return
        try:
            if self.message_id is None:
                self.message_id = self.store.start_reply(self.conversation_id, self.text).id
            else:
                self.store.update_reply(self.message_id, self.text)
        except StoreError:
            return
        self._saved, self._saved_at = self.text, self.clock()

    def finish(self, text: str, stats: dict[str, Any] | None = None) -> int | None:
        """Save the final reply (an empty one is removed); its message id, or None."""
        self.text = self._saved = text
        try:
            if not text.strip():
                if self.message_id is not None:
                    self.store.delete_messages_from(self.conversation_id, self.message_id)
                self.message_id = None
            elif self.message_id is None:
                self.message_id = self.store.add_message(self.conversation_id, "assistant", text, stats).id
            else:
                self.store.finish_reply(self.message_id, text, stats)
        except StoreError:
            return None
        return self.message_id


def conversations_file() -> Path:
    return data_dir() / "conversations.sqlite3"


def _from_row(cls: type[_Row], row: sqlite3.Row, **decoded: Any) -> _Row:
    """`cls` from the columns of the same names; `decoded`: the fields stored as JSON or integers."""
    return cls(**{f.name: decoded[f.name] if f.name in decoded else row[f.name] for f in fields(cls)})


def _conversation(row: sqlite3.Row) -> Conversation:
    return _from_row(Conversation, row, sampling=json.loads(row["sampling"] or "{}"))


def _message(row: sqlite3.Row) -> StoredMessage:
    return _from_row(StoredMessage, row, stats=json.loads(row["stats"]) if row["stats"] else None,
                     finished=bool(row["finished"]))


def _create_private(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal and -shm files the same mode), and
    close one that an older version left readable by others."""
    if os.name != "posix":
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))
        for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.exists() and companion.stat().st_mode & 0o077:
                companion.chmod(PRIVATE_FILE)
    except OSError:
        pass  # sqlite3.connect reports a folder that cannot be written


def _migrate(db: sqlite3.Connection) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    if version < 2 and "finished" not in columns:
        db.execute("ALTER TABLE messages ADD COLUMN finished INTEGER NOT NULL DEFAULT 1")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


class ConversationStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or conversations_file()
        self._lock = threading.Lock()
        _create_private(self.path)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            _migrate(self._db)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the chat history {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"the chat history {self.path} could not be updated: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._db.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise StoreError(f"the chat history {self.path} could not be read: {exc}") from exc

    # -- conversations -----------------------------------------------------------------------
    def create(
        self,
        title: str,
        *,
        model_id: str | None = None,
        system_prompt: str = "",
        sampling: dict[str, Any] | None = None,
    ) -> Conversation:
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO conversations (title, model_id, system_prompt, sampling, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (title, model_id, system_prompt, json.dumps(sampling or {}), now, now),
            )
            new_id = int(cursor.lastrowid or 0)
        return self.get(new_id)

    def get(self, conversation_id: int) -> Conversation:
        rows = self._query("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise StoreError(f"the conversation {conversation_id} no longer exists")
        return _conversation(rows[0])

    def conversations(self, search: str = "") -> list[Conversation]:
        """Newest first; `search` matches titles and message text, case-insensitively."""
        if not search.strip():
            rows = self._query("SELECT * FROM conversations ORDER BY updated_at DESC, id DESC")
        else:
            pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self._query(
                "SELECT * FROM conversations c WHERE c.title LIKE ?1 ESCAPE '\\' OR EXISTS ("
                " SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content LIKE ?1 ESCAPE '\\')"
                " ORDER BY updated_at DESC, id DESC",
                (pattern,),
            )
        return [_conversation(r) for r in rows]

    def update(self, conversation_id: int, **changes: Any) -> Conversation:
        allowed = {"title", "model_id", "system_prompt", "sampling"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown conversation fields: {sorted(unknown)}")
        if "sampling" in changes:
            changes["sampling"] = json.dumps(changes["sampling"] or {})
        if changes:
            columns = ", ".join(f"{name} = ?" for name in changes)
            with self._tx() as db:
                db.execute(
                    f"UPDATE conversations SET {columns}, updated_at = ? WHERE id = ?",
                    (*changes.values(), time.time(), conversation_id),
                )
        return self.get(conversation_id)

    def rename(self, conversation_id: int, title: str) -> Conversation:
        return self.update(conversation_id, title=title)

    def delete(self, conversation_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # -- messages ----------------------------------------------------------------------------
    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self._query("SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [_message(r) for r in rows]

    def add_message(
        self, conversation_id: int, role: str, content: str, stats: dict[str, Any] | None = None
    ) -> StoredMessage:
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, content, stats, created_at) VALUES (?, ?, ?, ?, ?)",
                (conversation_id, role, content, json.dumps(stats) if stats else None, now),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            new_id = int(cursor.lastrowid or 0)
        return StoredMessage(new_id, conversation_id, role, content, stats, now)

    def start_reply(self, conversation_id: int, content: str) -> StoredMessage:
        """An assistant reply that is still streaming: saved now, `finished` False until finish_reply."""
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO messages (conversation_id, role, content, stats, created_at, finished)"
                " VALUES (?, 'assistant', ?, NULL, ?, 0)",
                (conversation_id, content, now),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            new_id = int(cursor.lastrowid or 0)
        return StoredMessage(new_id, conversation_id, "assistant", content, None, now, finished=False)

    def update_reply(self, message_id: int, content: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE messages SET content = ? WHERE id = ? AND finished = 0", (content, message_id))

    def finish_reply(self, message_id: int, content: str, stats: dict[str, Any] | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE messages SET content = ?, stats = ?, finished = 1 WHERE id = ?",
                (content, json.dumps(stats) if stats else None, message_id),
            )

    def edit_message(self, message_id: int, content: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE messages SET content = ? WHERE id = ?", (content, message_id))

    def delete_messages_from(self, conversation_id: int, message_id: int) -> None:
        """Delete a message and everything after it (regenerate, edit and resend)."""
        with self._tx() as db:
            db.execute("DELETE FROM messages WHERE conversation_id = ? AND id >= ?", (conversation_id, message_id))


# -- export --------------------------------------------------------------------------------------
def export_json(conversation: Conversation, messages: Sequence[StoredMessage]) -> str:
    data = {
        "format": "candeia-conversation",
        "version": 1,
        "title": conversation.title,
        "model": conversation.model_id,
        "system_prompt": conversation.system_prompt,
        "sampling": conversation.sampling,
        "created_at": conversation.created_at,
        "messages": [
            {"role": m.role, "content": m.content, "created_at": m.created_at, "stats": m.stats} for m in messages
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_markdown(
    conversation: Conversation, messages: Sequence[StoredMessage], labels: dict[str, str] | None = None
) -> str:
    """`labels` lets the GUI pass translated role names."""
    names = {"system": "System", "user": "User", "assistant": "Assistant", **(labels or {})}
    parts = [f"# {conversation.title}\n"]
    if conversation.model_id:
        parts.append(f"*{conversation.model_id}*\n")
    if conversation.system_prompt.strip():
        parts.append(f"## {names['system']}\n\n{conversation.system_prompt.strip()}\n")
    for message in messages:
        parts.append(f"## {names[message.role]}\n\n{message.content.strip()}\n")
    return "\n".join(parts)
