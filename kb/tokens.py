"""Personal API tokens: created on the profile page, shown once, stored only as a hash."""
from __future__ import annotations

import hashlib
import secrets

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload

from .db import writing
from .errors import N_, ValidationError
from .models import ApiToken, User, utcnow

PREFIX = "kb_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the user; returns it with its secret, which is never stored."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": N_("Name the token, for example after the system that uses it.")})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_hash(secret))
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a token belongs to, or None. The token's last use is written at most once a
    minute, in a write transaction of its own (`note_use`): a write on every call, outside the write
    discipline, made SQLite refuse a share of the calls under load."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                           .where(ApiToken.token_hash == _hash(secret)))
    if token is None or not token.user.active:
        return None
    user = token.user
    note_use(session, token)
    return user


USE_INTERVAL = timedelta(minutes=1)


def note_use(session: Session, token: ApiToken) -> None:
    """Write the token's last use when the one stored is older than USE_INTERVAL; a busy database skips
    it (the last use is a hint for its owner, no reason to refuse the call)."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < USE_INTERVAL:
        return
    token_id = token.id
    try:
        with writing(session):
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    except OperationalError:
        pass


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke(session: Session, user: User, token_id: int) -> bool:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        return False
    session.delete(token)
    session.flush()
    return True
