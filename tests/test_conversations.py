from __future__ import annotations

import json
import sqlite3

from engines.chat.conversations import ConversationStore, export_json, export_markdown


def test_messages_are_saved_one_by_one_and_survive_reopening() -> None:
    store = ConversationStore()
    conv = store.create("First", model_id="tiny", system_prompt="Be brief.", sampling={"temperature": 0.2})
    store.add_message(conv.id, "user", "Hello")
    store.add_message(conv.id, "assistant", "Hi!", {"generated_tokens": 2})
    store.close()  # like a crash right after the commit

    reopened = ConversationStore()
    [again] = reopened.conversations()
    assert (again.title, again.model_id, again.system_prompt, again.sampling) == (
        "First", "tiny", "Be brief.", {"temperature": 0.2}
    )
    messages = reopened.messages(conv.id)
    assert [(m.role, m.content) for m in messages] == [("user", "Hello"), ("assistant", "Hi!")]
    assert messages[1].stats == {"generated_tokens": 2}
    mode = sqlite3.connect(reopened.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    reopened.close()


def test_rename_search_delete_and_truncate() -> None:
    store = ConversationStore()
    a = store.create("Cooking")
    b = store.create("Travel")
    store.add_message(b.id, "user", "Best 100% route to Lisbon?")
    store.rename(a.id, "Recipes")
    assert [c.title for c in store.conversations("recip")] == ["Recipes"]
    assert [c.title for c in store.conversations("lisbon")] == ["Travel"]
    assert [c.title for c in store.conversations("100%")] == ["Travel"]
    assert store.conversations("_") == []
    m1 = store.add_message(a.id, "user", "q1")
    store.add_message(a.id, "assistant", "a1")
    store.add_message(a.id, "user", "q2")
    store.delete_messages_from(a.id, m1.id + 1)
    assert [m.content for m in store.messages(a.id)] == ["q1"]
    store.edit_message(m1.id, "q1 edited")
    assert store.messages(a.id)[0].content == "q1 edited"
    store.delete(a.id)
    assert [c.title for c in store.conversations()] == ["Travel"]
    assert store.messages(a.id) == []
    store.close()


def test_exports() -> None:
    store = ConversationStore()
    conv = store.create("Título", model_id="tiny", system_prompt="Sys")
    store.add_message(conv.id, "user", "Olá")
    store.add_message(conv.id, "assistant", "```py\nprint(1)\n```", {"tokens_per_s": 10.0})
    messages = store.messages(conv.id)
    data = json.loads(export_json(store.get(conv.id), messages))
    assert data["title"] == "Título" and data["system_prompt"] == "Sys"
    assert [m["role"] for m in data["messages"]] == ["user", "assistant"]
    markdown = export_markdown(store.get(conv.id), messages, {"user": "Você"})
    assert markdown.startswith("# Título\n")
    assert "## Você\n\nOlá" in markdown and "```py\nprint(1)\n```" in markdown and "## System\n\nSys" in markdown
    store.close()
