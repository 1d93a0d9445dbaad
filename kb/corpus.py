"""A deterministic synthetic corpus of resolved general tickets, in the import format, for benchmarks."""
from __future__ import annotations

import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

from .config import LANGUAGES

WORD = re.compile(r"[^\W\d_][\w\-]*", re.UNICODE)
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class Vocabulary:
    """Words of one language ranked by frequency, sampled with Zipf-like (1/rank) weights."""

    def __init__(self, texts: list[str]):
        counts = Counter(w for text in texts for w in WORD.findall(text))
        self.words = [w for w, _ in counts.most_common()]
        self.cum = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(self.words))))

    def sample(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=n)


def _length(rng: random.Random, median: int, low: int, high: int) -> int:
    """A log-normal length: most texts short, a few long, as in real tickets."""
    return max(low, min(high, int(rng.lognormvariate(0, 0.5) * median)))


def _text(rng: random.Random, vocab: Vocabulary, n: int) -> str:
    words = vocab.sample(rng, n)
    out, sentence = [], []
    for w in words:
        sentence.append(w)
        if len(sentence) >= 6 and rng.random() < 0.15:
            out.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return " ".join(out)


def generate(tickets: list[dict], catalogue: dict, count: int, seed: int) -> Iterator[dict]:
    """`count` synthetic tickets from the demo tickets' vocabulary; the same seed gives the same corpus."""
    rng = random.Random(seed)
    vocab = {}
    for lang in LANGUAGES:
        texts = [" ".join(filter(None, (t.get("subject"), t.get("description"), t.get("solution"))))
                 for t in tickets if t["language"] == lang]
        vocab[lang] = Vocabulary(texts)
    products = catalogue["products"]
    for i in range(count):
        lang = "sv" if i % 2 == 0 else "fi"
        product = rng.choice(products)
        category = rng.choice(product["categories"]) if product.get("categories") else None
        resolved = EPOCH - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        yield {
            "external_id": f"gen-{seed}-{i}",
            "language": lang,
            "subject": _text(rng, vocab[lang], _length(rng, 6, 3, 12)).rstrip("."),
            "problem": _text(rng, vocab[lang], _length(rng, 70, 15, 300)),
            "solution": _text(rng, vocab[lang], _length(rng, 60, 10, 250)),
            "product": product["code"],
            "category": category["code"] if category else None,
            "version": rng.choice(product["versions"]) if product.get("versions") else None,
            "resolved_at": resolved.isoformat(timespec="seconds"),
            "general": True,
        }


def write_corpus(out, tickets: list[dict], catalogue: dict, count: int, seed: int,
                 progress: Callable[[int], None] = lambda n: None) -> None:
    """Write the corpus as JSON lines to an open text file."""
    for n, item in enumerate(generate(tickets, catalogue, count, seed), 1):
        out.write(json.dumps(item, ensure_ascii=False))
        out.write("\n")
        if n % 1000 == 0:
            progress(1000)
    progress(count % 1000)
