"""kb ask's prompt and stream, with a scripted chat model (no llama.cpp): numbered passages that fit the
context, the citation instruction after them, deltas then one Answer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from tiny_encoders import cached_encoder

from engines.jobs import CancelToken
from engines.kb.api import Answer, AnswerDelta, Hit, answer, answer_stream, create_kb
from engines.kb.ask import INSTRUCTION, NOTHING_FOUND, build_messages
from engines.llama.engine import ChatEvent, Finished, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.stats import GenerationStats
from engines.llama.template import Message


class ScriptedChat:
    context_size = 2048

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.seen: list[Message] = []

    def stream_chat(self, messages: Sequence[Message], sampling: SamplingOptions | None = None,
                    cancel: CancelToken | None = None) -> Iterator[ChatEvent]:
        self.seen = list(messages)
        for word in self.reply.split(" "):
            yield TextDelta(word + " ")
        yield Finished(self.reply, GenerationStats(1, 1, 1, 1.0, 1.0, 1.0, 0.0, 1.0, "eos"))


def _hit(n: int, text: str, page: int | None = None) -> Hit:
    return Hit(n, f"/docs/file{n}.pdf", page, "Manual > Pumps", text, 1.0 / n)


def test_build_messages_numbers_passages_and_keeps_to_the_context() -> None:
    hits = [_hit(1, "The pump starts at dawn.", page=3), _hit(2, "x" * 5000), _hit(3, "The valve closes.")]
    messages, used = build_messages("When does the pump start?", hits, context_size=1024)
    user = messages[1]["content"]
    assert messages[0]["role"] == "system" and "[1] (file1.pdf, page 3 — Manual > Pumps)" in user
    assert user.rstrip().endswith(INSTRUCTION) and "Question: When does the pump start?" in user
    assert used == hits[:1]  # the long second passage does not fit 1024 tokens, so it and what follows are left out


def test_answer_streams_then_cites(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (tmp_path / "pumps.md").write_text("# Pumps\n\nThe pump starts at dawn.\n", encoding="utf-8")
    with create_kb("pumps", str(cached_encoder(tmp_path_factory.getbasetemp()))) as kb:
        kb.add([tmp_path])
        chat = ScriptedChat("It starts at dawn [1].")
        events = list(answer_stream(kb, "When does the pump start?", chat))  # type: ignore[arg-type]
        assert all(isinstance(e, AnswerDelta) for e in events[:-1]) and isinstance(events[-1], Answer)
        final = events[-1]
        assert final.answer == "It starts at dawn [1]." and final.sources[0].heading == "Pumps"
        assert "The pump starts at dawn." in chat.seen[1]["content"]
        kb.index.set_meta("min_similarity", "1.01")  # keywords only (a random encoder finds all pairs alike)
        nothing = answer(kb, "zeppelin xylophone", ScriptedChat("should not run"))  # type: ignore[arg-type]
        assert nothing.answer == NOTHING_FOUND and nothing.sources == [] and not nothing.found
