"""Asking for a user in the portal (the Finnish manual's "HelpDesk-tunnusten tilaus"): anyone may ask, from
the login page or the link in the reply to an unknown sender. A request naming an organisation (by its
company number, or its exact name) reaches that organisation's admins (kb/organisation_users.py); one
naming none, or one without admins, reaches support. Either invites the person or declines.

The answer to the asker is the same whatever they named: nothing tells which organisations exist."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import accounts, organisation_users
from .changelog import event_time
from .config import LANGUAGES
from .errors import N_, ValidationError
from .mail import account_mail
from .models import AccountRequest, Organisation, OrganisationKind, User, UserAuditEntry

PER_ADDRESS_A_DAY = 3  # more requests for one e-mail address in a day are dropped silently
PER_CLIENT_A_DAY = 5  # more requests from one client (network) address in a day are dropped silently
MAILED_PER_TARGET_A_DAY = 10  # an organisation's admins (or support) are mailed at most this many a day; the
# rest wait on the requests page, unmailed: a flood of requests cannot fill anyone's inbox
LIMITS = {"name": 200, "email": 254, "phone": 40, "company": 200, "company_number": 32, "message": 2000}


def _digits(text: str | None) -> str:
    return re.sub(r"\D", "", text or "")


def organisation_named(session: Session, company: str, company_number: str) -> Organisation | None:
    """The customer or partner a request names: by company number (digits compared), else by exact name."""
    organisations = session.scalars(select(Organisation).where(Organisation.kind != OrganisationKind.VENDOR,
                                                               Organisation.active.is_(True))).all()
    number = _digits(company_number)
    if number:
        found = [o for o in organisations if _digits(o.company_number) == number]
        if len(found) == 1:
            return found[0]
    found = [o for o in organisations if o.name.casefold() == company.strip().casefold()]
    return found[0] if len(found) == 1 else None


def submit(session: Session, *, name: str, email: str, company: str, company_number: str = "", phone: str = "",
           message: str = "", language: str = "sv", client_address: str | None = None) -> AccountRequest | None:
    """Record a request and tell whoever handles it; None when it was dropped (too many for the e-mail
    address, or from the client address). The answer to the asker is the same either way."""
    values = {"name": (name or "").strip(), "email": (email or "").strip(), "phone": (phone or "").strip(),
              "company": (company or "").strip(), "company_number": (company_number or "").strip(),
              "message": (message or "").strip()}
    errors = {}
    for field in ("name", "company"):
        if not values[field]:
            errors[field] = N_("This field is required.")
    if not accounts.valid_email(values["email"]):
        errors["email"] = N_("Give an e-mail address.")
    for field, limit in LIMITS.items():
        if len(values[field]) > limit and field not in errors:
            errors[field] = N_("The text is too long.")
    if errors:
        raise ValidationError(errors)
    since = event_time(session) - timedelta(days=1)
    if session.scalar(select(func.count(AccountRequest.id)).where(
            func.lower(AccountRequest.email) == values["email"].lower(),
            AccountRequest.created_at >= since)) >= PER_ADDRESS_A_DAY:
        return None
    client_address = (client_address or "")[:64] or None
    if client_address and session.scalar(select(func.count(AccountRequest.id)).where(
            AccountRequest.client_address == client_address,
            AccountRequest.created_at >= since)) >= PER_CLIENT_A_DAY:
        return None
    organisation = organisation_named(session, values["company"], values["company_number"])
    request = AccountRequest(**{k: v or None if k in ("phone", "company_number", "message") else v
                                for k, v in values.items()},
                             language=language if language in LANGUAGES else LANGUAGES[0],
                             organisation=organisation, created_at=event_time(session), client_address=client_address)
    target = (AccountRequest.organisation_id == organisation.id if organisation
              else AccountRequest.organisation_id.is_(None))
    mailed_today = session.scalar(select(func.count(AccountRequest.id)).where(
        target, AccountRequest.created_at >= since))
    session.add(request)
    session.flush()
    if mailed_today < MAILED_PER_TARGET_A_DAY:
        admins = organisation_users.admins_of(session, organisation) if organisation else []
        account_mail.request_arrived(session, request, admins)
    return request


def handled_by_support(session: Session, request: AccountRequest) -> bool:
    """Whether support handles it: it names no organisation, or one without admins."""
    return request.organisation is None or not organisation_users.admins_of(session, request.organisation)


def waiting(session: Session, actor: User) -> list[AccountRequest]:
    """The unhandled requests the actor may answer: an admin's, for the organisations they manage; the
    vendor's administrators', every one."""
    query = select(AccountRequest).where(AccountRequest.handled_at.is_(None)).order_by(AccountRequest.created_at)
    if actor.role.value == "admin":
        return list(session.scalars(query))
    managed = [o.id for o in organisation_users.managed_organisations(session, actor)]
    return list(session.scalars(query.where(AccountRequest.organisation_id.in_(managed)))) if managed else []


def _mine(session: Session, actor: User, request: AccountRequest) -> None:
    if request.handled_at is not None or request not in waiting(session, actor):
        raise organisation_users.NotManaged()


def invite(session: Session, actor: User, request: AccountRequest, organisation: Organisation | None = None,
           role: str = "") -> User:
    """Invite the person into the organisation the request names (the vendor's administrators may choose
    another): they are mailed a link to choose a password."""
    _mine(session, actor, request)
    user = organisation_users.invite(session, actor, organisation or request.organisation, name=request.name,
                                     email=request.email, phone=request.phone or "", language=request.language,
                                     role=role)
    request.handled_at, request.handled_by_id, request.outcome, request.user_id = (
        event_time(session), actor.id, "invited", user.id)
    return user


def decline(session: Session, actor: User, request: AccountRequest) -> None:
    """No user: the person is told, in the language they asked in, to turn to their organisation."""
    _mine(session, actor, request)
    request.handled_at, request.handled_by_id, request.outcome = event_time(session), actor.id, "declined"
    if request.organisation is not None:
        session.add(UserAuditEntry(organisation_id=request.organisation_id, actor_id=actor.id,
                                   action="requested_declined", new_value=f"{request.name} <{request.email}>"[:200],
                                   at=event_time(session)))
    account_mail.request_declined(session, request)
