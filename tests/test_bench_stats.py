"""The benchmark harness's comparison statistics (benchmarks/stats.py)."""

from __future__ import annotations

import random

import pytest

from benchmarks.stats import Ratio, paired_ratio, ratio_of_means


def test_ratio_of_means_is_the_ratio_of_the_two_means() -> None:
    ratio = ratio_of_means([90.0, 110.0, 100.0], [100.0, 100.0, 100.0])
    assert ratio is not None
    assert ratio.value == pytest.approx(1.0)
    assert ratio.low <= ratio.value <= ratio.high


def test_interval_narrows_with_more_rounds_and_covers_the_true_ratio() -> None:
    rng = random.Random(7)

    def rounds(n: int) -> tuple[list[float], list[float]]:
        # two contenders at 0.98 of each other, each sample scattered by ±5 %, as on the 2-vCPU machine
        ours = [0.98 * 700 * rng.uniform(0.95, 1.05) for _ in range(n)]
        theirs = [700 * rng.uniform(0.95, 1.05) for _ in range(n)]
        return ours, theirs

    few, many = ratio_of_means(*rounds(4)), ratio_of_means(*rounds(64))
    assert few is not None and many is not None
    assert many.high - many.low < (few.high - few.low) / 2
    assert many.low < 0.98 < many.high
    assert abs(many.value - 0.98) < 0.02


def test_identical_rounds_give_a_point_interval() -> None:
    assert ratio_of_means([5.0, 5.0], [4.0, 4.0]) == Ratio(1.25, 1.25, 1.25)


def test_no_rounds_or_a_zero_mean_gives_none() -> None:
    assert ratio_of_means([], []) is None
    assert ratio_of_means([1.0], [0.0]) is None
    assert paired_ratio([], [1.0]) is None


def test_paired_ratio_is_the_median_of_the_round_ratios() -> None:
    assert paired_ratio([1.0, 3.0, 9.0], [1.0, 1.0, 10.0]) == pytest.approx(1.0)


def test_interval_is_reproducible() -> None:
    ours, theirs = [700.0, 650.0, 760.0, 690.0], [710.0, 740.0, 660.0, 700.0]
    assert ratio_of_means(ours, theirs) == ratio_of_means(ours, theirs)
    assert str(ratio_of_means(ours, theirs)).count("[") == 1
