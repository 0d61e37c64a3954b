"""Follow-up questions in a grounded chat: which ones lean on the earlier question, and what is searched."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_kb_ask import ScriptedChat
from tiny_encoders import cached_encoder

from engines.kb.api import answer, create_kb
from engines.kb.ask import build_messages
from engines.kb.followup import is_follow_up, previous_question, search_text


@pytest.mark.parametrize("question", ["And the second one?", "What about it?", "E o segundo?", "Quanto custa isso?",
                                      "Why?", "mas e no inverno?"])
def test_follow_ups(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", ["How often does the Gull Rock light flash?",
                                      "Qual é o melhor horário para regar a horta?",
                                      "What torque do handlebar bolts need?", ""])
def test_questions_that_stand_alone(question: str) -> None:
    assert not is_follow_up(question)


def test_search_text_joins_earlier_questions_only_for_a_follow_up() -> None:
    earlier = ["Which lenses did the station have?", "When was the first one installed?"]
    assert search_text("And the second one?", earlier) == " ".join([*earlier, "And the second one?"])
    assert search_text("And the second one?", earlier[:1]) == f"{earlier[0]} And the second one?"
    # a question that stands alone is searched alone: a change of subject drops the old one
    assert search_text("How is sourdough starter fed?", earlier) == "How is sourdough starter fed?"
    assert search_text("And the second one?", []) == "And the second one?"
    assert previous_question("And the second one?", earlier) == earlier[-1]
    assert previous_question("How is sourdough starter fed?", earlier) == ""


def test_build_messages_shows_the_earlier_question() -> None:
    messages, _ = build_messages("And the second?", [], 2048, previous="Which pumps are there?")
    assert "Earlier question: Which pumps are there?\nQuestion: And the second?" in messages[1]["content"]


def test_a_follow_up_retrieves_with_the_conversation(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    (tmp_path / "pumps.md").write_text("# Pumps\n\nThe diaphragm pump starts at dawn.\n\n# Valves\n\n"
                                       "The brass valve closes at dusk.\n", encoding="utf-8")
    with create_kb("pumps", str(cached_encoder(tmp_path_factory.getbasetemp()))) as kb:
        kb.add([tmp_path])
        kb.index.set_meta("min_similarity", "1.01")  # keywords only (a random encoder finds all pairs alike)
        alone = answer(kb, "And when?", ScriptedChat("nothing"))  # type: ignore[arg-type]
        assert not alone.found, "on its own the follow-up has no word in the documents"
        chat = ScriptedChat("At dusk [1].")
        followed = answer(kb, "And when?", chat, earlier=["Which brass valve is there?"])  # type: ignore[arg-type]
        assert followed.found and followed.sources[0].heading == "Valves"
        assert "Earlier question: Which brass valve is there?" in chat.seen[1]["content"]
