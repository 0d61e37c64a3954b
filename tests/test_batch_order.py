"""The scheduler writes each step's batch in increasing sequence id, whatever order replies arrived in.

With a KV stream per sequence (kv_unified off), llama.cpp splits a batch into micro-batches that
hold consecutive, increasing sequence ids only; a batch in arrival order ([3, 2, 1, 0]) was decoded
as four passes over the weights instead of one, which made four streams after a lone reply run at
the speed of one. Runs the real scheduler on the tiny GGUF.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from engines.gguf.info import read_gguf
from engines.jobs import CancelToken
from engines.llama.engine import LoadOptions
from engines.llama.events import Finished
from engines.llama.sampling import SamplingOptions
from engines.llama.served import ServedModel

MAX_TOKENS = 120
LONG = SamplingOptions(temperature=0.0, max_tokens=MAX_TOKENS, ignore_eos=True, repeat_penalty=1.0)
PROMPTS = ("the a an and of to in is it you", "water than call first who may down side",
           "been now find any new work part take", "get place made live where after back little")


@pytest.fixture
def served(tiny_gguf: Path) -> Iterator[ServedModel]:
    model = ServedModel(read_gguf(tiny_gguf), LoadOptions(context_size=256, threads=1), parallel=4)
    yield model
    model.close()


def reply(model: ServedModel, tokens: list[int]) -> Finished:
    events = list(model.scheduler.stream(tokens, LONG, (), CancelToken(), strip_leading=False))
    assert isinstance(events[-1], Finished)
    return events[-1]


def record_batches(model: ServedModel) -> list[list[int]]:
    """The sequence id of every row of every decoded batch, in row order."""
    batches: list[list[int]] = []
    rows: list[int] = []
    arrays = model.scheduler._batch
    add, decode = arrays.add, arrays.decode

    def recording_add(tokens: Sequence[int], first_pos: int, seq: int, *, logits: bool) -> int:
        rows.extend([seq] * len(tokens))
        return add(tokens, first_pos, seq, logits=logits)

    def recording_decode(ctx: object) -> int:
        batches.append(list(rows))
        rows.clear()
        return decode(ctx)

    arrays.add = recording_add  # type: ignore[method-assign]
    arrays.decode = recording_decode  # type: ignore[method-assign]
    return batches


def test_replies_arriving_in_reverse_slot_order_are_batched_in_increasing_sequence_order(
        served: ServedModel) -> None:
    prompts = [served.tokenize(text) for text in PROMPTS]
    alone = [reply(served, tokens) for tokens in prompts]  # each takes an unused slot: 0, 1, 2, 3
    # (a slot keeps its prompt and reply but the last token, which was sampled and never decoded)
    assert [kept for kept, _ in served.scheduler.held_tokens()] == [len(t) + MAX_TOKENS - 1 for t in prompts]
    batches = record_batches(served)
    results: dict[int, Finished] = {}

    def run(index: int) -> None:
        results[index] = reply(served, prompts[index])

    scheduler = served.scheduler
    admit = scheduler._admit

    def admit_all_four_at_once() -> None:  # the tiny model could end a reply before the next arrives
        if len(scheduler._waiting) == 4 or scheduler._slots:
            admit()

    scheduler._admit = admit_all_four_at_once  # type: ignore[method-assign]
    threads = [threading.Thread(target=run, args=(index,)) for index in (3, 2, 1, 0)]
    for thread in threads:  # arrive as 3, 2, 1, 0: each takes back its own slot's cache
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join(60)
    assert all(sorted(batch) == batch for batch in batches), [b for b in batches if sorted(b) != b][:3]
    assert any(batch == [0, 1, 2, 3] for batch in batches)  # the four replies did share steps
    for index, first in enumerate(alone):
        assert results[index].stats.evaluated_prompt_tokens == 1
        assert results[index].text == first.text
