"""The "Already answered?" panel's floor (`indexer.searching.DEFLECTION_MATCH`), measured.

    .venv/bin/python -m benchmarks.deflection [--per-set 150]

For each floor: of the questions whose answer kb ranks first, the share whose answer is still shown
(its `match` reaches the floor); and of questions that have no answer in the pool (one set's questions
searched over another set's documents, same language), the share for which the panel would still show
something. Uses kb's imported databases cached by the relevance benchmark.
"""
from __future__ import annotations

import argparse

from .engines import KbEngine
from .relevance import SETS, kb_import

FLOORS = (0.3, 0.4, 0.5, 0.6)
ANSWERED = ("swequad-mc-sv", "construction-faq-sv", "swefaq-free", "squad2-sv-dev", "dolly-fi-qa")
# (questions of, searched over): the same language, another subject.
UNANSWERED = (("construction-faq-sv", "swequad-mc-sv"), ("swequad-mc-sv", "construction-faq-sv"),
              ("squad2-sv-dev", "swefaq-free"), ("dolly-fi-qa", "tpc-fi"), ("tpc-fi", "dolly-fi-qa"))


def _load(name: str) -> tuple[list[dict], list]:
    return next(s for s in SETS if s.name == name).load()


def _engine(name: str) -> tuple[KbEngine, list]:
    docs, queries = _load(name)
    engine = KbEngine()
    engine.build(docs, kb_import(name, docs))
    return engine, queries


def _top(engine: KbEngine, text: str):
    from indexer.searching import SearchRequest

    result = engine.index.search(SearchRequest(text=text, page_size=1, as_you_type=False, snippets=False,
                                               facets=False))
    return result.hits[0] if result.hits else None


def measure(per_set: int = 150) -> dict:
    answered, unanswered = [], []
    for name in ANSWERED:
        engine, queries = _engine(name)
        for text, relevant in queries[::max(1, len(queries) // per_set)]:
            hit = _top(engine, text)
            if hit and engine.ids[hit.number] in relevant:
                answered.append(hit.match)
        engine.close()
    for asked, over in UNANSWERED:
        queries = _load(asked)[1]
        engine, _own = _engine(over)
        for text, _relevant in queries[::max(1, len(queries) // per_set)]:
            hit = _top(engine, text)
            unanswered.append(hit.match if hit else 0.0)
        engine.close()
    return {floor: (sum(m >= floor for m in answered) / len(answered),
                    sum(m >= floor for m in unanswered) / len(unanswered)) for floor in FLOORS} | {
        "questions": (len(answered), len(unanswered))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-set", type=int, default=150, help="questions taken from each set")
    figures = measure(parser.parse_args(argv).per_set)
    answered, unanswered = figures.pop("questions")
    print(f"| floor | answers ranked first still shown ({answered}) | unanswerable questions shown something ({unanswered}) |")
    print("| --- | --- | --- |")
    for floor, (kept, shown) in figures.items():
        print(f"| {floor} | {kept:.3f} | {shown:.3f} |")


if __name__ == "__main__":
    main()
