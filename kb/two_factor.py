"""Two-factor login: after the password, a code from an authenticator app (TOTP, RFC 6238, with pyotp), or
one of ten single-use recovery codes when the app is lost.

Required for support and administrators (the setting STAFF_TWO_FACTOR, on by default) and for the users of
an organisation whose admin requires it; anyone may turn it on for themselves. A code is taken at most once
(the time step of the last one is kept), so a code seen over someone's shoulder is worth nothing after use.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta

import pyotp
import segno
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash

from .changelog import event_time
from .errors import N_, KbError, ValidationError
from .models import RecoveryCode, User

ISSUER = "Aurora Support"
RECOVERY_CODES = 10
STEP = 30  # seconds a code lasts (RFC 6238's default, what every authenticator app uses)
WRONG_CODE = N_("That code is not right. Type the six digits your app shows now, or a recovery code.")
ALREADY_ON = N_("Two-factor login is already on for your user: log in with your app's code.")
START_AGAIN = N_("Setting up took too long. Start again: a new key will be shown.")
NOT_YOU = N_("Type your password, or a code of your authenticator app, to go on.")
PENDING_MINUTES = 10  # how long a key being set up waits for its first code


def required(user: User, staff_required: bool = True) -> bool:
    """Whether the user must log in with a second factor."""
    return (staff_required and user.is_staff) or bool(user.organisation and user.organisation.require_two_factor)


def enrolled(user: User) -> bool:
    return bool(user.totp_secret)


def new_secret() -> str:
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> str:
    """The QR code of the secret for an authenticator app, as inline SVG (drawn here, no outside service)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=4, title=ISSUER)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def lock(session: Session, user: User) -> User:
    """The user's row, locked to the end of the write transaction (PostgreSQL: SELECT ... FOR UPDATE;
    SQLite: the transaction's write lock), read afresh: parallel logins with one code take turns, and each
    sees what the one before it took."""
    return session.scalars(select(User).where(User.id == user.id).with_for_update()
                           .execution_options(populate_existing=True)).one()


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code `code` is: this one, the one before or the one after (clocks drift)."""
    if len(code) != 6 or not code.isdigit():
        return None
    step = int((now or time.time()) // STEP)
    totp = pyotp.TOTP(secret)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * STEP), code):
            return candidate
    return None


def _take_step(session: Session, user: User, step: int, *conditions) -> bool:
    """Keep `step` as the user's last one taken, only if it is newer than the last (and `conditions` hold):
    one UPDATE, so two transactions can never both take it."""
    taken = session.execute(update(User).where(User.id == user.id, *conditions,
                                               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                            .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if taken:
        user.totp_last_step = step
        set_committed_value(user, "totp_last_step", step)
    return bool(taken)


def _take_recovery(session: Session, user: User, code: str) -> bool:
    return bool(session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code), RecoveryCode.used_at.is_(None))
        .values(used_at=event_time(session)).execution_options(synchronize_session=False)).rowcount)


def verify(session: Session, user: User, code: str, now: float | None = None) -> bool:
    """The second step of a login (in a write transaction): the app's code, never one taken before, or an
    unused recovery code (then used up)."""
    code = _normal(code)
    user = lock(session, user)
    if not enrolled(user) or not code or len(code) > 40:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is not None:
        return _take_step(session, user, step, User.totp_secret == user.totp_secret)
    return _take_recovery(session, user, code)


def pending_secret(session: Session, user: User, now: datetime | None = None) -> str:
    """The key of a second factor being set up (in a write transaction): kept on the user, never in the
    cookie, for PENDING_MINUTES; a fresh one after that. Refused when the user has one already."""
    user = lock(session, user)
    if enrolled(user):
        raise ValidationError({"code": ALREADY_ON})
    now = now or event_time(session)
    if not user.totp_pending_secret or user.totp_pending_at is None \
            or now - user.totp_pending_at > timedelta(minutes=PENDING_MINUTES):
        user.totp_pending_secret, user.totp_pending_at = new_secret(), now
    return user.totp_pending_secret


def demo_code(session: Session, user: User, demo_password: str, now: datetime | None = None) -> str:
    """The code a demo login's authenticator app would show now (`kb user totp-code`): of its second factor, or
    of the key its first login is showing. Only while the user's password is the demo's, so it gives nothing
    for a real account; raises KbError otherwise, and when there is no key yet."""
    if not (user.password_hash and check_password_hash(user.password_hash, demo_password)):
        raise KbError("%(username)s is not a demo login: only a demo user's code can be shown.",
                      username=user.username)
    now = now or event_time(session)
    secret = user.totp_secret
    if not secret and user.totp_pending_secret and user.totp_pending_at is not None \
            and now - user.totp_pending_at <= timedelta(minutes=PENDING_MINUTES):
        secret = user.totp_pending_secret
    if not secret:
        raise KbError("%(username)s has no authenticator key yet: log in with the password first, then run this "
                      "again while the portal shows the QR code.", username=user.username)
    return pyotp.TOTP(secret).at(now)


def enrol(session: Session, user: User, code: str, now: float | None = None) -> list[str]:
    """Turn it on (in a write transaction): the first code from the app proves it holds the key being set
    up. Refused when the user has a second factor already (a page left open since must not replace it).
    Returns the recovery codes, shown once. What a new second factor ends is the caller's to end
    (kb/credentials.py)."""
    user = lock(session, user)
    if enrolled(user):
        raise ValidationError({"code": ALREADY_ON})
    secret = user.totp_pending_secret
    if not secret or user.totp_pending_at is None \
            or event_time(session) - user.totp_pending_at > timedelta(minutes=PENDING_MINUTES):
        raise ValidationError({"code": START_AGAIN})
    step = _matching_step(secret, _normal(code), now)
    if step is None or not _take_step(session, user, step, User.totp_secret.is_(None)):
        raise ValidationError({"code": WRONG_CODE})
    user.totp_secret, user.totp_pending_secret, user.totp_pending_at = secret, None, None
    return new_recovery_codes(session, user)


def confirmed(session: Session, user: User, password_or_code: str, now: float | None = None) -> bool:
    """The user proves again that it is them, before a key or recovery codes are shown or the factor
    changes: their password, or a code of their app (taken, like any code)."""
    if check_password_hash(user.password_hash, password_or_code or ""):
        return True
    return enrolled(user) and verify(session, user, password_or_code or "", now)


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new single-use recovery codes ("abcd-efgh-jkmn"); the old ones stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
    codes = ["-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
             for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(_normal(c))) for c in codes)
    session.flush()
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                             RecoveryCode.used_at.is_(None))).all())


def disable(session: Session, user: User, password: str, staff_required: bool = True) -> None:
    """Turn it off, with the password; not where it is required."""
    if required(user, staff_required):
        raise ValidationError({"two_factor": N_("Two-factor login is required for you; it cannot be turned off.")})
    if not check_password_hash(user.password_hash, password or ""):
        raise ValidationError({"two_factor_password": N_("The current password is wrong.")})
    reset(session, user)


def reset(session: Session, user: User) -> None:
    """No second factor any more (an operator's `kb user two-factor-reset`, for a lost phone): where it is
    required, the user sets it up again at their next login."""
    user.totp_secret, user.totp_last_step, user.totp_pending_secret, user.totp_pending_at = None, None, None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
