"""Ratios between two contenders measured in interleaved rounds, and how sure they are.

On this machine a llama.cpp speed sample scatters by about ±5 % around its mean (pp512, 2 threads on
2 vCPUs; llama-bench's own samples in one run spread from 686 to 754 tokens/s), and a load may stay
at the upper or the lower end for a while. The median of a few such samples jumps between those
ends from run to run, so the comparison the targets are judged on is the ratio of the two means over
every round, with a bootstrap confidence interval that resamples whole rounds (each round's
contenders ran seconds apart, so a round is the unit that shares the machine's state).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Ratio:
    """ours / theirs: the ratio of the means, and its bootstrap confidence interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}-{self.high:.3f}]"


def ratio_of_means(ours: Sequence[float], theirs: Sequence[float], seed: int = 0) -> Ratio | None:
    """`ours` and `theirs` hold one value per round (round i of each ran together). None when either
    side has no rounds. The interval comes from resampling rounds with replacement (percentile
    method, a fixed seed so a JSON file gives the same interval every time it is read)."""
    pairs = list(zip(ours, theirs, strict=False))
    if not pairs or any(b <= 0 for _, b in pairs):
        return None
    value = statistics.fmean(a for a, _ in pairs) / statistics.fmean(b for _, b in pairs)
    rng = random.Random(seed)
    resampled = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        draw = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        resampled.append(sum(a for a, _ in draw) / sum(b for _, b in draw))
    resampled.sort()
    tail = (1 - CONFIDENCE) / 2
    low = resampled[int(tail * (len(resampled) - 1))]
    high = resampled[int((1 - tail) * (len(resampled) - 1))]
    return Ratio(value, low, high)


def paired_ratio(ours: Sequence[float], theirs: Sequence[float]) -> float | None:
    """Median of the per-round ratios (None when either side has no rounds)."""
    pairs = [(a, b) for a, b in zip(ours, theirs, strict=False) if b > 0]
    return statistics.median(a / b for a, b in pairs) if pairs else None
