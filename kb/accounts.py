"""Accounts people manage themselves: their own password (changed, or reset by a mailed link), and the
single-use, time-limited links that mail carries (a forgotten password, an invitation, a new e-mail
address). A link's token is shown only in the mail; the database keeps its SHA-256.

No answer tells whether an address belongs to a user: `request_reset` does the same for the caller
either way (the mail goes only to a real, active user)."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from . import credentials, throttle
from .changelog import event_time
from .errors import N_, ValidationError
from .mail import account_mail
from .config import LANGUAGES
from .models import AccountLink, User, UserAuditEntry
from .users import hash_password, password_problem

LIFETIMES = {"reset": timedelta(hours=1), "invite": timedelta(hours=24), "email": timedelta(hours=24)}
RESETS_PER_HOUR = 3  # links mailed to one user in an hour, at most: asking again mails nothing more
RESETS_PER_CLIENT_HOUR = 10  # asked from one client address in an hour, at most: more are not even looked up
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXPIRED = N_("This link has expired or has already been used. Ask for a new one.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_email(address: str) -> bool:
    return bool(EMAIL.match(address)) and len(address) <= 254


def make_link(session: Session, user: User, purpose: str, email: str | None = None) -> str:
    """A new link for the user; returns its token (for the mail), which is not stored."""
    token = secrets.token_urlsafe(32)
    now = event_time(session)
    session.add(AccountLink(user=user, purpose=purpose, token_hash=_hash(token), email=email, created_at=now,
                            expires_at=now + LIFETIMES[purpose]))
    session.flush()
    return token


def link_for(session: Session, token: str, purposes: tuple[str, ...]) -> AccountLink | None:
    """The unused, unexpired link of one of these purposes with this token, whose user is active."""
    if not token or len(token) > 100:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(token),
                                                    AccountLink.purpose.in_(purposes)))
    if link is None or link.used_at is not None or link.expires_at <= event_time(session) or not link.user.active:
        return None
    return link


def change_password(session: Session, user: User, current: str, new: str, repeated: str, *, keep: str | None = None,
                    keep_tokens: bool = False) -> str | None:
    """The user's own change: the current password first. What a new password ends, ends
    (kb/credentials.py: links, sessions, the API tokens unless `keep_tokens`); the browser of the login
    key `keep` goes on in a new session, whose key is returned."""
    errors = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current"] = N_("The current password is wrong.")
    problem = password_problem(new or "")
    if problem:
        errors["password"] = problem
    elif new != repeated:
        errors["repeated"] = N_("The passwords do not match.")
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(new)
    return credentials.changed(session, user, credentials.PASSWORD, keep=keep, keep_tokens=keep_tokens)


def request_reset(session: Session, address: str, client_address: str | None = None) -> None:
    """A forgotten password: each active user with this e-mail address is mailed a link (valid an hour,
    at most RESETS_PER_HOUR an hour, and RESETS_PER_CLIENT_HOUR asked from one client address). An address
    of nobody changes nothing, and says so to no one."""
    address = (address or "").strip()
    if not valid_email(address):
        raise ValidationError({"email": N_("Give an e-mail address.")})
    if client_address and not throttle.spend(session, "reset_from", client_address, RESETS_PER_CLIENT_HOUR,
                                             timedelta(hours=1)):
        return
    since = event_time(session) - timedelta(hours=1)
    for user in session.scalars(select(User).where(func.lower(User.email) == address.lower(),
                                                   User.active.is_(True))):
        recent = session.scalar(select(func.count(AccountLink.id)).where(
            AccountLink.user_id == user.id, AccountLink.purpose == "reset", AccountLink.created_at >= since))
        if recent < RESETS_PER_HOUR:
            account_mail.password_link(session, user, make_link(session, user, "reset"), "reset")


def reset_password(session: Session, token: str, new: str, repeated: str) -> User:
    """Set a password with a mailed link (a reset, or an invitation's first password); the link is used up."""
    link = link_for(session, token, ("reset", "invite"))
    if link is None:
        raise ValidationError({"token": EXPIRED})
    problem = password_problem(new or "")
    if problem:
        raise ValidationError({"password": problem})
    if new != repeated:
        raise ValidationError({"repeated": N_("The passwords do not match.")})
    link.used_at = event_time(session)
    link.user.password_hash = hash_password(new)
    # sessions, links and API tokens end; an invited user's first password is no news to them
    credentials.changed(session, link.user, credentials.RECOVERY, notify=link.purpose != "invite")
    return link.user


def update_profile(session: Session, user: User, name: str, phone: str, language: str) -> None:
    """The user's own name, phone number and language."""
    name, phone = (name or "").strip(), (phone or "").strip()
    errors = {}
    if not name or len(name) > 200:
        errors["name"] = N_("Give your name (at most 200 characters).")
    if len(phone) > 40:
        errors["phone"] = N_("At most 40 characters.")
    if language not in LANGUAGES:
        errors["language"] = N_("Choose Swedish or Finnish.")
    if errors:
        raise ValidationError(errors)
    user.name, user.phone, user.language = name, phone or None, language


def request_email_change(session: Session, user: User, address: str, password: str) -> None:
    """A new e-mail address takes effect only when confirmed from a link mailed to it (valid 24 hours);
    the password is asked first, so that a left-open session cannot move the account's mail away."""
    address = (address or "").strip()
    errors = {}
    if not check_password_hash(user.password_hash, password or ""):
        errors["email_password"] = N_("The current password is wrong.")
    if not valid_email(address):
        errors["email"] = N_("Give an e-mail address.")
    elif user.email and address.lower() == user.email.lower():
        errors["email"] = N_("That is already your e-mail address.")
    if errors:
        raise ValidationError(errors)
    credentials.end_links(session, user, ("email",))
    account_mail.password_link(session, user, make_link(session, user, "email", email=address), "email",
                               address=address)


def confirm_email(session: Session, token: str, keep: str | None = None) -> tuple[User, str | None]:
    """The mailed link was confirmed: the address it was sent to becomes the user's. The old address is
    told (a way back for the owner, when someone else moved the mail away), and what a new address ends,
    ends (kb/credentials.py); the browser of the user's login key `keep` goes on in a new session, whose
    key is returned with the user."""
    link = link_for(session, token, ("email",))
    if link is None:
        raise ValidationError({"token": EXPIRED})
    link.used_at = event_time(session)
    user = link.user
    old, user.email = user.email, link.email
    if old and old.lower() != link.email.lower():
        account_mail.email_changed(session, user, old)
    session.add(UserAuditEntry(organisation_id=user.organisation_id, actor_id=user.id, user_id=user.id,
                               action="email", old_value=(old or "")[:200], new_value=link.email[:200],
                               at=event_time(session)))
    return user, credentials.changed(session, user, credentials.EMAIL, keep=keep)
