"""The experience database as the domain sees it: published entries and what readers say of them."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Deflection, HelpfulVote, Ticket, User, utcnow


def published_entry(session: Session, number: int) -> Ticket | None:
    """The ticket behind an experience-database entry, if it is published (solved and general)."""
    return session.scalar(select(Ticket).where(Ticket.number == number, Ticket.is_published))


def vote(session: Session, ticket: Ticket, user: User, helpful: bool) -> None:
    """Record (or change) the user's answer to "Was this helpful?"."""
    existing = session.scalar(select(HelpfulVote).where(HelpfulVote.ticket_id == ticket.id,
                                                        HelpfulVote.user_id == user.id))
    if existing is None:
        session.add(HelpfulVote(ticket_id=ticket.id, user_id=user.id, helpful=helpful))
    else:
        existing.helpful, existing.at = helpful, utcnow()
    session.flush()


def votes(session: Session, ticket: Ticket) -> tuple[int, int]:
    """(helpful, not helpful) counts for a ticket."""
    rows = dict(session.execute(select(HelpfulVote.helpful, func.count()).where(
        HelpfulVote.ticket_id == ticket.id).group_by(HelpfulVote.helpful)).all())
    return rows.get(True, 0), rows.get(False, 0)


def user_vote(session: Session, ticket: Ticket, user: User) -> bool | None:
    return session.scalar(select(HelpfulVote.helpful).where(HelpfulVote.ticket_id == ticket.id,
                                                            HelpfulVote.user_id == user.id))


def record_deflection(session: Session, ticket: Ticket, user: User) -> None:
    """The reader found the answer here and files no ticket ("This solved my problem")."""
    session.add(Deflection(ticket_id=ticket.id, user_id=user.id))
    session.flush()


def deflections(session: Session, ticket: Ticket) -> int:
    return session.scalar(select(func.count(Deflection.id)).where(Deflection.ticket_id == ticket.id))
