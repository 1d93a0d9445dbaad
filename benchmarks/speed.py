"""Query and suggest latency, warm, with snippets."""
from __future__ import annotations

import random
import statistics
import time
from collections import Counter

from .engines import WORDS, answer


def query_mix(docs: list[dict], judged: list[str], count: int = 200, seed: int = 7) -> list[str]:
    """A fixed mix: the judged queries, and one- to three-word queries of mid-frequency corpus words."""
    rng = random.Random(seed)
    counts = Counter(w.lower() for d in docs[:5000] for w in WORDS.findall(f"{d['title']} {d['problem']}")
                     if len(w) > 3 and not w.isdigit())
    ranked = [w for w, _ in counts.most_common()]
    pool = ranked[20:2000] or ranked
    mix = list(judged)
    while len(mix) < count:
        mix.append(" ".join(rng.sample(pool, rng.choice((1, 2, 2, 3)))))
    return mix[:count]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def latency(engine, queries: list[str]) -> tuple[float, float]:
    """(p50, p95) in milliseconds of full searches with snippets, after one warm-up pass."""
    for q in queries:
        answer(engine, q)
    samples = []
    for q in queries:
        started = time.perf_counter()
        answer(engine, q)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def suggest_latency(engine, queries: list[str]) -> tuple[float, float]:
    prefixes = [w[:n] for q in queries for w in q.split()[:1] for n in (3, 5) if len(w) >= n]
    for p in prefixes:
        engine.suggest(p)
    samples = []
    for p in prefixes:
        started = time.perf_counter()
        engine.suggest(p)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


