"""What a change of a user's credentials ends: one rule, in one place.

A change of password, e-mail address, second factor or role, and deactivation, end every outstanding link
of the user (a password reset, an invitation, an address to confirm) and every login session of theirs;
the browser that made the change may go on in a new session of its own (`keep`). An account recovery (a
password chosen from a mailed link) also ends the user's API tokens, and so, unless the user keeps them,
does a password change: whoever had the account may have made one. A tightened policy (an organisation
that starts requiring two-factor login) ends every session that no longer meets it; `sessions.user_of`
refuses such a session in any case, so a policy that changes any other way (STAFF_TWO_FACTOR) holds too.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import sessions
from .mail import account_mail
from .models import AccountLink, ApiToken, LoginSession, Organisation, User, utcnow

PASSWORD, RECOVERY, EMAIL, SECOND_FACTOR, ROLE, DEACTIVATED = (
    "password", "recovery", "email", "second_factor", "role", "deactivated")
CHANGES = (PASSWORD, RECOVERY, EMAIL, SECOND_FACTOR, ROLE, DEACTIVATED)
LINK_PURPOSES = ("reset", "invite", "email")


def end_links(session: Session, user: User, purposes: tuple[str, ...] = LINK_PURPOSES) -> None:
    """The user's unused links of these purposes stop working."""
    session.execute(update(AccountLink).where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None),
                                              AccountLink.purpose.in_(purposes))
                    .values(used_at=utcnow()))


def end_tokens(session: Session, user: User) -> int:
    """Every API token of the user stops answering; how many there were."""
    return session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount or 0


def changed(session: Session, user: User, change: str, *, keep: str | None = None, second_factor: bool | None = None,
            keep_tokens: bool = False, notify: bool = True) -> str | None:
    """`change` (one of CHANGES) happened to the user: end what it must, and tell the user by mail of a new
    password or second factor (unless not `notify`: an invited user's first password). With `keep`, the
    login key of the browser that made the change, that browser goes on in a new session, returned (with
    a second factor as its old one had, or as `second_factor` says: the change proved one)."""
    if change not in CHANGES:
        raise ValueError(change)
    if notify:
        account_mail.security_notice(session, user, change)
    end_links(session, user)
    if change == RECOVERY or (change == PASSWORD and not keep_tokens):
        end_tokens(session, user)
    had_code = bool(keep) and sessions.second_factor_of(session, keep)
    sessions.end_all(session, user)
    if not keep or change == DEACTIVATED:
        return None
    return sessions.start(session, user, second_factor=had_code if second_factor is None else second_factor)


def policy_tightened(session: Session, organisation: Organisation) -> int:
    """The organisation now requires two-factor login: its users' sessions begun with the password alone
    end (each logs in again, with a code, setting one up where they have none). How many ended."""
    users = select(User.id).where(User.organisation_id == organisation.id)
    return session.execute(update(LoginSession).where(LoginSession.user_id.in_(users),
                                                      LoginSession.second_factor.is_(False),
                                                      LoginSession.ended_at.is_(None))
                           .values(ended_at=utcnow())).rowcount or 0
