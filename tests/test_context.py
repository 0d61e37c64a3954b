from __future__ import annotations

from collections.abc import Sequence

import pytest

from engines.chat.context import fit_to_context, reply_room
from engines.errors import GenerationError
from engines.llama.template import Message


def count(messages: Sequence[Message]) -> int:
    return sum(len(m["content"].split()) + 2 for m in messages)


def conversation(turns: int) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": "sys " * 8}]
    for i in range(turns):
        messages.append({"role": "user", "content": f"question {i} " + "w " * 10})
        messages.append({"role": "assistant", "content": f"answer {i} " + "w " * 10})
    messages.append({"role": "user", "content": "last"})
    return messages


def test_fits_without_dropping() -> None:
    fitted = fit_to_context(conversation(2), count, context_size=400, max_tokens=50)
    assert fitted.dropped == 0 and fitted.messages == conversation(2)


def test_drops_oldest_whole_turns_and_keeps_the_system_prompt() -> None:
    messages = conversation(10)
    fitted = fit_to_context(messages, count, context_size=200, max_tokens=64)
    assert fitted.messages[0]["role"] == "system"
    assert fitted.messages[-1]["content"] == "last"
    assert fitted.dropped % 2 == 0 and fitted.dropped > 0
    assert fitted.messages[1:] == messages[1 + fitted.dropped:]
    assert fitted.prompt_tokens + fitted.reply_room <= 200
    # the fewest: keeping one more turn would not fit
    assert count(messages[:1] + messages[fitted.dropped - 1:]) + fitted.reply_room > 200


def test_a_message_too_long_alone_is_an_error() -> None:
    messages: list[Message] = [{"role": "user", "content": "w " * 500}]
    with pytest.raises(GenerationError, match="too long"):
        fit_to_context(messages, count, context_size=256, max_tokens=64)
    with pytest.raises(GenerationError, match="too long"):
        fit_to_context(conversation(3)[:-1] + messages, count, context_size=256, max_tokens=64)


def test_reply_room() -> None:
    assert reply_room(4096, 512) == 512
    assert reply_room(512, 4000) == 256
    assert reply_room(4096, None) == 1024
    assert reply_room(4096, 0) == 64
