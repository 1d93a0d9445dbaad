"""Who may see what: the rules every page, API call and command applies."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from .models import Attachment, Comment, Organisation, Ticket, TicketEvent, User

# Change-log fields that are support's business only.
HIDDEN_FROM_CUSTOMERS = frozenset({"external_id", "assigned_to"})


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


def ticket_for(session, user: User, number: int, *options) -> Ticket | None:
    """The ticket with this number if the user may see it; None otherwise, as if it did not exist.
    `options` are loader options (what the caller will show, loaded with the ticket)."""
    return session.scalar(visible_tickets(user).where(Ticket.number == number).options(*options))


def comments_for(user: User | None, ticket: Ticket) -> list[Comment]:
    """The ticket's comments the user may read: support's internal notes only for support. No user
    means as a customer sees them (support reading under a remote-access grant)."""
    staff = user is not None and user.is_staff
    return [c for c in ticket.comments if staff or not c.internal]


def events_for(user: User | None, ticket: Ticket) -> list[TicketEvent]:
    """The change log as the user (or, with no user, a customer) may read it."""
    staff = user is not None and user.is_staff
    hidden = set() if staff else HIDDEN_FROM_CUSTOMERS
    return [e for e in ticket.events if (staff or not e.internal) and e.field not in hidden]


def attachments_for(user: User | None, ticket: Ticket) -> list[Attachment]:
    staff = user is not None and user.is_staff
    return [a for a in ticket.attachments if staff or a.comment is None or not a.comment.internal]


def attachment_for(session, user: User, number: int, attachment_id: str) -> Attachment | None:
    ticket = ticket_for(session, user, number)
    if ticket is None:
        return None
    return next((a for a in attachments_for(user, ticket) if a.id == attachment_id), None)


def contacts(session, user: User, organisation: Organisation | None = None) -> list[User]:
    """Whom a ticket can name as its contact person: the active users of the registering organisation."""
    organisation = organisation or user.organisation
    return list(session.scalars(select(User).where(User.organisation_id == organisation.id,
                                                   User.active.is_(True)).order_by(User.name)))


def licence_organisations(user: User) -> list[Organisation]:
    """Whose licences the user may see: the own organisation and, for a partner, its end customers."""
    return [user.organisation, *end_customers(user)]
