"""A served slot keeps its cache between replies (llama-server's cache_prompt), on the tiny GGUF.

The scheduler runs in this process here (in the app it runs in an engine host). Each test checks
what is decoded (evaluated_prompt_tokens), that the reply is token for token what a fresh context
writes (greedy), and that a slot's bookkeeping matches what its sequence holds in the KV cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engines.errors import EngineClosedError, UsageError
from engines.gguf.info import read_gguf
from engines.jobs import CancelToken
from engines.llama.engine import LoadOptions
from engines.llama.events import Finished, TextDelta
from engines.llama.sampling import SamplingOptions
from engines.llama.served import ServedModel
from engines.llama.slot_cache import SlotCache, common_prefix

MAX_TOKENS = 12
GREEDY = SamplingOptions(temperature=0.0, max_tokens=MAX_TOKENS, ignore_eos=True, repeat_penalty=1.0)
STORY = "the a an and of to in is it you that he was for on are with as I his they be at one have this"
OTHER = "water than call first who may down side been now find any new work part take get place made live"


@pytest.fixture
def served(tiny_gguf: Path) -> Iterator[ServedModel]:
    model = ServedModel(read_gguf(tiny_gguf), LoadOptions(context_size=256, threads=1), parallel=2)
    yield model
    model.close()


class CancelAfter(CancelToken):
    """Cancelled from the n-th time the scheduler looks (once per step): a client leaving mid-reply, on time."""

    def __init__(self, looks: int) -> None:
        super().__init__()
        self._looks = looks

    @property
    def cancelled(self) -> bool:
        self._looks -= 1
        return self._looks < 0


def reply(model: ServedModel, tokens: list[int], cancel: CancelToken | None = None) -> Finished:
    events = list(model.scheduler.stream(tokens, GREEDY, (), cancel or CancelToken(), strip_leading=False))
    assert isinstance(events[-1], Finished)
    return events[-1]


def assert_cache_matches_bookkeeping(model: ServedModel) -> None:
    for kept, held in model.scheduler.held_tokens():
        assert kept == held


def test_the_same_prompt_twice_decodes_one_prompt_token_and_replies_the_same(served: ServedModel) -> None:
    tokens = served.tokenize(STORY)
    first = reply(served, tokens)
    second = reply(served, tokens)
    assert first.stats.evaluated_prompt_tokens == len(tokens)
    assert second.stats.evaluated_prompt_tokens == 1  # the last prompt token again: its logits are sampled
    assert second.text == first.text and second.stats.generated_tokens == MAX_TOKENS
    assert_cache_matches_bookkeeping(served)


def test_a_longer_conversation_decodes_only_what_is_new(served: ServedModel) -> None:
    tokens = served.tokenize(STORY)
    first = reply(served, tokens)
    longer = tokens + served.tokenize(first.text, add_special=False) + served.tokenize(OTHER, add_special=False)
    shared = common_prefix(tokens, longer)
    assert reply(served, longer).stats.evaluated_prompt_tokens == len(longer) - shared
    assert_cache_matches_bookkeeping(served)


def test_a_diverging_prompt_removes_only_the_tail_and_matches_a_fresh_context(served: ServedModel,
                                                                             tiny_gguf: Path) -> None:
    tokens = served.tokenize(STORY)
    diverging = tokens[:20] + served.tokenize("water than call first", add_special=False)
    reply(served, tokens)
    again = reply(served, diverging)
    shared = common_prefix(tokens, diverging)
    assert shared >= 20 and again.stats.evaluated_prompt_tokens == len(diverging) - shared
    assert_cache_matches_bookkeeping(served)
    fresh = ServedModel(read_gguf(tiny_gguf), LoadOptions(context_size=256, threads=1), parallel=1)
    try:
        alone = reply(fresh, diverging)
    finally:
        fresh.close()
    assert alone.stats.evaluated_prompt_tokens == len(diverging)
    assert again.text == alone.text and again.stats.generated_tokens == alone.stats.generated_tokens


def test_an_unrelated_conversation_takes_another_slot_and_leaks_nothing(served: ServedModel,
                                                                        tiny_gguf: Path) -> None:
    story, other = served.tokenize(STORY), served.tokenize(OTHER)
    first = reply(served, story)
    unrelated = reply(served, other)  # shares only BOS with the story: the unused slot, not the story's
    assert unrelated.stats.evaluated_prompt_tokens == len(other)
    assert reply(served, story).stats.evaluated_prompt_tokens == 1  # the story's cache survived
    assert reply(served, other).text == unrelated.text
    fresh = ServedModel(read_gguf(tiny_gguf), LoadOptions(context_size=256, threads=1), parallel=1)
    try:
        assert reply(fresh, other).text == unrelated.text
        assert reply(fresh, story).text == first.text  # the other conversation's cache changed nothing
    finally:
        fresh.close()
    assert_cache_matches_bookkeeping(served)


def test_a_cancelled_reply_frees_its_slot_and_keeps_exactly_what_was_decoded(served: ServedModel) -> None:
    tokens = served.tokenize(STORY)
    cancelled = reply(served, tokens, CancelAfter(6))
    assert cancelled.stats.stop_reason == "cancelled" and 0 < cancelled.stats.generated_tokens < MAX_TOKENS
    assert served.scheduler.busy_slots == 0
    assert_cache_matches_bookkeeping(served)
    whole = reply(served, tokens)
    assert whole.stats.evaluated_prompt_tokens == 1
    assert whole.text.startswith(cancelled.text)


def test_the_slot_choice_prefers_the_longest_prefix_then_the_oldest_slot() -> None:
    cache = SlotCache(3)
    assert cache.take([1, 2, 3]) == (0, 0, 0)  # nothing kept anywhere: the first unused slot
    cache.release(0, [1, 2, 3, 9])
    assert cache.take([5, 6, 7]) == (1, 0, 0)  # shares nothing: the oldest free slot, not slot 0's cache
    cache.release(1, [5, 6, 7])
    assert cache.take([1, 2, 3]) == (0, 2, 4)  # all shared: all but the last prompt token are reused
    assert cache.take([5] + [9] * 10) == (2, 0, 0)  # one shared token in 11 is no reason to take slot 1's cache
    assert common_prefix([1, 2, 3, 4, 5], [1, 2, 3, 9]) == 3 and common_prefix([], [1]) == 0


def test_text_events_arrive_before_the_end(served: ServedModel) -> None:
    events = list(served.scheduler.stream(served.tokenize(STORY), GREEDY, (), CancelToken(), strip_leading=False))
    assert isinstance(events[-1], Finished)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == events[-1].text


def test_a_reply_that_keeps_no_cache_leaves_its_slot_empty(served: ServedModel) -> None:
    """The load probe's reply (keep_cache=False): nobody's prompt starts like it, so its slot is emptied
    and the next request decodes its whole prompt, as in a fresh context."""
    tokens = served.tokenize(STORY)
    events = list(served.scheduler.stream(tokens, GREEDY, (), CancelToken(), strip_leading=False, keep_cache=False))
    assert isinstance(events[-1], Finished)
    assert all(kept == held == 0 for kept, held in served.scheduler.held_tokens())
    again = reply(served, tokens)
    assert again.stats.evaluated_prompt_tokens == len(tokens) and again.text == events[-1].text
    assert_cache_matches_bookkeeping(served)


def test_a_request_after_close_is_refused_at_once(tiny_gguf: Path) -> None:
    """The check and the queueing happen under the lock close() takes, and close() answers what is left
    in the queue, so no request can wait for ever on a scheduler that has stopped."""
    model = ServedModel(read_gguf(tiny_gguf), LoadOptions(context_size=256, threads=1), parallel=2)
    tokens = model.tokenize(STORY)
    scheduler = model.scheduler
    model.close()
    with pytest.raises(EngineClosedError):
        scheduler.stream(tokens, GREEDY, (), CancelToken(), strip_leading=False)


def test_token_ids_outside_the_vocabulary_are_refused_at_the_call(served: ServedModel) -> None:
    for wrong in (-1, served.scheduler.n_vocab):
        with pytest.raises(UsageError, match="not in this model's vocabulary"):
            served.scheduler.stream([1, wrong], GREEDY, (), CancelToken(), strip_leading=False)
    assert reply(served, served.tokenize(STORY)).stats.generated_tokens == MAX_TOKENS
