"""What a reply stream yields: text batches, then one Finished with the whole text and its statistics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engines.errors import GenerationError
from engines.llama.stats import GenerationStats


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Finished:
    text: str
    stats: GenerationStats


ChatEvent = TextDelta | Finished


def last_finished(events: Iterator[ChatEvent]) -> Finished:
    """Run a stream to its end and return its Finished event."""
    result: Finished | None = None
    for event in events:
        if isinstance(event, Finished):
            result = event
    if result is None:
        raise GenerationError("the reply ended without a result")
    return result
