"""Which e-mails an event causes, and their text: written to the outbox in the event's own transaction.

As the Swedish manual says, the contact gets an e-mail when a comment is registered (by the customer
or by support; never for an internal note) and when support proposes a solution, and only when the
ticket's reply method is e-mail. Every new ticket (web, API or e-mail) sends its contact a receipt.
Support's shared address hears of new tickets (an urgent one says so first in its subject) and
customers' comments.
A session writes mail only when its write context carries MailSettings (`session.context.mail`: the app and
the mail commands set it; the demo loader and imports do not). `queue_mail` listens on kb's own session
factory (kb/db.py).
"""
from __future__ import annotations

import html

from babel.numbers import format_decimal
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ..changelog import event_time
from ..errors import N_
from ..i18n import translate
from ..models import Comment, OutboxMessage, ReplyMethod, Status, Ticket, User, WorkProposal, WorkStatus
from ..text import render_markdown
from . import preferences
from .settings import MailSettings

SUBJECTS = {
    "new_ticket": N_("New ticket %(number)s: %(subject)s"),
    "receipt": N_("Ticket %(number)s received: %(subject)s"),
    "customer_comment": N_("New comment on ticket %(number)s: %(subject)s"),
    "comment": N_("New comment on ticket %(number)s: %(subject)s"),
    "solution": N_("Solution proposed for ticket %(number)s: %(subject)s"),
    "work_proposed": N_("Billable work to confirm on ticket %(number)s: %(subject)s"),
    "work_confirmed": N_("Billable work confirmed on ticket %(number)s: %(subject)s"),
    "work_declined": N_("Billable work declined on ticket %(number)s: %(subject)s"),
}
INTROS = {
    "new_ticket": N_("%(who)s of %(organisation)s registered ticket %(number)s."),
    "receipt": N_("We have received your ticket %(number)s and will answer as soon as we can. Keep the number: "
                  "mail about the ticket carries it."),
    "customer_comment": N_("%(who)s of %(organisation)s commented on ticket %(number)s."),
    "comment": N_("%(who)s wrote a comment on ticket %(number)s:"),
    "solution": N_("Support has proposed a solution to ticket %(number)s:"),
    "work_proposed": N_("Support proposes billable work on ticket %(number)s, estimated at %(hours)s hours. It "
                        "starts only when you confirm it in writing on the ticket's page; you can also decline it "
                        "there. What will be done:"),
    "work_confirmed": N_("%(who)s of %(organisation)s confirmed the billable work on ticket %(number)s "
                         "(%(hours)s hours):"),
    "work_declined": N_("%(who)s of %(organisation)s declined the billable work on ticket %(number)s "
                        "(%(hours)s hours):"),
}
OPEN = N_("Open the ticket: %(link)s")
URGENT = N_("URGENT: %(subject)s")
FOOTER = N_("This message was sent automatically. Replies to it are not read.")
# What kb does with a reply, said where it is true: mail to the customer about a ticket goes out with
# support's address as its Reply-To, and mail in (kb/mail/ingest.py) makes a reply from a user's address
# that keeps the ticket's number in its subject a comment on the ticket.
REPLY_FOOTER = N_("To add a comment to the ticket, reply to this message and keep %(number)s in the subject; "
                  "your reply is added to the ticket as a comment.")
REPLYABLE = frozenset({"receipt", "comment", "solution", "work_proposed"})  # kinds mailed to the customer


def footer_for(settings: MailSettings, kind: str, ticket_number: int, language: str) -> str:
    """The footer of a ticket's mail: how to answer by mail where a reply reaches support, else that
    replies are not read."""
    if kind in REPLYABLE and settings.support_address:
        return translate(REPLY_FOOTER, language, number=tag(ticket_number))
    return translate(FOOTER, language)


def one_line(text: str | None) -> str:
    """Text fit for a header: no CR, LF or other line breaks can start a header of its own."""
    return " ".join((text or "").split())


def tag(number: int) -> str:
    """How a ticket number appears in subjects; mail coming in is matched to tickets by it."""
    return f"#{number}"


def compose(settings: MailSettings, kind: str, ticket: Ticket, language: str, who: User | None,
            text: str | None, hours: float | None = None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of one message in one language."""
    params = {"number": tag(ticket.number), "subject": one_line(ticket.subject),
              "who": who.name if who else "", "organisation": who.organisation.name if who else "",
              "hours": format_decimal(round(hours, 1), locale=language) if hours is not None else ""}
    subject = one_line(translate(SUBJECTS[kind], language, **params))
    if kind == "new_ticket" and ticket.urgent:  # support sees it first in its inbox
        subject = one_line(translate(URGENT, language, subject=subject))
    intro = translate(INTROS[kind], language, **params)
    link = settings.link(ticket.number)
    opener = translate(OPEN, language, link=link)
    footer = footer_for(settings, kind, ticket.number, language)
    plain = "\n\n".join(part for part in (intro, (text or "").strip(), opener, "-- \n" + footer) if part)
    body = render_markdown(text) if text else ""
    rich = (f'<!doctype html><html lang="{language}"><body>'
            f"<p>{html.escape(intro)}</p>{body}"
            f'<p><a href="{html.escape(link)}">{html.escape(translate(OPEN, language, link=link))}</a></p>'
            f'<hr><p style="color:#666">{html.escape(footer)}</p></body></html>')
    return subject, plain, rich


def queue(session: Session, settings: MailSettings, kind: str, ticket: Ticket, recipient: str | None,
          language: str, who: User | None = None, text: str | None = None,
          hours: float | None = None) -> OutboxMessage | None:
    recipient = one_line(recipient)
    if not recipient or "@" not in recipient:
        return None
    subject, plain, rich = compose(settings, kind, ticket, language, who, text, hours)
    message = OutboxMessage(kind=kind, ticket=ticket, recipient=recipient, language=language, subject=subject,
                            body_text=plain, body_html=rich, created_at=event_time(session),
                            next_attempt_at=event_time(session))
    session.add(message)
    return message


def _to_contact(ticket: Ticket) -> User | None:
    contact = ticket.contact
    if ticket.reply_method != ReplyMethod.EMAIL or contact is None or not contact.email or not contact.active:
        return None
    return contact


def _solution_proposed(ticket: Ticket) -> bool:
    """The ticket was resolved with a solution now, or the solution of a resolved ticket was rewritten."""
    if ticket.status != Status.RESOLVED or not ticket.solution:
        return False
    state = inspect(ticket).attrs
    return bool(state["status"].history.added) or bool(state["solution"].history.added)


def queue_mail(session: Session, _flush_context, _instances) -> None:
    """Before each flush: the e-mails that the new tickets, comments and solutions cause."""
    settings: MailSettings | None = session.context.mail
    if settings is None:
        return
    for obj in list(session.new):
        if isinstance(obj, Ticket):
            queue(session, settings, "new_ticket", obj, settings.support_address, obj.language, obj.registered_by)
            contact = obj.contact
            if contact is not None and contact.email and contact.active and not contact.is_staff \
                    and preferences.wants(contact, "receipt"):
                queue(session, settings, "receipt", obj, contact.email, contact.language, contact)
        elif isinstance(obj, WorkProposal):  # the customer is asked to confirm it in writing
            contact = _to_contact(obj.ticket)
            if contact is not None:
                queue(session, settings, "work_proposed", obj.ticket, contact.email, contact.language, None,
                      obj.description, obj.estimate_hours)
        elif isinstance(obj, Comment) and not obj.internal:
            ticket, author = obj.ticket, obj.author
            contact = _to_contact(ticket)
            if contact is not None:
                queue(session, settings, "comment", ticket, contact.email, contact.language, author, obj.body)
            if author is not None and not author.is_staff:
                queue(session, settings, "customer_comment", ticket, settings.support_address, ticket.language,
                      author, obj.body)
    for obj in list(session.dirty):
        if isinstance(obj, WorkProposal) and inspect(obj).attrs["status"].history.added \
                and obj.status in (WorkStatus.CONFIRMED, WorkStatus.DECLINED):
            decider = obj.decided_by
            queue(session, settings, f"work_{obj.status.value}", obj.ticket, settings.support_address,
                  obj.ticket.language, decider, obj.decision_note, obj.estimate_hours)
        if isinstance(obj, Ticket) and _solution_proposed(obj):
            contact = _to_contact(obj)
            if contact is not None:
                queue(session, settings, "solution", obj, contact.email, contact.language, None, obj.solution)
