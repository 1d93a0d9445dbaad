"""Ticket numbers: unique and sequential under concurrent creation from threads and processes."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from kb.db import Database, writing
from kb.models import Ticket, User
from kb.tickets import create_ticket


def create_many(url: str, count: int, tag: str) -> list[int]:
    """Register `count` tickets as anna, each in its own transaction, and return their numbers."""
    database = Database(url)
    numbers = []
    try:
        for i in range(count):
            with database.session() as session:
                user = session.scalar(select(User).where(User.username == "anna"))  # a read first, then a write
                with writing(session):
                    ticket = create_ticket(session, user, subject=f"{tag} {i}", product="payroll", description="x")
                    numbers.append(ticket.number)
    finally:
        database.dispose()
    return numbers


def _all_numbers(db) -> list[int]:
    return list(db.scalars(select(Ticket.number).order_by(Ticket.number)))


def test_threads_get_unique_sequential_numbers(app, db):
    url = app.config["DATABASE_URL"]
    before = _all_numbers(db)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda t: create_many(url, 15, f"thread {t}"), range(6)))
    new = sorted(n for numbers in results for n in numbers)
    assert len(new) == len(set(new)) == 90
    assert new == list(range(max(before) + 1, max(before) + 91))
    for numbers in results:  # each writer sees its own numbers grow
        assert numbers == sorted(numbers)


def test_processes_get_unique_sequential_numbers(app, db):
    url = app.config["DATABASE_URL"]
    before = _all_numbers(db)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(create_many, [(url, 10, f"process {p}") for p in range(4)])
    new = sorted(n for numbers in results for n in numbers)
    assert new == list(range(max(before) + 1, max(before) + 41))
    db.rollback()  # end the read snapshot taken before the writers ran
    assert _all_numbers(db) == sorted(before + new)


def test_numbers_are_never_reused_after_deletion(app, db):
    user = db.scalar(select(User).where(User.username == "anna"))
    with writing(db):
        first = create_ticket(db, user, subject="to be deleted", product="payroll", description="x")
    with writing(db):
        db.delete(first)
    with writing(db):
        second = create_ticket(db, user, subject="next", product="payroll", description="x")
    assert second.number == first.number + 1
