"""A customer admin's work on their organisation's users (the Finnish manual's "HelpDesk-tunnukset"):
invite by e-mail (the new user chooses a password from the link), deactivate and reactivate, change the
role within the organisation, give or take the remote-access approval right. A partner's admins also
manage the users of those end customers that allow it (`Organisation.partner_manages_users`).

Never beyond the organisations an admin manages: every function checks, and the pages answer 404. Every
change is written to the organisation's user audit (UserAuditEntry), which its admins and the vendor's
administrators read."""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import accounts, credentials
from .changelog import event_time
from .config import LANGUAGES
from .errors import N_, ValidationError
from .mail import account_mail
from .models import AccountLink, Organisation, OrganisationKind, Role, User, UserAuditEntry
from .users import USERNAME, find_user, hash_password

NOT_YOURS = N_("That user is not one of your organisation's.")


class NotManaged(ValidationError):
    """The actor does not manage the organisation (the pages answer 404)."""

    def __init__(self):
        super().__init__({"user": NOT_YOURS})


def is_admin(user: User) -> bool:
    """Whether the user manages some organisation's users: a customer admin, or the vendor's administrator."""
    return user.active and user.role in (Role.CUSTOMER_ADMIN, Role.ADMIN)


def managed_organisations(session: Session, actor: User) -> list[Organisation]:
    """The organisations whose users the actor manages: their own, and for a partner's admin the end
    customers that allow it; every customer and partner for the vendor's administrators; none for anyone
    else."""
    if not is_admin(actor):
        return []
    if actor.role == Role.ADMIN:
        return list(session.scalars(select(Organisation).where(Organisation.kind != OrganisationKind.VENDOR,
                                                               Organisation.active.is_(True))
                                    .order_by(Organisation.name)))
    managed = [actor.organisation]
    if actor.organisation.kind == OrganisationKind.PARTNER:
        managed += session.scalars(select(Organisation).where(
            Organisation.partner_id == actor.organisation_id, Organisation.partner_manages_users.is_(True),
            Organisation.active.is_(True)).order_by(Organisation.name))
    return managed


def manages(session: Session, actor: User, organisation: Organisation | None) -> bool:
    return organisation is not None and organisation in managed_organisations(session, actor)


def _check(session: Session, actor: User, organisation: Organisation | None) -> None:
    if not manages(session, actor, organisation):
        raise NotManaged()


def roles_in(organisation: Organisation) -> tuple[Role, ...]:
    """The roles an organisation's admin can give: its ordinary users' role, and admin."""
    return (Role.PARTNER if organisation.kind == OrganisationKind.PARTNER else Role.CUSTOMER, Role.CUSTOMER_ADMIN)


def users_of(session: Session, actor: User, organisation: Organisation) -> list[User]:
    _check(session, actor, organisation)
    return list(session.scalars(select(User).where(User.organisation_id == organisation.id)
                                .order_by(User.active.desc(), User.name)))


def record(session: Session, actor: User | None, user: User, action: str, old: str | None = None,
           new: str | None = None) -> None:
    """A change to a user, in their organisation's user audit (also the vendor's administrators' changes)."""
    session.add(UserAuditEntry(organisation_id=user.organisation_id, actor_id=actor.id if actor else None,
                               user_id=user.id,
                               action=action, old_value=old, new_value=new, at=event_time(session)))


def suggested_username(session: Session, email: str) -> str:
    """A free username made of the address's local part ("anna.lindberg"), numbered when taken."""
    return free_username(session, email.split("@")[0])


def free_username(session: Session, wanted: str) -> str:
    """`wanted` made a username (lower case, the allowed characters), numbered when taken ("anna2")."""
    base = re.sub(r"[^a-z0-9._-]", "", wanted.lower())[:60].strip("._-") or "user"
    if len(base) < 2:
        base += "1"
    name, n = base, 1
    while find_user(session, name) is not None:
        n += 1
        name = f"{base[:60]}{n}"
    return name


def invite(session: Session, actor: User, organisation: Organisation, *, name: str, email: str, username: str = "",
           phone: str = "", language: str = "", role: str = "", may_approve: bool = False) -> User:
    """A new user of the organisation, mailed a link to choose their password (valid 24 hours). Until
    then no password works for them. A username typed that is taken already (by anyone in the portal) is
    not refused: the user gets a free one made of it ("anna2"), told in their mail, so the form never tells
    an admin which usernames exist beyond their organisation."""
    _check(session, actor, organisation)
    name, email, phone = (name or "").strip(), (email or "").strip(), (phone or "").strip()
    username = (username or "").strip().lower() or (suggested_username(session, email) if email else "")
    if USERNAME.match(username) and find_user(session, username) is not None:
        username = free_username(session, username)
    language = language or organisation.language
    errors = {}
    if not name or len(name) > 200:
        errors["name"] = N_("Give the user's name (at most 200 characters).")
    if not accounts.valid_email(email):
        errors["email"] = N_("Give an e-mail address.")
    elif session.scalar(select(User.id).where(func.lower(User.email) == email.lower(), User.active.is_(True),
                                              User.organisation_id == organisation.id)):
        errors["email"] = N_("A user of the organisation already has this e-mail address.")
    if not USERNAME.match(username):
        errors["username"] = N_("Use 2-64 lower-case letters, digits, dots, hyphens or underscores.")
    if len(phone) > 40:
        errors["phone"] = N_("At most 40 characters.")
    if language not in LANGUAGES:
        errors["language"] = N_("Choose Swedish or Finnish.")
    allowed = {r.value: r for r in roles_in(organisation)}
    if (role or allowed_default(organisation)) not in allowed:
        errors["role"] = N_("Choose a value from the list.")
    if errors:
        raise ValidationError(errors)
    user = User(username=username, name=name, email=email, phone=phone or None, organisation=organisation,
                role=allowed[role or allowed_default(organisation)], language=language,
                may_approve_grants=bool(may_approve),
                password_hash=hash_password(secrets.token_urlsafe(32)))  # a password nobody knows
    session.add(user)
    session.flush()
    record(session, actor, user, "invited", None, user.role.value)
    account_mail.password_link(session, user, accounts.make_link(session, user, "invite"), "invite", who=actor)
    return user


def allowed_default(organisation: Organisation) -> str:
    return roles_in(organisation)[0].value


INVITES_PER_HOUR = 3  # invitation links mailed to one user in an hour, at most


def resend_invitation(session: Session, actor: User, user: User) -> None:
    """A new invitation link (the old ones stop working); at most INVITES_PER_HOUR an hour, so a user's
    inbox cannot be flooded from the users page."""
    _check(session, actor, user.organisation)
    since = event_time(session) - timedelta(hours=1)
    if session.scalar(select(func.count(AccountLink.id)).where(
            AccountLink.user_id == user.id, AccountLink.purpose == "invite",
            AccountLink.created_at >= since)) >= INVITES_PER_HOUR:
        raise ValidationError({"user": N_("A password link was sent to this user a moment ago. Wait an hour "
                                          "before sending another.")})
    credentials.end_links(session, user, ("invite",))
    account_mail.password_link(session, user, accounts.make_link(session, user, "invite"), "invite", who=actor)
    record(session, actor, user, "invited_again")


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (every session of the user ends at once) or reactivate; never oneself."""
    _check(session, actor, user.organisation)
    if user.id == actor.id:
        raise ValidationError({"user": N_("You cannot deactivate yourself.")})
    if user.active == active:
        return
    user.active = active
    if not active:
        credentials.changed(session, user, credentials.DEACTIVATED)
    record(session, actor, user, "reactivated" if active else "deactivated")


def set_role(session: Session, actor: User, user: User, role: str) -> None:
    """Another role within the organisation (its users' or admin); never one's own. The user logs in again."""
    _check(session, actor, user.organisation)
    allowed = {r.value: r for r in roles_in(user.organisation)}
    if role not in allowed or user.role not in allowed.values():
        raise ValidationError({"role": N_("Choose a value from the list.")})
    if user.id == actor.id:
        raise ValidationError({"role": N_("You cannot change your own role.")})
    if user.role == allowed[role]:
        return
    old = user.role.value
    user.role = allowed[role]
    credentials.changed(session, user, credentials.ROLE)  # rights changed: log in again
    record(session, actor, user, "role", old, role)


def set_approval(session: Session, actor: User, user: User, allowed: bool) -> None:
    """Give or take the right to approve support's remote-access requests (Neuvontaoikeudet)."""
    _check(session, actor, user.organisation)
    if user.may_approve_grants == allowed:
        return
    user.may_approve_grants = allowed
    record(session, actor, user, "approval", str(not allowed).lower(), str(allowed).lower())


def set_two_factor(session: Session, actor: User, organisation: Organisation, required: bool) -> None:
    """Require (or no longer require) the organisation's users to log in with a code as well: each sets it
    up at their next login."""
    _check(session, actor, organisation)
    if organisation.require_two_factor == required:
        return
    organisation.require_two_factor = required
    if required:  # sessions begun with the password alone end: each logs in again with a code
        credentials.policy_tightened(session, organisation)
    session.add(UserAuditEntry(organisation_id=organisation.id, actor_id=actor.id, action="two_factor",
                               old_value=str(not required).lower(), new_value=str(required).lower(),
                               at=event_time(session)))


def audit_log(session: Session, organisations: list[Organisation], limit: int = 500) -> list[UserAuditEntry]:
    """The newest changes to these organisations' users."""
    if not organisations:
        return []
    return list(session.scalars(select(UserAuditEntry).where(
        UserAuditEntry.organisation_id.in_([o.id for o in organisations]))
        .order_by(UserAuditEntry.at.desc(), UserAuditEntry.id.desc()).limit(limit)))


def admins_of(session: Session, organisation: Organisation) -> list[User]:
    """Who manages the organisation's users: its active admins, or else its partner's when it allows it."""
    own = list(session.scalars(select(User).where(User.organisation_id == organisation.id,
                                                  User.role == Role.CUSTOMER_ADMIN, User.active.is_(True))))
    if own or not (organisation.partner_id and organisation.partner_manages_users):
        return own
    return list(session.scalars(select(User).where(User.organisation_id == organisation.partner_id,
                                                   User.role == Role.CUSTOMER_ADMIN, User.active.is_(True))))


__all__ = ["NotManaged", "admins_of", "audit_log", "invite", "is_admin", "managed_organisations", "manages",
           "record", "resend_invitation", "roles_in", "set_active", "set_approval", "set_role", "set_two_factor",
           "suggested_username", "users_of"]
