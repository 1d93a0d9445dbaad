"""`make bench`: every engine, every size and every measure in one run, written to docs/benchmarks.md.

    .venv/bin/python -m benchmarks [--sizes 10000,100000] [--procs 2] [--quick]
    .venv/bin/python -m benchmarks --only relevance [--sets swequad-mc-sv,tpc-fi] [--engines kb]
    .venv/bin/python -m benchmarks --only load [--load-tickets 100000] [--load-seconds 60]
    .venv/bin/python -m benchmarks --only reports [--load-tickets 100000]

Only a full run (no --quick, --only, --sets or --engines) writes the doc and results.json. Peer engines'
relevance results come from benchmarks/.cache/ when their set and engines.py are unchanged, so
`--only relevance` reruns kb alone and still prints the whole comparison.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import conflation, load, relevance, reports, speed, stats
from .engines import CLASSES, KbEngine, all_engines, factories

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
LOAD_START, LOAD_END = "<!-- load:start -->", "<!-- load:end -->"  # the load test's table, written on its own
NODES_START, NODES_END = "<!-- nodes:start -->", "<!-- nodes:end -->"  # the same on several nodes
REPORTS_START, REPORTS_END = "<!-- reports:start -->", "<!-- reports:end -->"  # the Reports page at scale
PARTS = ("speed", "relevance", "conflation", "load", "reports")
SPEED_ENGINES = ("kb", "naive", "fts5", "bm25", "like", "tantivy")
# SQL LIKE is left out of relevance: LIKE '%word%' scans the table, ~2 s a whole question at 100 000 tickets.
RELEVANCE_ENGINES = ("kb", "naive", "fts5", "bm25", "tantivy")
QUICK_QUERIES = 100  # --quick scores the first queries of each set only


def corpus(size: int, seed: int = 1) -> list[dict]:
    from kb.config import data_path
    from kb.corpus import generate
    from kb.demo import read_dataset

    data = read_dataset(data_path())
    return [{"id": t["external_id"], "language": t["language"], "title": t["subject"], "problem": t["problem"],
             "solution": t["solution"], "product": t["product"]}
            for t in generate(data["tickets"], data["catalogue"], size, seed)]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_size(size: int, procs: int, judged: list[str], keys: list[str]) -> dict:
    docs = corpus(size)
    mix = {"keyword": speed.query_mix(docs, judged), "question": speed.question_mix()}
    out = {}
    for engine in all_engines(procs, keys):
        log(f"{size:,}: indexing with {engine.name}")
        # kb's import (~4 ms a ticket, not what is measured) is kept between runs, as relevance.py keeps its
        # sets': the 1 000 000-ticket corpus takes about 70 minutes to import the first time.
        seconds = engine.build(docs, relevance.kb_import(f"corpus-{size}", docs)) if isinstance(engine, KbEngine) \
            else engine.build(docs)
        row = {"index_s": seconds, "per_s": size / seconds, "bytes_per_ticket": engine.size() / size}
        log(f"{size:,}: {engine.name} indexed {row['per_s']:,.0f}/s; querying")
        # SQL LIKE times keyword queries only: a whole question scans the table ~2 s at 100 000 tickets.
        timed = speed.latency(engine, {"keyword": mix["keyword"]} if engine.name == "SQL LIKE" else mix)
        row["p50"], row["p95"] = timed["keyword"]
        if "question" in timed:
            row["question_p50"], row["question_p95"] = timed["question"]
        if isinstance(engine, KbEngine):
            row["suggest_p50"], row["suggest_p95"] = speed.suggest_latency(engine, mix["keyword"])
            row["rss_mb"], row["private_mb"] = search_memory(engine, mix["keyword"] + mix["question"])
        engine.close()
        out[engine.name] = row
    return out


def search_memory(engine: KbEngine, queries: list[str]) -> tuple[float, float]:
    """Peak and private RSS in MB of a fresh process that opens kb's index and runs the queries."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(queries, fh)
    child = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(engine.folder / "index"), fh.name],
                           capture_output=True, text=True, cwd=ROOT, check=True)
    os.unlink(fh.name)
    return tuple(map(float, child.stdout.split()))


def run_relevance(procs: int, sets: list[str] | None, keys: list[str], use_cache: bool,
                  limit: int | None) -> dict:
    """{set name: figures} for the sets chosen; peers not run come from the cache when it has them."""
    chosen = factories([k for k in keys if k in RELEVANCE_ENGINES], procs)
    started = time.perf_counter()
    out = {s.name: relevance.evaluate(s, chosen, use_cache, limit, log) for s in relevance.select(sets)}
    log(f"relevance: {time.perf_counter() - started:.0f} s")
    return out


def run_conflation() -> dict:
    out = {}
    for language, name in conflation.TREEBANKS.items():
        log(f"conflation: {language}")
        out[language] = conflation.measure(language, conflation.SHARED / name, None)
    return out


def machine() -> str:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return (f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB RAM, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def report(sizes: dict, rel: dict, conf: dict, procs: int) -> str:
    """The markdown of docs/benchmarks.md between the markers, from the parts that were run."""
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; `kb reindex --procs {procs}`."]
    if sizes:
        lines += ["", "### Indexing and latency (warm, with snippets)", "", speed_table(sizes), "",
                  f"Keyword queries: the judged demo queries and 1–3 corpus words; questions: "
                  f"{speed.QUESTIONS} dev questions of 10–25 words (sv and fi). Peers answer all words, "
                  "then any word when nothing matches; SQL LIKE is not timed on questions (~2 s each at 100 000)."]
    if rel:
        lines += ["", "### Relevance (MRR@10 / recall@1 / recall@10)", "", relevance.table(rel), "",
                  "kb runs its product search (one call). Each peer is scored with the better per set of AND→OR "
                  "(all words, then any word when nothing matches) and OR (any word, ranked); the strategy column "
                  "names the winner. kb − best peer is the mean per-query difference in reciprocal rank against "
                  f"the peer with the best MRR@10, with a paired bootstrap 95% interval ({stats.RESAMPLES} "
                  "resamples). SQL LIKE is left out of relevance (a table scan a word)."]
        misses = rel.get("demo", {}).get("misses", [])
        if misses:
            lines += ["", "Judged demo queries kb did not answer in its top 10: " + "; ".join(f"`{m}`" for m in misses)]
    if conf:
        lines += ["", "### Conflation on the UD treebanks (first term per word)", "", conflation.table(conf)]
    return "\n".join(lines)


def speed_table(sizes: dict) -> str:
    lines = ["| tickets | engine | index tickets/s | vs naive | keyword p50 / p95 ms | question p50 / p95 ms "
             "| suggest p50 / p95 ms | index bytes/ticket | search RSS MB (private) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size, rows in sizes.items():
        naive = rows.get("naive Whoosh", {}).get("per_s")
        for name, r in rows.items():
            ratio = f"{r['per_s'] / naive:.1f}x" if naive else "–"
            rss = f"{r['rss_mb']:.0f} ({r['private_mb']:.0f})" if "private_mb" in r else "–"
            lines.append(f"| {size:,} | {name} | {r['per_s']:,.0f} | {ratio} | {_pair(r, 'p50', 'p95')} | "
                         f"{_pair(r, 'question_p50', 'question_p95')} | {_pair(r, 'suggest_p50', 'suggest_p95')} | "
                         f"{r['bytes_per_ticket']:,.0f} | {rss} |")
    return "\n".join(lines)


def _pair(row: dict, first: str, second: str) -> str:
    return f"{row[first]:.1f} / {row[second]:.1f}" if first in row else "–"


def write_doc(table: str, start: str = START, end: str = END) -> None:
    """The table between the markers `start` and `end` of docs/benchmarks.md (added at the end if missing)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    DOC.write_text(f"{head}{start}\n{table}\n{end}{tail}", encoding="utf-8")


def _list(values: list[str] | None) -> list[str] | None:
    """--x a,b --x c -> [a, b, c]; None when not given."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()] if values else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma separated")
    parser.add_argument("--procs", type=int, default=2, help="writer processes for kb reindex")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: 2 000 tickets, {QUICK_QUERIES} queries a set, not written to the doc")
    parser.add_argument("--only", action="append", help=f"parts to run: {', '.join(PARTS)} (repeatable or a,b)")
    parser.add_argument("--sets", action="append", help="relevance sets by name, label or folder (a,b)")
    parser.add_argument("--engines", action="append", help=f"engines: {', '.join(CLASSES)} (a,b)")
    parser.add_argument("--load-tickets", type=int, default=100_000, help="tickets of the load test's instance")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="measured seconds of the load test")
    parser.add_argument("--load-nodes", type=int, default=1,
                        help="app nodes of the load test: 2 or more run on a throw-away PostgreSQL")
    parser.add_argument("--no-cache", action="store_true", help="rerun peers' relevance instead of reading the cache")
    args = parser.parse_args(argv)
    parts, keys = _list(args.only) or list(PARTS), _list(args.engines) or list(SPEED_ENGINES)
    for name, values, known in (("part", parts, PARTS), ("engine", keys, CLASSES)):
        if unknown := [v for v in values if v not in known]:
            parser.error(f"unknown {name} {unknown}; known: {', '.join(known)}")
    relevance.select(_list(args.sets))  # an unknown set fails now, not after the speed part
    full = not (args.quick or args.only or args.sets or args.engines)
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    judged = [q for q, _ in relevance.demo()[1]]
    results: dict = {"sizes": {}, "relevance": {}, "conflation": {}, "load": {}}
    if "speed" in parts:
        results["sizes"] = {size: run_size(size, args.procs, judged, keys) for size in sizes}
    if "relevance" in parts:
        results["relevance"] = run_relevance(args.procs, _list(args.sets), keys, not args.no_cache,
                                             QUICK_QUERIES if args.quick else None)
    if "conflation" in parts:
        results["conflation"] = run_conflation()
    if "load" in parts:
        tickets, seconds = (2000, 10.0) if args.quick else (args.load_tickets, args.load_seconds)
        if args.load_nodes > 1:
            results["load"] = load.run_nodes(corpus(tickets), args.procs, seconds, log, nodes=args.load_nodes)
        else:
            results["load"] = load.run(corpus(tickets), args.procs, seconds, log)
        print(load.report(results["load"], machine()))
        if not args.quick and seconds == 60.0 and (args.load_nodes > 1 or tickets == 100_000):
            # the issues' measures: kept in the doc (several nodes at any size: the table says how many)
            start, end = (NODES_START, NODES_END) if args.load_nodes > 1 else (LOAD_START, LOAD_END)
            write_doc(load.report(results["load"], machine()), start, end)
    if "reports" in parts:
        tickets = 2000 if args.quick else args.load_tickets
        results["reports"] = reports.run(corpus(tickets), args.procs, log)
        print(reports.report(results["reports"], machine()))
        if not args.quick and tickets == 100_000:
            write_doc(reports.report(results["reports"], machine()), REPORTS_START, REPORTS_END)
    if set(parts) <= {"load", "reports"}:
        return
    table = report(results["sizes"], results["relevance"], results["conflation"], args.procs)
    print(table)
    if full:
        write_doc(table)
        results["relevance_pooled"] = dict(relevance.pooled(results["relevance"]))
        results["relevance"] = relevance.for_json(results["relevance"])
        (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
