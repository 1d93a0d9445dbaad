"""Wrong passwords, counted in the database by username and by client address, so that the limit holds
across app processes and nodes.

After USER_FAILURES wrong passwords for one username (whether or not such a user exists: the answer never
tells), or ADDRESS_FAILURES from one address, logins for it are locked: first for one minute, then each
further failure doubles the lock, up to an hour. While locked, no password is checked. A successful
login clears its username's count; failures are forgotten FORGET_AFTER after the last one. An
administrator can lift a user's lock (the users page, `kb user unlock`).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import LoginThrottle, utcnow

USER_FAILURES = 5
ADDRESS_FAILURES = 20
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=1)
USER, ADDRESS = "user", "address"


def _keys(username: str, address: str | None) -> list[tuple[str, str]]:
    keys = [(USER, (username or "").strip().lower()[:255])]
    if address:
        keys.append((ADDRESS, address[:255]))
    return keys


def _rows(session: Session, keys: list[tuple[str, str]]) -> list[LoginThrottle]:
    rows = []
    for kind, value in keys:
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.value == value))
        if row is not None:
            rows.append(row)
    return rows


def locked_until(session: Session, username: str, address: str | None, now: datetime | None = None) -> datetime | None:
    """When logins for this username or from this address open again, or None when they are open."""
    now = now or utcnow()
    ends = [row.locked_until for row in _rows(session, _keys(username, address))
            if row.locked_until is not None and row.locked_until > now]
    return max(ends) if ends else None


def failed(session: Session, username: str, address: str | None) -> None:
    """Count a wrong password (in a write transaction)."""
    now = utcnow()
    for kind, value in _keys(username, address):
        row = session.scalar(select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.value == value))
        if row is None:
            row = LoginThrottle(kind=kind, value=value, failures=0)
            session.add(row)
        elif row.last_failure_at is not None and now - row.last_failure_at > FORGET_AFTER:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        limit = USER_FAILURES if kind == USER else ADDRESS_FAILURES
        if row.failures >= limit:
            lock = FIRST_LOCK * 2 ** min(row.failures - limit, 12)
            row.locked_until = now + min(lock, LONGEST_LOCK)
    session.flush()


def succeeded(session: Session, username: str) -> None:
    """A right password clears the username's count (not the address's: one good login among many
    guesses at other usernames opens nothing)."""
    unlock(session, username)


def unlock(session: Session, username: str) -> bool:
    """Lift a username's lock; whether there was anything to lift."""
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.kind == USER,
                                                         LoginThrottle.value == username.strip().lower()))
    return bool(result.rowcount)


def locked_usernames(session: Session, now: datetime | None = None) -> dict[str, datetime]:
    """The usernames whose logins are locked now, and until when."""
    now = now or utcnow()
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.kind == USER, LoginThrottle.locked_until > now))
    return {row.value: row.locked_until for row in rows}


def minutes_left(until: datetime, now: datetime | None = None) -> int:
    return max(1, math.ceil((until - (now or utcnow())).total_seconds() / 60))
