"""What the home page of each role shows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .access import visible_tickets
from .models import DisruptionNotice, Organisation, Status, Ticket, User, WorkProposal, WorkStatus, utcnow


def active_notices(session: Session, now: datetime | None = None) -> list[DisruptionNotice]:
    now = now or utcnow()
    return list(session.scalars(select(DisruptionNotice).where(
        DisruptionNotice.starts_at <= now,
        or_(DisruptionNotice.ends_at.is_(None), DisruptionNotice.ends_at > now)).order_by(
        DisruptionNotice.starts_at.desc())))


def recent_tickets(session: Session, user: User, limit: int = 10) -> list[Ticket]:
    """The newest tickets the user may see, the user's own first for customers."""
    query = visible_tickets(user).order_by(Ticket.created_at.desc()).limit(limit)
    return list(session.scalars(query))


def waiting_work(session: Session, user: User) -> list[WorkProposal]:
    """Billable work proposed on the customer's visible tickets that waits for a written confirmation."""
    if user.is_staff:
        return []
    visible = visible_tickets(user).with_only_columns(Ticket.id).scalar_subquery()
    return list(session.scalars(select(WorkProposal).where(WorkProposal.status == WorkStatus.PROPOSED,
                                                           WorkProposal.ticket_id.in_(visible))
                                .order_by(WorkProposal.proposed_at)))


def status_counts(session: Session, user: User) -> dict[Status, int]:
    sub = visible_tickets(user).subquery()
    rows = session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
    counts = {status: 0 for status in Status}
    counts.update({Status(s): n for s, n in rows})
    return counts


def totals(session: Session) -> dict[str, int]:
    return {
        "organisations": session.scalar(select(func.count(Organisation.id))),
        "users": session.scalar(select(func.count(User.id))),
        "tickets": session.scalar(select(func.count(Ticket.id))),
        # Published, not merely flagged: a reopened ticket keeps its flag but leaves the experience database.
        "general": session.scalar(select(func.count(Ticket.id)).where(Ticket.is_published)),
    }
