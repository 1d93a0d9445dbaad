"""Search quality: MRR@10, recall@1 and recall@10 of every engine on every set of ../shared/relevance.

kb runs its product strategy (one `KbEngine.search`). Each peer is scored with the better, per set, of
(a) all words, then any word ranked when nothing matches, and (b) any word, ranked, always. Peers'
results do not change when kb's ranking does, so they are cached in benchmarks/.cache/, and so is the
database kb's import makes of each set (only the rebuild and the searches depend on indexer/).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import stats
from .engines import WORDS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "relevance"
CACHE = ROOT / "benchmarks" / ".cache"
K = 10
KEYWORD_WORDS = 3  # a query of at most 3 words is a keyword query; a longer one is a question
STRATEGIES = {"and-or": "AND→OR", "or": "OR"}  # (a) and (b) above, as the table names them
PEERS = ("naive Whoosh", "SQLite FTS5", "stdlib BM25")
ENGINES = ("kb", *PEERS)

Queries = list[tuple[str, set[str]]]


def swefaq(path: Path = SHARED / "swefaq_dev.jsonl") -> tuple[list[dict], Queries]:
    """Every distinct answer is the solution of one ticket (empty problem); each question wants its answer."""
    answers: dict[str, str] = {}
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for text in item["candidate_answers"]:
            answers.setdefault(text, f"faq-{len(answers)}")
        queries.append((item["question"], {answers[item["candidate_answers"][item["label"]]]}))
    docs = [{"id": i, "language": "sv", "title": f"FAQ {n}", "problem": "", "solution": text, "product": None}
            for n, (text, i) in enumerate(answers.items())]
    return docs, queries


def turku(path: Path = SHARED / "turku_sv_even_folds.json") -> tuple[list[dict], Queries]:
    """Every txt2 is a document; the txt1 of each full paraphrase (label 4...) wants its txt2."""
    pairs = json.loads(path.read_text(encoding="utf-8"))
    ids: dict[str, str] = {}
    for pair in pairs:
        ids.setdefault(pair["txt2"], f"tp-{len(ids)}")
    docs = [{"id": i, "language": "sv", "title": f"T {n}", "problem": text, "solution": "", "product": None}
            for n, (text, i) in enumerate(ids.items())]
    queries = [(p["txt1"], {ids[p["txt2"]]}) for p in pairs if str(p["label"]).startswith("4")]
    return docs, queries


def demo(root: Path = ROOT) -> tuple[list[dict], Queries]:
    """The demo data's published tickets, and the judged queries of benchmarks/judgments.json."""
    docs = []
    for name in ("tickets_sv.json", "tickets_fi.json"):
        for t in json.loads((root / "data" / "demo" / name).read_text(encoding="utf-8")):
            if t.get("general") and t["status"] in ("resolved", "closed"):
                docs.append({"id": t["key"], "language": t["language"], "title": t["subject"],
                             "problem": t["published_problem"], "solution": t["published_solution"],
                             "product": t["product"]})
    judged = json.loads((root / "benchmarks" / "judgments.json").read_text(encoding="utf-8"))["queries"]
    return docs, [(q["q"], set(q["relevant"])) for q in judged]


@cache
def folder(name: str, root: Path = SHARED) -> tuple[list[dict], Queries]:
    """A set of README's 2026-12-01 section: docs.jsonl as tickets (an empty title stays empty), dev queries."""
    def lines(file: str) -> list[dict]:
        return [json.loads(line) for line in (root / name / file).read_text(encoding="utf-8").splitlines() if line]

    docs = [{"id": d["id"], "language": d["language"], "title": d.get("title") or "", "problem": d.get("problem") or "",
             "solution": d.get("solution") or "", "product": None} for d in lines("docs.jsonl")]
    return docs, [(q["query"], set(q["relevant"])) for q in lines("queries-dev.jsonl")]


@dataclass(frozen=True)
class RelevanceSet:
    name: str  # for --sets and the cache
    label: str  # for the table
    language: str  # sv, fi, or sv+fi (each query then takes the language of its answer)
    mode: str
    load: Callable[[], tuple[list[dict], Queries]]


NEW_SETS = {"tpc-fi": "fi", "nq-fi": "fi", "dolly-fi-qa": "fi", "swequad-mc-sv": "sv", "squad2-sv-dev": "sv",
            "construction-faq-sv": "sv"}
SETS = [RelevanceSet("swefaq-solution", "SweFAQ (Solution)", "sv", "solution", swefaq),
        RelevanceSet("swefaq-free", "SweFAQ (Free text)", "sv", "free", swefaq),
        RelevanceSet("turku-sv", "Turku paraphrases", "sv", "free", turku),
        RelevanceSet("demo", "Demo, judged (sv+fi)", "sv+fi", "free", demo),
        *(RelevanceSet(name, name, language, "free", lambda name=name: folder(name))
          for name, language in NEW_SETS.items())]


def select(names: list[str] | None) -> list[RelevanceSet]:
    """The sets named by name, label or a name's first part ('swefaq' is both SweFAQ rows); all when None."""
    if not names:
        return SETS
    wanted = {n.strip().lower() for n in names if n.strip()}
    chosen = [s for s in SETS if wanted & {s.name, s.label.lower(), s.name.split("-")[0]}]
    unknown = {n for n in wanted if not any(n in {s.name, s.label.lower(), s.name.split("-")[0]} for s in SETS)}
    if unknown:
        raise SystemExit(f"unknown set(s) {sorted(unknown)}; known: {', '.join(s.name for s in SETS)}")
    return chosen


def kind(query: str) -> str:
    return "keyword" if len(WORDS.findall(query)) <= KEYWORD_WORDS else "question"


def reciprocal_ranks(rankings: list[list[str]], queries: Queries) -> list[float]:
    """1 / rank of the first relevant document in each query's top K, 0 when there is none."""
    return [next((1 / rank for rank, doc in enumerate(found[:K], 1) if doc in relevant), 0.0)
            for found, (_, relevant) in zip(rankings, queries)]


def metrics(rr: list[float]) -> dict:
    """MRR@K, recall@1 and recall@K of per-query reciprocal ranks."""
    n = max(1, len(rr))
    return {"mrr": sum(rr) / n, "r1": sum(r == 1 for r in rr) / n, "r10": sum(r > 0 for r in rr) / n,
            "queries": len(rr)}


def run_kb(engine, queries: Queries, mode: str) -> list[list[str]]:
    """kb's product strategy: one search a query."""
    return [engine.search(text, mode, K, snippets=False) for text, _ in queries]


def run_peer(engine, queries: Queries, mode: str) -> dict[str, list[list[str]]]:
    """Both strategies from two searches a query: the any-word result is also (a)'s fallback."""
    every = [engine.search(text, mode, K, snippets=False) for text, _ in queries]
    any_word = [engine.search(text, mode, K, snippets=False, any_word=True) for text, _ in queries]
    return {"and-or": [e or a for e, a in zip(every, any_word)], "or": any_word}


def digest(docs: list[dict], queries: Queries) -> str:
    """A hash of a set's documents and queries and of engines.py: what a peer's results depend on."""
    data = json.dumps([docs, [(q, sorted(r)) for q, r in queries]], ensure_ascii=False, sort_keys=True)
    engines = (ROOT / "benchmarks" / "engines.py").read_bytes()
    return hashlib.sha256(data.encode("utf-8") + engines).hexdigest()[:16]


def kb_import(set_name: str, docs: list[dict]) -> Path:
    """Where kb's imported database of a set is kept (keyed by the documents, engines.py, kb/ and the
    catalogue); an older one of the set is deleted: these are the big files of the cache."""
    sources = sorted((ROOT / "kb").rglob("*.py")) + [ROOT / "data" / "demo" / "catalogue.json"]
    key = hashlib.sha256(digest(docs, []).encode() + b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    path = CACHE / f"{set_name}.kb-import.{key}.sqlite3"
    for old in CACHE.glob(f"{set_name}.kb-import.*.sqlite3"):
        if old != path:
            old.unlink()
    return path


def _cache_file(set_name: str, engine: str, strategy: str, key: str) -> Path:
    return CACHE / f"{set_name}.{engine.replace(' ', '-')}.{strategy}.{key}.json"


def cached(set_name: str, engine: str, key: str) -> dict[str, list[list[str]]] | None:
    """A peer's rankings of both strategies, when both are cached for this key."""
    files = {s: _cache_file(set_name, engine, s, key) for s in STRATEGIES}
    if not all(f.exists() for f in files.values()):
        return None
    return {s: json.loads(f.read_text(encoding="utf-8")) for s, f in files.items()}


def store(set_name: str, engine: str, key: str, rankings: dict[str, list[list[str]]]) -> None:
    """Write a peer's rankings of both strategies (older keys stay: a --quick run must not evict a full one)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for strategy, found in rankings.items():
        _cache_file(set_name, engine, strategy, key).write_text(json.dumps(found, ensure_ascii=False),
                                                                encoding="utf-8")


def evaluate(rset: RelevanceSet, factories: dict[str, Callable], use_cache: bool = True,
             limit: int | None = None, log: Callable[[str], None] = print) -> dict:
    """One set: each engine given (name: factory) is run, peers only when not cached; other peers from the cache.

    With a limit (a smoke run), the first `limit` queries over their answers and 20 x limit other documents.
    """
    docs, queries = rset.load()
    if limit:
        queries = queries[:limit]
        answers = set().union(*(relevant for _, relevant in queries))
        docs = [d for n, d in enumerate(docs) if n < 20 * limit or d["id"] in answers]
    key = digest(docs, queries)
    rankings: dict[str, dict[str, list[list[str]]]] = {}
    for name in PEERS:
        if use_cache and (found := cached(rset.name, name, key)):
            rankings[name] = found
    for name, factory in factories.items():
        if name in rankings:
            continue
        log(f"relevance: {rset.label} with {name}")
        engine = factory()
        if name == "kb":
            engine.build(docs, kb_import(rset.name, docs) if use_cache else None)
            rankings[name] = {"product": run_kb(engine, queries, rset.mode)}
        else:
            engine.build(docs)
            rankings[name] = run_peer(engine, queries, rset.mode)
            store(rset.name, name, key, rankings[name])
        engine.close()
    return summarise(rset, docs, queries, rankings)


def summarise(rset: RelevanceSet, docs: list[dict], queries: Queries, rankings: dict) -> dict:
    """Each engine's figures in its better strategy, the best peer, kb minus that peer, and the per-query data."""
    language = {d["id"]: d["language"] for d in docs}  # a query's language: its (first) answer's
    out = {"label": rset.label, "language": rset.language, "mode": rset.mode, "queries": len(queries),
           "engines": {}, "rr": {}, "query_language": [language[min(relevant)] for _, relevant in queries],
           "query_kind": [kind(q) for q, _ in queries]}
    for name in ENGINES:
        if name not in rankings:
            continue
        scored = {s: reciprocal_ranks(found, queries) for s, found in rankings[name].items()}
        strategy = max(scored, key=lambda s: sum(scored[s]))  # ties keep the first: AND→OR
        out["rr"][name] = scored[strategy]
        out["engines"][name] = {**metrics(scored[strategy]), "strategy": strategy,
                                "mrr_by_strategy": {s: metrics(rr)["mrr"] for s, rr in scored.items()}}
    out.update(compare(out["rr"]))
    if rset.name == "demo" and "kb" in out["rr"]:
        out["misses"] = [q for (q, _), r in zip(queries, out["rr"]["kb"]) if r == 0]
    return out


def compare(rr: dict[str, list[float]]) -> dict:
    """The peer with the best MRR and the paired bootstrap of kb minus it: {"best_peer", "difference"}."""
    peers = [p for p in PEERS if p in rr]
    if not peers:
        return {"best_peer": None, "difference": None}
    best = max(peers, key=lambda p: sum(rr[p]))
    difference = stats.paired_bootstrap(rr["kb"], rr[best]) if "kb" in rr else None
    return {"best_peer": best, "difference": difference}


POOLS = {None: "all queries", "keyword": f"keyword (≤ {KEYWORD_WORDS} words)",
         "question": f"question (> {KEYWORD_WORDS} words)"}


def pooled(results: dict[str, dict]) -> list[tuple[str, dict]]:
    """Rows by language and by language x kind, every query of that kind pooled across sets.

    SweFAQ counts once (its Free-text row); a pool holds only the engines measured on all its sets.
    """
    sets = [r for name, r in results.items() if name != "swefaq-solution"]
    engines = [e for e in ENGINES if sets and all(e in r["rr"] for r in sets)]
    rows = []
    for language in ("sv", "fi"):
        for kind_, label in POOLS.items():
            pool = {e: _pooled_rr(sets, e, language, kind_) for e in engines}
            count = len(next(iter(pool.values()), []))
            if count:
                rows.append((f"{language}, {label}", {"queries": count, **compare(pool),
                                                      "engines": {e: metrics(rr) for e, rr in pool.items()}}))
    return rows


def _pooled_rr(sets: list[dict], engine: str, language: str, kind_: str | None) -> list[float]:
    """An engine's reciprocal ranks of every query of this language (and kind) in the sets."""
    return [rr for r in sets for rr, lang, k in zip(r["rr"][engine], r["query_language"], r["query_kind"])
            if lang == language and kind_ in (None, k)]


def _interval(difference) -> str:
    if not difference:
        return "–"
    mean, lower, upper = difference
    return f"{mean:+.3f} [{lower:+.3f}, {upper:+.3f}]"


def table(results: dict[str, dict]) -> str:
    """The relevance tables of the report: per set, then pooled by language and query kind."""
    head, rule = " | ".join(ENGINES), " | ".join("---" for _ in ENGINES)
    strategy = f"peer strategy ({' / '.join(PEERS)})"
    lines = [f"| data | lang | queries | {head} | best peer | kb − best peer [95%] | {strategy} |",
             f"| --- | --- | --- | {rule} | --- | --- | --- |"]
    for r in results.values():
        cells = [_cell(r["engines"].get(e), "{mrr:.3f} / {r1:.2f} / {r10:.2f}") for e in ENGINES]
        strategies = " / ".join(STRATEGIES[r["engines"][p]["strategy"]] if p in r["engines"] else "–" for p in PEERS)
        lines.append(f"| {r['label']} | {r['language']} | {r['queries']} | " + " | ".join(cells) +
                     f" | {r['best_peer'] or '–'} | {_interval(r['difference'])} | {strategies} |")
    lines += ["", "MRR@10 with queries pooled across sets (SweFAQ once), by language and query kind:", "",
              f"| pool | queries | {head} | best peer | kb − best peer [95%] |",
              f"| --- | --- | {rule} | --- | --- |"]
    for label, row in pooled(results):
        cells = [_cell(row["engines"].get(e), "{mrr:.3f}") for e in ENGINES]
        lines.append(f"| {label} | {row['queries']} | " + " | ".join(cells) +
                     f" | {row['best_peer'] or '–'} | {_interval(row['difference'])} |")
    return "\n".join(lines)


def _cell(figures: dict | None, form: str) -> str:
    return form.format(**figures) if figures else "–"


def for_json(results: dict[str, dict]) -> dict:
    """The results without their per-query lists (results.json keeps the figures)."""
    return {name: {k: v for k, v in r.items() if k not in ("rr", "query_language", "query_kind")}
            for name, r in results.items()}
