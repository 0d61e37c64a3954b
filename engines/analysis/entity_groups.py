"""transformers' TokenClassificationPipeline post-processing, step for step, on numpy arrays.

Tokens -> pre-entities (text, scores, offsets, is it a word's continuation) -> words (`first`) ->
groups of adjacent tokens with the same tag (B-/I- prefixes) -> entities. Kept apart from the model
code so it can be read against the pipeline's source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from engines.analysis.head import FloatArray
from engines.analysis.results import Entity

Aggregation = Literal["simple", "first"]


@dataclass
class Token:
    word: str  # the token as the vocabulary spells it ("##ing"), or the text for an unknown token
    scores: FloatArray
    start: int
    end: int
    is_subword: bool


@dataclass
class Tagged:
    tag: str  # id2label's name, e.g. "B-PER"
    score: float
    word: str
    start: int
    end: int


def continuation(token: str, text: str, start: int, end: int, prefix: str | None) -> bool:
    """Is the token the continuation of a word: with a WordPiece-style prefix, when its spelling is
    not its text's length; otherwise the pipeline's fallback (no space before or at its start)."""
    if prefix is not None:
        return len(token) != end - start
    return start > 0 and " " not in text[start - 1:start + 1]


def tag_tokens(tokens: Sequence[Token], id2label: dict[int, str]) -> list[Tagged]:
    out = []
    for token in tokens:
        index = int(token.scores.argmax())
        out.append(Tagged(id2label[index], float(token.scores[index]), token.word, token.start, token.end))
    return out


def tag_words(tokens: Sequence[Token], id2label: dict[int, str], join: Callable[[list[str]], str]) -> list[Tagged]:
    """`first`: a word takes its first token's label and score, whatever its other tokens say."""
    words: list[list[Token]] = []
    for token in tokens:
        if words and token.is_subword:
            words[-1].append(token)
        else:
            words.append([token])
    out = []
    for group in words:
        index = int(group[0].scores.argmax())
        out.append(Tagged(id2label[index], float(group[0].scores[index]), join([t.word for t in group]),
                          group[0].start, group[-1].end))
    return out


def _split_tag(name: str) -> tuple[str, str]:
    if name.startswith(("B-", "I-")):
        return name[0], name[2:]
    return "I", name


def group(tagged: Sequence[Tagged], join: Callable[[list[str]], str]) -> list[Entity]:
    """Adjacent items with the same tag, unless the next one begins (B-), form one entity."""
    groups: list[list[Tagged]] = []
    for item in tagged:
        bi, tag = _split_tag(item.tag)
        if groups and tag == _split_tag(groups[-1][-1].tag)[1] and bi != "B":
            groups[-1].append(item)
        else:
            groups.append([item])
    return [Entity(g[0].tag.split("-", 1)[-1], float(np.nanmean([t.score for t in g])), join([t.word for t in g]),
                   g[0].start, g[-1].end) for g in groups]


def entities_of(tokens: Sequence[Token], id2label: dict[int, str], aggregation: Aggregation,
                join: Callable[[list[str]], str], ignore: Sequence[str] = ("O",)) -> list[Entity]:
    tagged = tag_tokens(tokens, id2label) if aggregation == "simple" else tag_words(tokens, id2label, join)
    return [e for e in group(tagged, join) if e.group not in ignore]


def merge_overlapping(entities: Sequence[Entity]) -> list[Entity]:
    """Entities found in overlapping windows of one text: of two that overlap keep the longer (the
    higher score at equal length), as the pipeline does when given a stride."""
    if not entities:
        return []
    ordered = sorted(entities, key=lambda e: e.start)
    kept: list[Entity] = []
    previous = ordered[0]
    for entity in ordered:
        if previous.start <= entity.start < previous.end:
            length, previous_length = entity.end - entity.start, previous.end - previous.start
            if length > previous_length or (length == previous_length and entity.score > previous.score):
                previous = entity
        else:
            kept.append(previous)
            previous = entity
    kept.append(previous)
    return kept
