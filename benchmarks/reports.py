"""The Reports page at scale: an instance of the load test's tickets (100 000 by default, registered over
three years) with a year of the experience database's use (searches per day, zero-result queries, entries
opened, solved-my-problem and votes), and the page drawn in one process, as support, again and again.

    .venv/bin/python -m benchmarks --only reports [--load-tickets 100000]
"""
from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from .speed import percentiles

ROUNDS = 30
TARGET_P95_MS = 500


def add_a_year_of_use(folder: Path, seed: int = 7) -> dict:
    """Synthetic use of a busy year: searches every day in each language filter and mode, 200 queries that
    found nothing a day (from 5 000), 300 entries opened a day, and solved-my-problem and votes."""
    from sqlalchemy import insert, select

    from kb.db import Database
    from kb.models import Deflection, EntryView, HelpfulVote, SearchDay, Ticket, User, ZeroResultQuery

    rng = random.Random(seed)
    database = Database(f"sqlite:///{folder / 'kb.sqlite3'}")
    today = date.today()
    days = [today - timedelta(days=n) for n in range(365)]
    with database.session() as session:
        ids = list(session.scalars(select(Ticket.id).where(Ticket.is_published).limit(5000)))
        numbers = list(session.scalars(select(Ticket.number).where(Ticket.is_published).limit(5000)))
        users = list(session.scalars(select(User.id)))
        pool = [f"fråga {n} om {rng.choice(['lön', 'moms', 'palkka', 'lasku', 'bokslut'])}" for n in range(5000)]
        searches = [{"day": d, "language": lang, "mode": mode, "searches": rng.randint(50, 400),
                     "zero_results": rng.randint(0, 40)} for d in days for lang in ("sv", "fi", "all")
                    for mode in ("free", "problem", "solution")]
        zero = [{"day": d, "query": q, "searches": rng.randint(1, 5)} for d in days for q in rng.sample(pool, 200)]
        views = [{"day": d, "ticket_number": n, "views": rng.randint(1, 30)} for d in days
                 for n in rng.sample(numbers, min(300, len(numbers)))]
        deflections = [{"ticket_id": rng.choice(ids), "user_id": rng.choice(users),
                        "at": _moment(rng, days)} for _ in range(20_000)]
        pairs = {(rng.choice(ids), u) for u in users for _ in range(2000)}
        votes = [{"ticket_id": t, "user_id": u, "helpful": rng.random() < 0.8, "at": _moment(rng, days)}
                 for t, u in pairs]
        for model, rows in ((SearchDay, searches), (ZeroResultQuery, zero), (EntryView, views),
                            (Deflection, deflections), (HelpfulVote, votes)):
            for start in range(0, len(rows), 5000):
                session.execute(insert(model), rows[start:start + 5000])
        session.commit()
    database.dispose()
    return {"search_days": len(searches), "zero_result_rows": len(zero), "entry_view_rows": len(views),
            "deflections": len(deflections), "votes": len(votes)}


def _moment(rng: random.Random, days: list[date]):
    from datetime import datetime, timezone

    day = rng.choice(days)
    return datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59), tzinfo=timezone.utc)


def _client(folder: Path):
    """The app in this process (no HTTP: the page's own cost), logged in as support with the code too."""
    from kb.testing.second_factor import next_code
    from webapp import create_app

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(folder), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/auth/login", data={"username": "support", "password": "demo"})
    response = client.post("/auth/login/code", data={"code": next_code("support")})
    if response.status_code != 302:
        raise RuntimeError(f"support's login answered {response.status_code}")
    return client


def time_pages(client, paths: dict[str, str], rounds: int = ROUNDS) -> dict:
    out = {}
    for name, path in paths.items():
        client.get(path)  # the first: caches warm
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        p50, p95 = percentiles(samples)
        out[name] = {"path": path, "p50_ms": p50, "p95_ms": p95, "mean_ms": statistics.mean(samples)}
    return out


def run(docs: list[dict], procs: int, log) -> dict:
    from . import load

    folder = Path(tempfile.mkdtemp(prefix="kb-reports-"))
    try:
        load.build(folder, docs, procs, log)
        log("reports: adding a year of search logs")
        use = add_a_year_of_use(folder)
        client = _client(folder)
        today = date.today()
        year = (today - timedelta(days=365)).isoformat()
        three = (today - timedelta(days=3 * 366)).isoformat()
        paths = {"page, 13 weeks (default)": "/reports/", "page, a year": f"/reports/?from={year}",
                 "page, three years (every ticket)": f"/reports/?from={three}",
                 "CSV of tickets, a year": f"/reports/tickets.csv?from={year}",
                 "API usage, a year": f"/api/v1/reports/usage?from={year}"}
        log(f"reports: {ROUNDS} rounds of {len(paths)} pages")
        return {"tickets": len(docs), "use": use, "pages": time_pages(client, paths)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(result: dict, machine: str) -> str:
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine}: {result['tickets']:,} tickets over three "
             f"years, a year of use ({result['use']['zero_result_rows']:,} zero-result rows, "
             f"{result['use']['entry_view_rows']:,} entry-view rows, "
             f"{result['use']['deflections']:,} solved-my-problem, "
             f"{result['use']['votes']:,} votes); in one process (Flask's test client, no HTTP), {ROUNDS} rounds.",
             "", "| page | p50 ms | p95 ms | target p95 ms |", "| --- | --- | --- | --- |"]
    for name, row in result["pages"].items():
        lines.append(f"| {name} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {TARGET_P95_MS} |")
    return "\n".join(lines)

