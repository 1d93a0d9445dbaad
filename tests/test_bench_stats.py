"""The paired bootstrap of benchmarks/stats.py."""
from __future__ import annotations

import random

import pytest

from benchmarks.stats import paired_bootstrap


def test_identical_scores_give_zero_and_a_zero_interval():
    scores = [random.Random(1).random() for _ in range(300)]
    assert paired_bootstrap(scores, scores) == (0.0, 0.0, 0.0)


def test_a_constant_shift_gives_that_shift():
    rng = random.Random(2)
    b = [rng.random() for _ in range(250)]
    mean, lower, upper = paired_bootstrap([x + 0.25 for x in b], b)
    assert (mean, lower, upper) == pytest.approx((0.25, 0.25, 0.25))


def test_the_interval_holds_the_mean_and_is_reproducible():
    rng = random.Random(3)
    a = [rng.choice((0.0, 0.5, 1.0)) for _ in range(400)]
    b = [rng.choice((0.0, 1.0)) for _ in range(400)]
    mean, lower, upper = paired_bootstrap(a, b)
    assert lower < mean < upper
    assert paired_bootstrap(a, b) == (mean, lower, upper)
    assert upper - lower < 0.2  # about 4 standard errors of a 400-query mean


def test_pairing_removes_a_shared_query_difficulty():
    rng = random.Random(4)
    difficulty = [rng.random() for _ in range(200)]
    lower = paired_bootstrap([d + 0.01 for d in difficulty], difficulty)[1]
    assert lower > 0  # unpaired, a 0.01 gain would drown in the spread of the queries


def test_no_queries():
    assert paired_bootstrap([], []) == (0.0, 0.0, 0.0)
