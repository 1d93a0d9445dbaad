"""Login sessions kept in the database, so that logging out ends a session for every copy of its cookie.

The browser's (signed) cookie holds the user's id, their session version and a random key; the database
holds the key's SHA-256. A session is valid while its row has not ended, is younger than MAX_AGE, and
the user's session version is unchanged (kb/credentials.py: a new password, e-mail address, second factor or
role, and deactivation, bump the version: every session of theirs ends at once), and it began with a code
where the user must log in with one.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from . import two_factor
from .models import LoginSession, User, utcnow

MAX_AGE = timedelta(days=30)  # a session older than this ends, however active


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user: User, second_factor: bool = False) -> str:
    """A new login session for the user (begun with a code as well as the password, or not); returns its key
    (for the cookie), which is not stored."""
    now = utcnow()
    # Housekeeping: the user's ended and expired sessions are no longer needed.
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                               or_(LoginSession.ended_at.is_not(None),
                                                   LoginSession.created_at < now - MAX_AGE)))
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, key_hash=_hash(key), created_at=now, second_factor=second_factor))
    session.flush()
    return key


def user_of(session: Session, user_id: int, version: int, key: str, staff_two_factor: bool = True) -> User | None:
    """The active user of a live login session, or None; None too for a session begun with the password
    alone when the user must now log in with a code as well (kb/credentials.py)."""
    if not key or len(key) > 100:
        return None
    found = session.execute(
        select(User, LoginSession.second_factor).join(LoginSession, LoginSession.user_id == User.id)
        .options(joinedload(User.organisation))  # every page names it and shows times in its time zone
        .where(User.id == user_id, User.active.is_(True), User.session_version == version,
               LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None),
               LoginSession.created_at >= utcnow() - MAX_AGE)).first()
    if found is None:
        return None
    user, second_factor = found
    if not second_factor and (two_factor.enrolled(user) or two_factor.required(user, staff_two_factor)):
        return None
    return user


def second_factor_of(session: Session, key: str) -> bool:
    """Whether the live session of this key began with a code as well as the password."""
    return bool(session.scalar(select(LoginSession.second_factor).where(LoginSession.key_hash == _hash(key or ""),
                                                                        LoginSession.ended_at.is_(None))))


def end(session: Session, key: str) -> None:
    """Log out: the session ends for every copy of its cookie."""
    session.execute(update(LoginSession).where(LoginSession.key_hash == _hash(key), LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def end_all(session: Session, user: User) -> None:
    """Every session of the user ends (a new password, deactivation, other rights)."""
    user.session_version += 1
    session.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))
