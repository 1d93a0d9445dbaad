"""Query and suggest latency, warm, with snippets: keyword queries and whole questions timed apart."""
from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter

from .engines import WORDS, answer
from .relevance import SHARED

# Dev questions of both languages, for the whole-question part of the latency mix.
QUESTION_SOURCES = {"sv": ("swequad-mc-sv", "squad2-sv-dev"), "fi": ("dolly-fi-qa", "nq-fi")}
QUESTIONS = 100


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


def question_mix(count: int = QUESTIONS, seed: int = 7, shortest: int = 10, longest: int = 25) -> list[str]:
    """A fixed mix of whole questions of 10-25 words from the dev files, half Swedish, half Finnish."""
    rng = random.Random(seed)
    mix = []
    for folders in QUESTION_SOURCES.values():
        pool = [q for name in folders for q in _dev_queries(name) if shortest <= len(WORDS.findall(q)) <= longest]
        mix += rng.sample(pool, count // len(QUESTION_SOURCES))
    return mix


def _dev_queries(name: str) -> list[str]:
    lines = (SHARED / name / "queries-dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["query"] for line in lines if line]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def latency(engine, mix: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """{kind: (p50, p95)} in milliseconds of full searches with snippets, after one warm-up pass."""
    for queries in mix.values():
        for q in queries:
            answer(engine, q)
    return {kind: percentiles([_timed(engine, q) for q in queries]) for kind, queries in mix.items()}


def _timed(engine, query: str) -> float:
    started = time.perf_counter()
    answer(engine, query)
    return (time.perf_counter() - started) * 1000


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


