"""Wrong passwords, counted in the database by username and by client address, so that the limit holds
across app processes and nodes.

After USER_FAILURES wrong passwords for one username (whether or not such a user exists: the answer never
tells), or ADDRESS_FAILURES from one address, logins for it are locked: first for one minute, then each
further failure doubles the lock, up to an hour. While locked, no password is checked. An attempt is
counted before its password (or code) is checked, in one transaction that locks its rows (`admit`), so
parallel attempts cannot all slip under the limit; a right answer takes its count back, and a finished
login clears its username's count; failures are forgotten FORGET_AFTER after the last one. An
administrator can lift a user's lock (the users page, `kb user unlock`).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def _rows(session: Session, keys: list[tuple[str, str]], lock: bool = False) -> list[LoginThrottle]:
    query = select(LoginThrottle).where(or_(*(and_(LoginThrottle.kind == kind, LoginThrottle.value == value)
                                              for kind, value in keys))).order_by(LoginThrottle.kind)
    # PostgreSQL: the rows stay locked to the end of the transaction, so parallel attempts take turns here;
    # SQLite: the write transaction (BEGIN IMMEDIATE) already holds the whole database.
    return list(session.scalars(query.with_for_update() if lock else query))


def locked_until(session: Session, username: str, address: str | None, now: datetime | None = None) -> datetime | None:
    """When logins for this username or from this address open again, or None when they are open."""
    now = now or utcnow()
    ends = [row.locked_until for row in _rows(session, _keys(username, address))
            if row.locked_until is not None and row.locked_until > now]
    return max(ends) if ends else None


def _ensure_rows(session: Session, keys: list[tuple[str, str]]) -> None:
    """A row for each key, made without a race: a second process making the same one changes nothing."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for kind, value in keys:
        session.execute(insert(LoginThrottle).values(kind=kind, value=value, failures=0)
                        .on_conflict_do_nothing(index_elements=["kind", "value"]))


def admit(session: Session, username: str, address: str | None) -> datetime | None:
    """May a password or code for this username, from this address, be checked now? Call it in a write
    transaction, before the check. While locked, returns until when (nothing is counted); else the attempt
    is counted as a failure at once, so that however many arrive in parallel, at most the limit are
    checked: a right answer takes its count back (`succeeded`)."""
    now = utcnow()
    keys = _keys(username, address)
    _ensure_rows(session, keys)
    rows = _rows(session, keys, lock=True)
    ends = [row.locked_until for row in rows if row.locked_until is not None and row.locked_until > now]
    if ends:
        return max(ends)
    for row in rows:
        if row.last_failure_at is not None and now - row.last_failure_at > FORGET_AFTER:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        limit = USER_FAILURES if row.kind == USER else ADDRESS_FAILURES
        if row.failures >= limit:
            lock = FIRST_LOCK * 2 ** min(row.failures - limit, 12)
            row.locked_until = now + min(lock, LONGEST_LOCK)
    session.flush()
    return None


def failed(session: Session, username: str, address: str | None) -> None:
    """Count a wrong answer that was not admitted first (in a write transaction)."""
    admit(session, username, address)


def succeeded(session: Session, username: str, address: str | None, finished: bool = True) -> None:
    """The password (or code) admitted was right: its count is taken back. A finished login clears the
    username's count (not the address's: one good login among many guesses at other usernames opens
    nothing); an unfinished one (the code is still to come) leaves the earlier failures counted."""
    for row in _rows(session, _keys(username, address), lock=True):
        if row.kind == USER and finished:
            session.delete(row)
            continue
        row.failures = max(0, row.failures - 1)
        limit = USER_FAILURES if row.kind == USER else ADDRESS_FAILURES
        if row.failures < limit:
            row.locked_until = None
    session.flush()


def spend(session: Session, kind: str, value: str, limit: int, window: timedelta) -> bool:
    """One more of at most `limit` in a `window` for this key (a client address asking for mail, say), in a
    write transaction that locks the key's row; False when they are spent (then nothing is counted)."""
    keys = [(kind[:16], (value or "")[:255])]
    _ensure_rows(session, keys)
    row = _rows(session, keys, lock=True)[0]
    now = utcnow()
    if row.last_failure_at is None or now - row.last_failure_at > window:
        row.failures, row.last_failure_at, row.locked_until = 0, now, None
    if row.failures >= limit:
        return False
    row.failures += 1
    session.flush()
    return True


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
