"""The context budget: what fits in a model's context, and what to drop when a chat outgrows it.

Strategy (never silent: the caller is told how many messages were left out): keep the system
prompt and the newest turns; drop the oldest whole turns (a user message with the replies that
follow it) until the prompt plus room for the reply fits. The newest user message is never
dropped; if it alone does not fit, that is an error the user must act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engines.errors import GenerationError
from engines.llama.template import Message

MIN_REPLY_ROOM = 64


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[Message]
    prompt_tokens: int
    dropped: int  # messages left out, oldest first
    context_size: int
    reply_room: int


def reply_room(context_size: int, max_tokens: int | None) -> int:
    """Tokens kept free for the reply: max_tokens, but never more than half the context."""
    wanted = max_tokens if max_tokens is not None else context_size // 4
    return max(min(MIN_REPLY_ROOM, context_size // 2), min(wanted, context_size // 2))


def split_turns(messages: Sequence[Message]) -> tuple[list[Message], list[list[Message]]]:
    """The leading system message (if any), and the rest as turns: a user message with its replies."""
    system = [m for m in messages[:1] if m["role"] == "system"]
    turns: list[list[Message]] = []
    for message in messages[len(system):]:
        if message["role"] == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return system, turns


def too_long(tokens: int, context_size: int, room: int, *, alone: bool) -> GenerationError:
    """The error for a newest turn that does not fit even with every older turn dropped."""
    what = "the message is too long" if alone else "the last message is too long"
    return GenerationError(
        f"{what}: it needs {tokens} tokens with the system prompt, but the context holds "
        f"{context_size} with {room} kept for the reply; shorten it or raise the context size"
    )


def fit_to_context(
    messages: Sequence[Message],
    count_tokens: Callable[[Sequence[Message]], int],
    context_size: int,
    max_tokens: int | None = None,
) -> FittedPrompt:
    """Choose the messages to send. `count_tokens` renders and tokenizes (e.g. engine.chat_prompt_tokens)."""
    system, turns = split_turns(messages)
    room = reply_room(context_size, max_tokens)
    budget = context_size - room

    def attempt(skip: int) -> tuple[list[Message], int]:
        kept = system + [m for turn in turns[skip:] for m in turn]
        return kept, count_tokens(kept)

    kept, used = attempt(0)
    if used <= budget or len(turns) <= 1:
        if used > budget:
            raise too_long(used, context_size, room, alone=True)
        return FittedPrompt(kept, used, 0, context_size, room)
    # Dropping more turns never makes the prompt longer, so search for the fewest to drop.
    low, high = 1, len(turns) - 1
    best: tuple[int, list[Message], int] | None = None
    while low <= high:
        middle = (low + high) // 2
        candidate, tokens = attempt(middle)
        if tokens <= budget:
            best = (middle, candidate, tokens)
            high = middle - 1
        else:
            low = middle + 1
    if best is None:
        _, tokens = attempt(len(turns) - 1)
        raise too_long(tokens, context_size, room, alone=False)
    skip, kept, used = best
    dropped = sum(len(turn) for turn in turns[:skip])
    return FittedPrompt(kept, used, dropped, context_size, room)
