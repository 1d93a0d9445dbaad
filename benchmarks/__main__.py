"""`make bench`: every engine, every size and every measure in one run, written to docs/benchmarks.md.

    .venv/bin/python -m benchmarks [--sizes 10000,100000] [--procs 2] [--quick]
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

from . import conflation, relevance, speed
from .engines import all_engines, KbEngine

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


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


def run_size(size: int, procs: int, judged: list[str]) -> dict:
    docs = corpus(size)
    queries = speed.query_mix(docs, judged)
    out = {}
    for engine in all_engines(procs):
        log(f"{size:,}: indexing with {engine.name}")
        seconds = engine.build(docs)
        row = {"index_s": seconds, "per_s": size / seconds, "bytes_per_ticket": engine.size() / size}
        log(f"{size:,}: {engine.name} indexed {row['per_s']:,.0f}/s; querying")
        row["p50"], row["p95"] = speed.latency(engine, queries)
        if isinstance(engine, KbEngine):
            row["suggest_p50"], row["suggest_p95"] = speed.suggest_latency(engine, queries)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
                json.dump(queries, fh)
            child = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(engine.folder / "index"), fh.name],
                                   capture_output=True, text=True, cwd=ROOT, check=True)
            os.unlink(fh.name)
            row["rss_mb"], row["private_mb"] = map(float, child.stdout.split())
        engine.close()
        out[engine.name] = row
    return out


def run_relevance(procs: int) -> dict:
    sets = {"SweFAQ (Solution)": (relevance.swefaq, "solution"), "SweFAQ (Free text)": (relevance.swefaq, "free"),
            "Turku paraphrases": (relevance.turku, "free"), "Demo, judged (sv+fi)": (relevance.demo, "free")}
    loaded = {}
    out: dict = {}
    for label, (load, mode) in sets.items():
        docs, queries = loaded.setdefault(load, load())
        for engine in all_engines(procs):
            log(f"relevance: {label} with {engine.name}")
            engine.build(docs)
            out.setdefault(label, {})[engine.name] = relevance.score(engine, queries, mode)
            engine.close()
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
    names = ["kb", "naive Whoosh", "SQLite FTS5", "SQL LIKE"]
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; `kb reindex --procs {procs}`.", "",
             "### Indexing and latency (warm, with snippets)", "",
             "| tickets | engine | index tickets/s | vs naive | search p50 ms | search p95 ms | suggest p50 / p95 ms "
             "| index bytes/ticket | search RSS MB (private) |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size, rows in sizes.items():
        naive = rows["naive Whoosh"]["per_s"]
        for name in names:
            r = rows[name]
            suggest = f"{r['suggest_p50']:.1f} / {r['suggest_p95']:.1f}" if "suggest_p50" in r else "–"
            rss = f"{r['rss_mb']:.0f} ({r['private_mb']:.0f})" if "private_mb" in r else "–"
            lines.append(f"| {size:,} | {name} | {r['per_s']:,.0f} | {r['per_s'] / naive:.1f}x | {r['p50']:.1f} | "
                         f"{r['p95']:.1f} | {suggest} | {r['bytes_per_ticket']:,.0f} | {rss} |")
    lines += ["", "### Relevance (MRR@10 / recall@1 / recall@10)", "",
              "| data | queries | " + " | ".join(names) + " |", "| --- | --- | " + " | ".join("---" for _ in names) + " |"]
    for label, rows in rel.items():
        cells = [f"{rows[n]['mrr']:.3f} / {rows[n]['r1']:.2f} / {rows[n]['r10']:.2f}" for n in names]
        lines.append(f"| {label} | {rows['kb']['queries']} | " + " | ".join(cells) + " |")
    lines += ["", "### Conflation on the UD treebanks (first term per word)", "", conflation.table(conf)]
    misses = rel.get("Demo, judged (sv+fi)", {}).get("kb", {}).get("misses", [])
    if misses:
        lines += ["", "Judged demo queries kb did not answer in its top 10: " + "; ".join(f"`{m}`" for m in misses)]
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, comma separated")
    parser.add_argument("--procs", type=int, default=2, help="writer processes for kb reindex")
    parser.add_argument("--quick", action="store_true", help="a 2 000-ticket smoke run, not written to the doc")
    args = parser.parse_args(argv)
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    judged = [q for q, _ in relevance.demo()[1]]
    results = {"sizes": {size: run_size(size, args.procs, judged) for size in sizes},
               "relevance": run_relevance(args.procs), "conflation": run_conflation()}
    table = report(results["sizes"], results["relevance"], results["conflation"], args.procs)
    print(table)
    if not args.quick:
        write_doc(table)
        (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
