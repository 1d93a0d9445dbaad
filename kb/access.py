"""Who may see what: the rules every page, API call and command applies."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from .models import Organisation, Ticket, User


def visible_organisation_ids(user: User) -> list[int] | None:
    """The organisations whose tickets the user may see; None means all (support staff)."""
    if user.is_staff:
        return None
    ids = [user.organisation_id]
    ids += [org.id for org in user.organisation.end_customers]
    return ids


def visible_tickets(user: User) -> Select[tuple[Ticket]]:
    """A query of the tickets the user may see."""
    query = select(Ticket)
    ids = visible_organisation_ids(user)
    if ids is not None:
        query = query.where(or_(Ticket.organisation_id.in_(ids), Ticket.end_customer_id.in_(ids)))
    return query


def can_see_ticket(user: User, ticket: Ticket) -> bool:
    ids = visible_organisation_ids(user)
    return ids is None or ticket.organisation_id in ids or ticket.end_customer_id in ids


def end_customers(user: User) -> list[Organisation]:
    return list(user.organisation.end_customers) if not user.is_staff else []
