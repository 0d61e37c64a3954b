"""Telling a real hash from a made-up one.

A sha256 or a commit id is 64 or 40 hex digits that look random. Placeholders people type
("0" * 64, "abc123" repeated, "0123456789abcdef" * 4, "deadbeef...") do not: they repeat a short
pattern, count up or down, or use only a handful of the sixteen digits. A real digest of that
length has about 15 distinct digits; the odds of one with 8 or fewer are below 10^-20.
"""

from __future__ import annotations

import itertools

UNKNOWN_SHA256 = "unknown"
_MIN_DISTINCT = 9
_MAX_PERIOD = 16


def _periodic(value: str) -> bool:
    return any(all(value[i] == value[i % p] for i in range(len(value))) for p in range(1, _MAX_PERIOD + 1))


def _stepping(value: str) -> bool:
    """Each digit one more (or one less) than the one before, modulo 16: 0123…, fedc…."""
    digits = [int(c, 16) for c in value]
    steps = {(b - a) % 16 for a, b in itertools.pairwise(digits)}
    return len(steps) == 1


def looks_made_up(value: str) -> bool:
    """True for hex strings that are not plausibly the output of a hash function."""
    value = value.lower()
    return len(set(value)) < _MIN_DISTINCT or _periodic(value) or _stepping(value)
