"""Login sessions kept in the database, so that logging out ends a session for every copy of its cookie.

The browser's (signed) cookie holds the user's id, their session version and a random key; the database
holds the key's SHA-256. A session is valid while its row has not ended, is younger than MAX_AGE, and
the user's session version is unchanged (deactivation, a new password and a new role bump the version:
every session of theirs ends at once).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from .models import LoginSession, User, utcnow

MAX_AGE = timedelta(days=30)  # a session older than this ends, however active


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user: User) -> str:
    """A new login session for the user; returns its key (for the cookie), which is not stored."""
    now = utcnow()
    # Housekeeping: the user's ended and expired sessions are no longer needed.
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                               or_(LoginSession.ended_at.is_not(None),
                                                   LoginSession.created_at < now - MAX_AGE)))
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, key_hash=_hash(key), created_at=now))
    session.flush()
    return key


def user_of(session: Session, user_id: int, version: int, key: str) -> User | None:
    """The active user of a live login session, or None."""
    if not key or len(key) > 100:
        return None
    return session.scalar(
        select(User).join(LoginSession, LoginSession.user_id == User.id)
        .options(joinedload(User.organisation))  # every page names it and shows times in its time zone
        .where(User.id == user_id, User.active.is_(True), User.session_version == version,
               LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None),
               LoginSession.created_at >= utcnow() - MAX_AGE))


def end(session: Session, key: str) -> None:
    """Log out: the session ends for every copy of its cookie."""
    session.execute(update(LoginSession).where(LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def end_all(session: Session, user: User) -> None:
    """Every session of the user ends (a new password, deactivation, other rights)."""
    user.session_version += 1
    session.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))
