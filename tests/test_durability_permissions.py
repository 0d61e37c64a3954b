"""Durability and permissions of what Candeia keeps (issue 15, finding 11).

- a reply is saved as it streams, at most about once a second, and marked finished at the end,
  so `kill -9` mid-reply keeps what had streamed;
- atomic writes fsync the folder after the rename (POSIX);
- the data folder is 0700 and the files in it 0600 (POSIX), the chat history included.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engines import paths
from engines.atomic import atomic_write_json, atomic_write_text
from engines.chat.conversations import ConversationStore, ReplyDraft
from engines.system.crashlog import crash_log_path, write_crash

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_draft_is_saved_at_most_once_a_second_and_finished_at_the_end(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conv = store.create("t")
    store.add_message(conv.id, "user", "hi")
    clock = Clock()
    draft = ReplyDraft(store, conv.id, interval=1.0, clock=clock)
    draft.append("   ")  # only whitespace: nothing to keep yet
    assert draft.message_id is None and len(store.messages(conv.id)) == 1
    draft.append("Once")
    first = store.messages(conv.id)[-1]
    assert (first.content, first.finished) == ("   Once", False)
    for word in (" upon", " a", " time"):
        clock.now += 0.3
        draft.append(word)
    assert store.messages(conv.id)[-1].content == "   Once"  # 0.9 s later: not saved again yet
    assert draft.pending and 0 < draft.seconds_to_next_save() <= 0.11
    clock.now += 0.2
    draft.append(",")
    assert store.messages(conv.id)[-1].content == "   Once upon a time,"
    assert draft.finish("   Once upon a time, the end.", {"generated_tokens": 9}) == first.id
    final = store.messages(conv.id)[-1]
    assert (final.id, final.content, final.finished) == (first.id, "   Once upon a time, the end.", True)
    assert final.stats == {"generated_tokens": 9}
    store.close()


def test_an_empty_reply_leaves_no_row_and_a_deleted_conversation_is_not_an_error(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    conv = store.create("t")
    draft = ReplyDraft(store, conv.id, interval=0.0)
    draft.append("something")
    assert draft.finish("") is None
    assert store.messages(conv.id) == []
    short = ReplyDraft(store, conv.id)
    assert short.finish("quick") is not None and store.messages(conv.id)[0].finished  # never a draft
    gone = ReplyDraft(store, conv.id, interval=0.0)
    store.delete(conv.id)
    gone.append("late text")  # the conversation was deleted mid-reply
    assert gone.finish("late text") is None
    store.close()


_STREAMER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from engines.chat.conversations import ConversationStore, ReplyDraft
    store = ConversationStore(Path(sys.argv[1]))
    conv = store.create("crash")
    store.add_message(conv.id, "user", "Tell me")
    draft = ReplyDraft(store, conv.id, interval=0.05)
    for index in range(100000):
        draft.append(f"word{index} ")
        if index == 200:
            print("streaming", flush=True)
        time.sleep(0.001)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_9_mid_reply_keeps_what_had_streamed(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", _STREAMER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "streaming"
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    store = ConversationStore(db)
    [conv] = store.conversations()
    messages = store.messages(conv.id)
    store.close()
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content.startswith("word0 word1 ") and "word200 " in messages[1].content
    assert not messages[1].finished


def test_a_version_1_history_gains_the_finished_column(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    old = sqlite3.connect(db)
    old.executescript(
        "CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, model_id TEXT,"
        " system_prompt TEXT NOT NULL DEFAULT '', sampling TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL,"
        " updated_at REAL NOT NULL);"
        "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL"
        " REFERENCES conversations(id) ON DELETE CASCADE, role TEXT NOT NULL, content TEXT NOT NULL, stats TEXT,"
        " created_at REAL NOT NULL);"
        "INSERT INTO conversations VALUES (1, 'old', NULL, '', '{}', 1.0, 1.0);"
        "INSERT INTO messages VALUES (1, 1, 'assistant', 'kept', NULL, 1.0);"
        "PRAGMA user_version=1;"
    )
    old.close()
    store = ConversationStore(db)
    [message] = store.messages(1)
    assert (message.content, message.finished) == ("kept", True)
    store.close()


def test_atomic_writes_fsync_the_folder_after_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[tuple[bool, bool]] = []  # (a folder?, the new file already in place?)
    target = tmp_path / "state.json"
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write_json(target, {"a": 1})
    if os.name == "posix":
        assert synced == [(False, False), (True, True)]
    else:
        assert synced == [(False, False)]
    synced.clear()
    atomic_write_text(target, "x", durable=False)
    assert synced == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@posix_only
def test_the_data_folder_is_0700_and_its_files_0600(candeia_home: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        home = paths.data_dir()
        store = ConversationStore()
        conv = store.create("private")
        store.add_message(conv.id, "user", "my secrets")
        atomic_write_json(paths.settings_file(), {"offline": True})
        write_crash("test", RuntimeError, RuntimeError("boom"), None)
        files = [paths.settings_file(), crash_log_path(), home / "conversations.sqlite3"]
        files += [home / "conversations.sqlite3-wal", home / "conversations.sqlite3-shm"]
        store.close()
    finally:
        os.umask(old_umask)
    assert home == candeia_home and _mode(home) == 0o700
    for file in files:
        if file.exists():
            assert _mode(file) == 0o600, file
    assert (home / "conversations.sqlite3").exists()


@posix_only
def test_a_history_left_readable_by_an_older_version_is_closed(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    ConversationStore(db).close()
    db.chmod(0o644)
    ConversationStore(db).close()
    assert _mode(db) == 0o600


@posix_only
def test_the_default_data_folder_is_tightened_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "default-data"
    default.mkdir(mode=0o755)
    default.chmod(0o755)
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    monkeypatch.setenv(paths.CONFIG_ENV, str(tmp_path / "config"))
    monkeypatch.setattr(paths, "default_data_dir", lambda: default)
    assert paths.data_dir() == default and _mode(default) == 0o700
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    monkeypatch.setenv(paths.HOME_ENV, str(chosen))
    assert paths.data_dir() == chosen and _mode(chosen) == 0o755  # a folder the user named is left as it is
