"""engines/chat/session.py and fit.py: one fit per send, exact against the full render, and the reply stream."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from engines.chat.context import fit_to_context
from engines.chat.fit import fit_prompt
from engines.chat.session import Budget, ChatSession, Reply
from engines.errors import EngineCrashedError, GenerationError
from engines.jobs import CancelToken
from engines.llama import Finished, LlamaEngine, LoadOptions, SamplingOptions, TextDelta
from engines.llama.engine import ChatEvent, render_prompt
from engines.llama.stats import GenerationStats
from engines.llama.template import ChatTemplate, Message
from tests_support import run_cli

# Gemma's way: the system prompt is folded into the first user message, so dropping a turn changes
# the text of the turn that becomes first (turn costs are then only an estimate).
FOLDING = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] + '\n\n' %}"
    "{% set rest = messages[1:] %}{% else %}{% set sys = '' %}{% set rest = messages %}{% endif %}"
    "{% for m in rest %}<{{ m['role'] }}>{% if loop.first %}{{ sys }}{% endif %}{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}"
)
# A template that refuses a conversation ending with an unanswered user message unless asked for the
# reply: it refuses the probe, so the fit falls back to whole renders.
STRICT = (
    "{% if not add_generation_prompt and messages[-1]['role'] == 'user' %}"
    "{{ raise_exception('a user message needs the generation prompt') }}{% endif %}"
    "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}[assistant]{% endif %}"
)


class WordModel:
    """A ChatModel stand-in whose tokens are words (and each special tag); counts every tokenize call."""

    def __init__(self, template: str | None, context_size: int) -> None:
        self.template = ChatTemplate(source=template, bos_token="<s>", eos_token="</s>")
        self.context_size = context_size
        self.tokenized_words = 0

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        words = text.replace("<", " <").replace(">", "> ").split()
        self.tokenized_words += len(words)
        return ([1] if add_special else []) + [len(word) for word in words]

    def chat_prompt_tokens(self, messages: Sequence[Message]) -> list[int]:
        prompt, add_special = render_prompt(self.template, messages)
        return self.tokenize(prompt, add_special=add_special)


def conversation(turns: int, words: int = 12, system: bool = True) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": "Be brief. " * 4}] if system else []
    for i in range(turns):
        messages.append({"role": "user", "content": f"question {i} " + "word " * words})
        messages.append({"role": "assistant", "content": f"answer {i} " + "more " * words})
    messages.append({"role": "user", "content": "and the last question"})
    return messages


def assert_fewest_exact(model: Any, messages: list[Message], max_tokens: int | None) -> None:
    """The fitted prompt is the full render of the kept messages, it fits, and it equals the
    search over whole renders (context.py's)."""
    prompt = fit_prompt(model, messages, max_tokens)
    assert prompt.tokens == model.chat_prompt_tokens(prompt.messages)
    assert prompt.prompt_tokens + prompt.reply_room <= model.context_size
    reference = fit_to_context(messages, lambda ms: len(model.chat_prompt_tokens(ms)), model.context_size,
                               max_tokens)
    assert (prompt.messages, prompt.dropped, prompt.prompt_tokens) == (
        reference.messages, reference.dropped, reference.prompt_tokens)
    system = 1 if messages[0]["role"] == "system" else 0
    assert prompt.messages[:system] == messages[:system] and prompt.messages[-1] == messages[-1]
    assert prompt.messages[system:] == messages[system + prompt.dropped:]


@pytest.mark.parametrize("template", [None, FOLDING, STRICT, "{% for m in messages %}<{{ m['role'] }}>"
                                      "{{ m['content'] }}</s>{% endfor %}{% if add_generation_prompt %}<assistant>"
                                      "{% endif %}"])
@pytest.mark.parametrize("turns", [0, 1, 3, 9, 40])
def test_the_fit_is_the_fewest_drops_and_exactly_the_full_render(template: str | None, turns: int) -> None:
    model = WordModel(template, context_size=256)
    for system in (True, False):
        messages = conversation(turns, system=system)
        assert_fewest_exact(model, messages, 64)
        assert_fewest_exact(model, [*messages[:-1], {"role": "user", "content": "long " * 90}], 64)


def test_a_message_too_long_alone_is_an_error() -> None:
    model = WordModel(None, context_size=128)
    with pytest.raises(GenerationError, match="the message is too long"):
        fit_prompt(model, [{"role": "user", "content": "w " * 200}], 32)
    with pytest.raises(GenerationError, match="the last message is too long"):
        fit_prompt(model, [*conversation(3)[:-1], {"role": "user", "content": "w " * 200}], 32)
    assert ChatSession(model).measure([{"role": "user", "content": "w " * 200}], 32) == Budget(  # type: ignore[arg-type]
        len(model.chat_prompt_tokens([{"role": "user", "content": "w " * 200}])), 128, -1)


def test_old_turns_are_tokenized_once_across_sends() -> None:
    model = WordModel("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
                      "{% if add_generation_prompt %}<assistant>{% endif %}", context_size=512)
    session = ChatSession(model)  # type: ignore[arg-type]
    messages = conversation(200)
    first = session.fit(messages, 64)
    assert first.dropped > 300  # most of the conversation is beyond the context ...
    assert session.costs.counted < 40  # ... and was never rendered or tokenized
    # The next send: one more exchange. Only the turn that stopped being the newest is counted, and the
    # words tokenized are about one prompt's worth (the chosen prompt, whole), not one per bisection step.
    counted, words = session.costs.counted, model.tokenized_words
    messages += [{"role": "assistant", "content": "a reply"}, {"role": "user", "content": "one more"}]
    second = session.fit(messages, 64)
    assert second.tokens == model.chat_prompt_tokens(second.messages)
    assert session.costs.counted - counted == 1
    assert model.tokenized_words - words < 2.5 * second.prompt_tokens


class ScriptedModel(WordModel):
    """Streams a fixed list of events (or raises) for any prompt."""

    def __init__(self, events: list[ChatEvent | Exception]) -> None:
        super().__init__(None, context_size=256)
        self.events = events
        self.prompts: list[list[int]] = []

    def stream_chat_tokens(self, tokens: Sequence[int], sampling: SamplingOptions | None = None,
                           cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        self.prompts.append(list(tokens))
        for event in self.events:
            if isinstance(event, Exception):
                raise event
            yield event


def stats(prompt: int, generated: int, reason: str = "eos") -> GenerationStats:
    return GenerationStats(prompt, prompt, generated, 1.0, 1.0, 1.0, 0.0, 1.0, reason)


def test_send_yields_the_budget_then_each_engine_batch_unchanged_then_the_reply() -> None:
    batches = [TextDelta("Hel"), TextDelta("lo"), TextDelta(" there")]
    model = ScriptedModel([*batches, Finished("Hello there", stats(20, 3))])
    events = list(ChatSession(model).send(conversation(2), SamplingOptions()))  # type: ignore[arg-type]
    budget, *deltas, reply = events
    assert isinstance(budget, Budget) and budget.dropped == 0 and budget.used == len(model.prompts[0])
    assert budget.room == 256 - budget.used
    assert deltas == batches  # passed on as the engine batched them: no second batching
    assert isinstance(reply, Reply) and reply.text == "Hello there" and reply.budget.used == 23


def test_a_crash_raises_after_the_text_that_streamed() -> None:
    model = ScriptedModel([TextDelta("partial"), EngineCrashedError("crashed", "signal 11")])
    seen: list[object] = []
    with pytest.raises(EngineCrashedError):
        for event in ChatSession(model).send(conversation(1), SamplingOptions()):  # type: ignore[arg-type]
            seen.append(event)
    assert seen[1:] == [TextDelta("partial")]


def test_a_real_model_drops_old_turns_streams_and_stops(tiny_gguf: Path) -> None:
    with LlamaEngine.load(tiny_gguf, LoadOptions(context_size=256, threads=1)) as engine:
        session = ChatSession(engine)
        messages = conversation(12)
        assert_fewest_exact(engine, messages, 48)
        events = list(session.send(messages, SamplingOptions(temperature=0.0, max_tokens=48)))
        budget, reply = events[0], events[-1]
        assert isinstance(budget, Budget) and budget.dropped > 0 and budget.used + 48 <= 256
        assert isinstance(reply, Reply) and reply.stats.prompt_tokens == budget.used
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == reply.text
        # the same prompt through the engine's own chat path gives the same greedy reply
        direct = engine.chat(session.fit(messages, 48).messages, SamplingOptions(temperature=0.0, max_tokens=48))
        assert direct.text == reply.text

        cancel = CancelToken()
        stream = session.send(messages, SamplingOptions(max_tokens=None, ignore_eos=True), cancel)
        for event in stream:
            if isinstance(event, TextDelta):
                cancel.cancel()
            if isinstance(event, Reply):
                assert event.stats.stop_reason == "cancelled"
                break
        else:
            pytest.fail("no reply")


def test_a_long_terminal_chat_drops_old_turns_instead_of_failing(tiny_gguf: Path) -> None:
    lines = "".join(f"Tell me about the house and the water, number {i}\n" for i in range(12))
    result = run_cli("chat", "-m", str(tiny_gguf), "--json", "--temperature", "0", "--max-tokens", "24",
                     "--ctx", "160", "--threads", "1", stdin=lines + "/exit\n")
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == 12
    # every prompt left room for the reply (64 tokens of 160), though the whole chat is far longer
    assert all(r["stats"]["prompt_tokens"] <= 160 - 64 for r in replies)
    assert sum(r["stats"]["generated_tokens"] for r in replies) > 160
    assert "the oldest" in result.stderr and "messages are left out" in result.stderr
