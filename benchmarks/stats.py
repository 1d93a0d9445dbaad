"""Paired bootstrap of a difference of mean per-query scores (kb minus a peer, query by query)."""
from __future__ import annotations

import numpy as np

RESAMPLES = 2000
SEED = 14
CHUNK = 100  # resamples drawn at a time: a (2000 x 10 000 queries) index matrix would take 160 MB


def paired_bootstrap(a, b, resamples: int = RESAMPLES, seed: int = SEED,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(mean of a - b, lower, upper): the percentile interval of the mean over resampled queries."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.size == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)  # fixed seed: the same figures on every run
    means = np.concatenate([diff[rng.integers(0, diff.size, size=(min(CHUNK, resamples - start), diff.size))]
                            .mean(axis=1) for start in range(0, resamples, CHUNK)])
    tail = (1 - level) / 2 * 100
    lower, upper = np.percentile(means, [tail, 100 - tail])
    return float(diff.mean()), float(lower), float(upper)
