"""Personal API tokens: created on the profile page, shown once, stored only as a hash."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

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
    """The active user a token belongs to, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(secret)))
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke(session: Session, user: User, token_id: int) -> bool:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        return False
    session.delete(token)
    session.flush()
    return True
