"""Remote-access grants ("Neuvontaoikeudet" / "Fjärråtkomst"): support asks, the customer approves.

Support asks for a time-limited window on one organisation, for some areas of the software (products).
A user of that organisation with the permission "may approve remote-access grants" approves or declines;
the organisation's customer admin sets the longest window allowed (default 4 hours) and who has the
permission. While an approved grant's window is open the requesting side may read the organisation's
tickets, licences and users as the customer sees them, limited to the granted areas; every such read is
audited. Before the start, after the end, or once the customer revoked it, nothing is shown.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .errors import N_, ValidationError
from .mail import grant_mail
from .models import (CatalogueEntry, CatalogueKind, GrantAuditEntry, GrantStatus, Organisation,
                     RemoteAccessGrant, Role, Ticket, User, utcnow)

MAX_HOURS_LIMIT = 72


class GrantRefused(Exception):
    """No active grant covers this: the caller shows a refusal that reveals nothing of the organisation."""


def request_grant(session: Session, actor: User, organisation: Organisation | None, *, reason: str,
                  areas: list[str], starts_at: datetime | None, hours, ticket: Ticket | None = None,
                  now: datetime | None = None) -> RemoteAccessGrant:
    """Support asks for access; the window may be at most the organisation's maximum."""
    now = now or utcnow()
    if not actor.is_staff:
        raise ValidationError({"grant": N_("Only support can ask for remote access.")})
    errors = {}
    if organisation is None or organisation.kind.value == "vendor":
        errors["organisation"] = N_("Choose the customer organisation.")
    reason = (reason or "").strip()
    if not reason and ticket is None:
        errors["reason"] = N_("Give a reason or the ticket the access is for.")
    products = {e.code for e in session.scalars(select(CatalogueEntry).where(
        CatalogueEntry.kind == CatalogueKind.PRODUCT))}
    areas = [a for a in dict.fromkeys(areas or []) if a]
    if not areas or not set(areas) <= products:
        errors["areas"] = N_("Choose the areas of the software the access is for.")
    try:
        hours = float(str(hours).replace(",", "."))
    except ValueError:
        hours = 0.0
    if not hours > 0:
        errors["hours"] = N_("Give how many hours the access lasts.")
    elif "organisation" not in errors and hours > organisation.grant_max_hours:
        errors["hours"] = N_("The access would last longer than this organisation allows.")
    starts_at = starts_at or now
    if starts_at < now - timedelta(minutes=5):
        errors["starts_at"] = N_("The access cannot start in the past.")
    if ticket is not None and organisation is not None and organisation.id not in (
            ticket.organisation_id, ticket.end_customer_id):
        errors["ticket"] = N_("The ticket belongs to another organisation.")
    if errors:
        raise ValidationError(errors)
    grant = RemoteAccessGrant(organisation=organisation, requested_by_id=actor.id, reason=reason,
                              ticket=ticket, areas=",".join(areas), starts_at=starts_at,
                              ends_at=starts_at + timedelta(hours=hours), created_at=now)
    session.add(grant)
    session.flush()
    grant_mail.requested(session, grant)
    return grant


def _customer_decider(grant: RemoteAccessGrant, user: User) -> None:
    if user.is_staff or user.organisation_id != grant.organisation_id or not user.may_approve_grants:
        raise ValidationError({"grant": N_("You do not have the permission to approve remote access.")})


def decide(session: Session, grant: RemoteAccessGrant, user: User, approve: bool,
           now: datetime | None = None) -> None:
    """Approve ("Hyväksy") or decline a request; only a permitted user of the organisation may."""
    now = now or utcnow()
    _customer_decider(grant, user)
    if grant.status != GrantStatus.REQUESTED:
        raise ValidationError({"grant": N_("This request has already been answered.")})
    if grant.ends_at <= now:
        raise ValidationError({"grant": N_("The requested time has already passed.")})
    grant.status = GrantStatus.APPROVED if approve else GrantStatus.DECLINED
    grant.decided_by_id, grant.decided_at = user.id, now
    session.flush()
    grant_mail.answered(session, grant, user)


def revoke(session: Session, grant: RemoteAccessGrant, user: User, now: datetime | None = None) -> None:
    """The customer ends an approved grant at any time; it takes effect on support's next request."""
    now = now or utcnow()
    if not (user.role == Role.CUSTOMER_ADMIN and user.organisation_id == grant.organisation_id):
        _customer_decider(grant, user)  # the customer admin may always end it; otherwise who may approve
    if grant.status != GrantStatus.APPROVED or grant.ends_at <= now:
        raise ValidationError({"grant": N_("Only an approved, unexpired access can be revoked.")})
    grant.status, grant.revoked_at = GrantStatus.REVOKED, now
    session.flush()
    grant_mail.answered(session, grant, user)


def use(session: Session, grant_id: int, user: User, what: str, area: str | None = None,
        now: datetime | None = None) -> RemoteAccessGrant:
    """The grant, if it lets this support user read now (and, given an area, that area); audited."""
    now = now or utcnow()
    grant = session.get(RemoteAccessGrant, grant_id)
    if (grant is None or not user.is_staff or not grant.is_active(now)
            or (area is not None and area not in grant.area_codes)):
        raise GrantRefused
    session.add(GrantAuditEntry(grant_id=grant.id, user_id=user.id, what=what[:300], at=now))
    session.flush()
    return grant


def active(session: Session, organisation: Organisation, now: datetime | None = None) -> list[RemoteAccessGrant]:
    now = now or utcnow()
    return list(session.scalars(select(RemoteAccessGrant).where(
        RemoteAccessGrant.organisation_id == organisation.id, RemoteAccessGrant.status == GrantStatus.APPROVED,
        RemoteAccessGrant.starts_at <= now, RemoteAccessGrant.ends_at > now).order_by(RemoteAccessGrant.id)))


def of_organisation(session: Session, organisation: Organisation) -> list[RemoteAccessGrant]:
    return list(session.scalars(select(RemoteAccessGrant).where(
        RemoteAccessGrant.organisation_id == organisation.id).order_by(RemoteAccessGrant.id.desc())))


def waiting(session: Session, user: User, now: datetime | None = None) -> int:
    """How many requests wait for an answer in the user's organisation: the count in the user menu."""
    if user.is_staff:
        return 0
    now = now or utcnow()
    return len(session.scalars(select(RemoteAccessGrant.id).where(
        RemoteAccessGrant.organisation_id == user.organisation_id,
        RemoteAccessGrant.status == GrantStatus.REQUESTED, RemoteAccessGrant.ends_at > now)).all())


def audit_log(session: Session, organisation: Organisation) -> list[GrantAuditEntry]:
    return list(session.scalars(select(GrantAuditEntry).join(RemoteAccessGrant).where(
        RemoteAccessGrant.organisation_id == organisation.id).order_by(GrantAuditEntry.id.desc()).limit(1000)))


def _customer_admin(user: User, organisation: Organisation) -> None:
    if user.role != Role.CUSTOMER_ADMIN or user.organisation_id != organisation.id:
        raise ValidationError({"grant": N_("Only the organisation's administrator can change this.")})


def set_max_hours(session: Session, user: User, hours) -> None:
    """"Neuvontaoikeudet voimassa enintään": the longest access the organisation allows."""
    _customer_admin(user, user.organisation)
    try:
        value = int(str(hours))
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_HOURS_LIMIT:
        raise ValidationError({"grant_max_hours": N_("Give a whole number of hours from 1 to 72.")})
    user.organisation.grant_max_hours = value
    session.flush()


def set_permission(session: Session, admin: User, user: User, allowed: bool) -> None:
    _customer_admin(admin, user.organisation)
    user.may_approve_grants = allowed
    session.flush()


def expire(session: Session, now: datetime | None = None) -> int:
    """Requests never answered before their window ended become expired; returns how many."""
    now = now or utcnow()
    return session.execute(update(RemoteAccessGrant).where(
        RemoteAccessGrant.status == GrantStatus.REQUESTED, RemoteAccessGrant.ends_at <= now).values(
        status=GrantStatus.EXPIRED)).rowcount


def visible_tickets(session: Session, grant: RemoteAccessGrant) -> list[Ticket]:
    """The organisation's tickets as its users see them, limited to the granted areas."""
    return list(session.scalars(select(Ticket).join(Ticket.product).where(
        or_(Ticket.organisation_id == grant.organisation_id, Ticket.end_customer_id == grant.organisation_id),
        CatalogueEntry.code.in_(grant.area_codes)).order_by(Ticket.created_at.desc()).limit(500)))
