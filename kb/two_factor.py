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

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from .changelog import event_time
from .errors import N_, ValidationError
from .models import RecoveryCode, User

ISSUER = "Aurora Support"
RECOVERY_CODES = 10
STEP = 30  # seconds a code lasts (RFC 6238's default, what every authenticator app uses)
WRONG_CODE = N_("That code is not right. Type the six digits your app shows now, or a recovery code.")


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


def _take_totp(user: User, secret: str, code: str, now: float | None = None) -> bool:
    """Whether `code` is the secret's code of this step, the one before or the one after (clocks drift),
    and newer than the last one taken; it is then taken."""
    if len(code) != 6 or not code.isdigit():
        return False
    step = int((now or time.time()) // STEP)
    totp = pyotp.TOTP(secret)
    for candidate in (step - 1, step, step + 1):
        if candidate > (user.totp_last_step or 0) and secrets.compare_digest(totp.at(candidate * STEP), code):
            user.totp_last_step = candidate
            return True
    return False


def _take_recovery(session: Session, user: User, code: str) -> bool:
    found = session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                      RecoveryCode.code_hash == _hash(code),
                                                      RecoveryCode.used_at.is_(None)))
    if found is None:
        return False
    found.used_at = event_time(session)
    return True


def verify(session: Session, user: User, code: str, now: float | None = None) -> bool:
    """The second step of a login: the app's code, or an unused recovery code (then used up)."""
    code = _normal(code)
    if not enrolled(user) or not code or len(code) > 40:
        return False
    return _take_totp(user, user.totp_secret, code, now) or _take_recovery(session, user, code)


def enrol(session: Session, user: User, secret: str, code: str, now: float | None = None) -> list[str]:
    """Turn it on: the first code from the app proves it holds the secret. Returns the recovery codes,
    shown once."""
    if not _take_totp(user, secret, _normal(code), now):
        raise ValidationError({"code": WRONG_CODE})
    user.totp_secret = secret
    return new_recovery_codes(session, user)


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
    user.totp_secret, user.totp_last_step = None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
