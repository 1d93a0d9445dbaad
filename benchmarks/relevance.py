"""Search quality: MRR@10 and recall@10 on SweFAQ, the Turku paraphrases and the judged demo queries."""
from __future__ import annotations

import json
from pathlib import Path

from .engines import answer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "relevance"


def swefaq(path: Path = SHARED / "swefaq_dev.jsonl") -> tuple[list[dict], list[tuple[str, set[str]]]]:
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


def turku(path: Path = SHARED / "turku_sv_even_folds.json") -> tuple[list[dict], list[tuple[str, set[str]]]]:
    """Every txt2 is a document; the txt1 of each full paraphrase (label 4...) wants its txt2."""
    pairs = json.loads(path.read_text(encoding="utf-8"))
    ids: dict[str, str] = {}
    for pair in pairs:
        ids.setdefault(pair["txt2"], f"tp-{len(ids)}")
    docs = [{"id": i, "language": "sv", "title": f"T {n}", "problem": text, "solution": "", "product": None}
            for n, (text, i) in enumerate(ids.items())]
    queries = [(p["txt1"], {ids[p["txt2"]]}) for p in pairs if str(p["label"]).startswith("4")]
    return docs, queries


def demo(root: Path = ROOT) -> tuple[list[dict], list[tuple[str, set[str]]]]:
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


def score(engine, queries: list[tuple[str, set[str]]], mode: str = "free", k: int = 10) -> dict:
    """MRR@k, recall@1 and recall@k, and the queries whose answer was not in the top k."""
    reciprocal, at1, atk, misses = 0.0, 0, 0, []
    for text, relevant in queries:
        found = answer(engine, text, mode, k, snippets=False)
        rank = next((i for i, doc in enumerate(found, 1) if doc in relevant), None)
        if rank:
            reciprocal += 1 / rank
            at1 += rank == 1
            atk += 1
        else:
            misses.append(text)
    n = max(1, len(queries))
    return {"mrr": reciprocal / n, "r1": at1 / n, "r10": atk / n, "queries": len(queries), "misses": misses}
