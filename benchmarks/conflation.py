"""Conflation recall and precision of analyzers on the UD treebanks, and their speed.

Run from the repository: `.venv/bin/python benchmarks/conflation.py [--limit N]` (N sentences per
treebank). Word forms are the lower-cased alphabetic tokens; two distinct forms belong together when
they share a gold lemma (lower-cased; Finnish `#` compound marks dropped). Recall is the share of
those pairs an analyzer maps to the same term, precision the share of pairs mapped to the same term
that belong together. An analyzer that emits several terms per word (whole word, then compound
parts) is judged by its first term, the whole word's.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import Stemmer
from simplemma import Lemmatizer
from whoosh.analysis import Filter, LanguageAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repository's packages importable
    sys.path.insert(0, str(ROOT))

from indexer.analysis import analyze, clear_caches, fold, language_analyzer  # noqa: E402

SHARED = ROOT.parent / "shared" / "relevance"
TREEBANKS = {"sv": "sv_talbanken-ud-dev.conllu", "fi": "fi_tdt-ud-dev.conllu"}
STEMMERS = {"sv": "swedish", "fi": "finnish"}
# The README's figures for plain Whoosh analyzers, measured on the full sources (dev + held-back part).
REFERENCE = {"sv": "Snowball 0.609 / 0.637", "fi": "Snowball 0.327 / 0.867; Voikko 0.651 / 0.896"}

AnalyzeWord = Callable[[str], list[str]]


def read_conllu(conllu_path: str | Path, limit: int | None = None) -> tuple[dict[str, set[str]], list[str]]:
    """({lower-cased alphabetic form: gold lemmas with `#` kept}, sentence texts) of a treebank."""
    forms: dict[str, set[str]] = defaultdict(set)
    texts: list[str] = []
    with open(conllu_path, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("# text = "):
                if limit is not None and len(texts) >= limit:
                    break
                texts.append(line[len("# text = "):].strip())
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if "-" in cols[0] or "." in cols[0]:  # multi-word ranges and empty nodes carry no own form
                continue
            form, lemma = cols[1].lower(), cols[2].lower()
            if form.isalpha() and lemma != "_":
                forms[form].add(lemma)
    return dict(forms), texts


def _pairs_sharing_a_lemma(forms: dict[str, set[str]]) -> set[tuple[str, str]]:
    by_lemma: dict[str, list[str]] = defaultdict(list)
    for form, lemmas in forms.items():
        for lemma in lemmas:
            by_lemma[lemma.replace("#", "")].append(form)
    return {pair for group in by_lemma.values() for pair in itertools.combinations(sorted(group), 2)}


def conflation(analyze_word: AnalyzeWord, conllu_path: str | Path, limit: int | None = None) -> dict:
    """Recall, precision and (when the treebank marks them) compound splitting of one analyzer."""
    forms, _ = read_conllu(conllu_path, limit)
    terms = {form: analyze_word(form) for form in forms}
    # A word the analyzer drops (a stop word) conflates with nothing.
    primary = {form: found[0] if found else "\0" + form for form, found in terms.items()}
    true_pairs = _pairs_sharing_a_lemma(forms)
    found_pairs = sum(primary[a] == primary[b] for a, b in true_pairs)
    # Pairs mapped together, counted per term group rather than enumerated.
    mapped_pairs = sum(n * (n - 1) // 2 for n in Counter(primary.values()).values())
    result = {
        "recall": found_pairs / len(true_pairs) if true_pairs else 1.0,
        "precision": found_pairs / mapped_pairs if mapped_pairs else 1.0,
        "pairs": len(true_pairs),
        "forms": len(forms),
        "typed_recall": _typed_recall(analyze_word, primary),
    }
    if any("#" in lemma for lemmas in forms.values() for lemma in lemmas):
        result.update(_compounds(analyze_word, forms, terms))
    return result


def _typed_recall(analyze_word: AnalyzeWord, primary: dict[str, str]) -> float:
    """Share of forms with å/ä/ö etc. that, typed without them, still get their own term."""
    accented = [form for form in primary if fold(form) != form]
    hits = sum((analyze_word(fold(form)) or [None])[0] == primary[form] for form in accented)
    return hits / len(accented) if accented else 1.0


def _compounds(analyze_word: AnalyzeWord, forms: dict[str, set[str]], terms: dict[str, list[str]]) -> dict:
    """Share of gold compounds whose parts (each analysed as a query would be) are among the word's terms."""
    total = all_parts = heads = split = split_right = 0
    for form, lemmas in forms.items():
        compound = next((lemma for lemma in sorted(lemmas) if "#" in lemma), None)
        emitted = set(terms[form])
        # A split means compound parts: kb's written-form ("=") and folded-fallback ("~") terms are not parts.
        if len({term for term in emitted if not term.startswith(("=", "~"))}) > 1:
            split += 1
            split_right += compound is not None
        if compound is None:
            continue
        wanted = [(analyze_word(part) or [part])[0] for part in compound.split("#") if part]
        total += 1
        all_parts += all(term in emitted for term in wanted)
        heads += wanted[-1] in emitted
    return {
        "compound_recall": all_parts / total if total else 0.0,
        "head_recall": heads / total if total else 0.0,
        "split_precision": split_right / split if split else 0.0,
        "compounds": total,
    }


class SimplemmaFilter(Filter):
    """simplemma's lemma of each token, with simplemma's own cache."""

    def __init__(self, language: str):
        self.language = language
        self.lemmatizer = Lemmatizer()

    def __call__(self, tokens):
        for token in tokens:
            token.text = self.lemmatizer.lemmatize(token.text, self.language).lower()
            yield token


def candidates(language: str) -> dict[str, Callable[[], object]]:
    """Factories of the compared analyzers: each call gives one with empty caches."""
    def kb():
        clear_caches()
        return language_analyzer(language)

    return {
        "Whoosh Snowball (`LanguageAnalyzer`)": lambda: LanguageAnalyzer(language),
        "PyStemmer alone": lambda: RegexTokenizer() | LowercaseFilter() | StemFilter(
            stemfn=Stemmer.Stemmer(STEMMERS[language]).stemWord),
        "simplemma alone": lambda: RegexTokenizer() | LowercaseFilter() | SimplemmaFilter(language),
        "**kb `language_analyzer`**": kb,
    }


def throughput(analyzer, texts: list[str], words: int) -> float:
    """Words per second of one pass of an analyzer over texts, as the index writer calls it."""
    start = time.perf_counter()
    for text in texts:
        for _ in analyzer(text, positions=True, chars=True, mode="index"):
            pass
    return words / (time.perf_counter() - start)


def measure(language: str, path: Path, limit: int | None) -> list[tuple[str, dict]]:
    """One table row per analyzer: conflation figures and cold/warm words per second."""
    _, texts = read_conllu(path, limit)
    words = sum(1 for text in texts for _ in RegexTokenizer()(text))
    rows = []
    for name, make in candidates(language).items():
        analyzer = make()
        cold = throughput(analyzer, texts, words)
        warm = max(throughput(analyzer, texts, words) for _ in range(3))
        result = conflation(lambda word: [t.text for t in analyzer(word)], path, limit)
        rows.append((name, {**result, "cold": cold, "warm": warm}))
    return rows


def _cell(row: dict, key: str, digits: int = 3) -> str:
    return f"{row[key]:.{digits}f}" if key in row else "–"


def table(results: dict[str, list[tuple[str, dict]]]) -> str:
    """The Markdown table of all languages and analyzers."""
    lines = ["| language | analyzer | recall | precision | typed w/o åäö | compounds: all parts | head | "
             "split precision | words/s cold | words/s warm |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for language, rows in results.items():
        for name, row in rows:
            lines.append(f"| {language} | {name} | {_cell(row, 'recall')} | {_cell(row, 'precision')} | "
                         f"{_cell(row, 'typed_recall')} | {_cell(row, 'compound_recall')} | "
                         f"{_cell(row, 'head_recall')} | {_cell(row, 'split_precision')} | "
                         f"{row['cold']:,.0f} | {row['warm']:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="sentences per treebank (default: all)")
    parser.add_argument("--data", type=Path, default=SHARED, help="folder holding the .conllu files")
    args = parser.parse_args(argv)
    results, loads = {}, {}
    for language, name in TREEBANKS.items():
        start = time.perf_counter()
        analyze("a", language)  # loads simplemma's dictionary, shared by every analyzer using it
        loads[language] = time.perf_counter() - start
        results[language] = measure(language, args.data / name, args.limit)
    print(table(results))
    print()
    for language, rows in results.items():
        row = rows[0][1]
        print(f"- {language}: {row['forms']:,} forms, {row['pairs']:,} pairs sharing a lemma"
              + (f", {row['compounds']:,} gold compounds" if "compounds" in row else "")
              + f"; dictionary load {loads[language]:.1f} s; README reference: {REFERENCE[language]}")


if __name__ == "__main__":
    main()
