"""Notifications written to the outbox in the same transaction as the event they tell of."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .changelog import event_time
from .errors import N_
from .i18n import translate
from .models import OutboxMessage, Ticket

SUBJECTS = {
    "new_ticket": N_("New ticket %(number)s: %(subject)s"),
    "customer_comment": N_("New comment on ticket %(number)s: %(subject)s"),
}
BODIES = {
    "new_ticket": N_("%(who)s of %(organisation)s registered ticket %(number)s."),
    "customer_comment": N_("%(who)s of %(organisation)s commented on ticket %(number)s."),
}


def _one_line(text: str) -> str:
    """No CR or LF can reach a header."""
    return " ".join((text or "").split())


def notify_support(session: Session, ticket: Ticket, kind: str, who, address: str | None, url: str) -> None:
    """Queue a message to support's shared address about a new ticket or a customer's comment."""
    if not address:
        return
    language = ticket.language
    params = {"number": ticket.number, "subject": _one_line(ticket.subject), "who": who.name,
              "organisation": who.organisation.name}
    subject = translate(SUBJECTS[kind], language, **params)
    body = "\n\n".join([translate(BODIES[kind], language, **params), url,
                        translate("This message was sent automatically. Replies to it are not read.", language)])
    session.add(OutboxMessage(kind=kind, ticket_id=ticket.id, recipient=_one_line(address), language=language,
                              subject=_one_line(subject), body_text=body, created_at=event_time(session),
                              next_attempt_at=event_time(session)))
