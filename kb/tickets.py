"""The ticket workflow: register, change, comment, solve and publish. Every step is logged."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import redaction
from .changelog import event_time
from .i18n import translate
from .config import DEFAULTS, LANGUAGES
from .errors import N_, ValidationError
from .models import (CatalogueEntry, CatalogueKind, Comment, Counter, Organisation, OrganisationKind, Priority,
                     ReplyMethod, Role, Status, Ticket, TicketEvent, User, WorkProposal, WorkStatus)

SUBJECT_MAX = 200
# The longest texts kept (characters): a 10 MB description was stored and mailed. Longer ones are refused
# with a message, and the form keeps what was typed.
TEXT_MAX = {"description": 100_000, "error_message": 20_000, "application": 200, "affected_usernames": 2_000,
            "company_numbers": 2_000, "report_name": 2_000, "body": 20_000, "solution": 100_000, "published_problem": 100_000,
            "published_solution": 100_000, "published_title": 200}
TOO_LONG = {
    "description": N_("The description can have at most 100 000 characters."),
    "error_message": N_("The error message can have at most 20 000 characters."),
    "application": N_("This field can have at most 200 characters."),
    "affected_usernames": N_("This field can have at most 2 000 characters."),
    "company_numbers": N_("This field can have at most 2 000 characters."),
    "report_name": N_("This field can have at most 2 000 characters."),
    "body": N_("A comment can have at most 20 000 characters."),
    "solution": N_("The solution can have at most 100 000 characters."),
    "published_problem": N_("The description can have at most 100 000 characters."),
    "published_solution": N_("The solution can have at most 100 000 characters."),
    "published_title": N_("The title can have at most 200 characters."),
}
# NUL (which PostgreSQL cannot store) and half of a UTF-16 surrogate pair (which UTF-8 cannot encode).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_errors(**texts: str | None) -> dict[str, str]:
    """What is wrong with texts about to be stored: a character no database stores, or too many."""
    errors = {}
    for name, value in texts.items():
        if not isinstance(value, str):
            continue
        if UNSTORABLE.search(value):
            errors[name] = N_("The text holds a character that cannot be stored (a NUL or half of a character "
                              "pair). Remove it and try again.")
        elif len(value) > TEXT_MAX.get(name, SUBJECT_MAX):
            errors[name] = TOO_LONG.get(name, N_("The subject can have at most 200 characters."))
    return errors
TICKET_COUNTER = "ticket"


def next_number(session: Session) -> int:
    """The next ticket number; the counter row stays locked until the transaction ends."""
    session.execute(update(Counter).where(Counter.name == TICKET_COUNTER).values(value=Counter.value + 1))
    return session.execute(select(Counter.value).where(Counter.name == TICKET_COUNTER)).scalar_one()


def acting(session: Session, user: User | None) -> None:
    """Name the user that the change log will credit for the changes that follow."""
    session.context.actor_id = user.id if user is not None else None


def _entry(session: Session, kind: CatalogueKind, value, product: CatalogueEntry | None = None):
    """A catalogue entry given as an entry, an id or a code; None stays None."""
    if value is None or value == "" or isinstance(value, CatalogueEntry):
        return value or None
    query = select(CatalogueEntry).where(CatalogueEntry.kind == kind)
    if kind in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE, CatalogueKind.VERSION):
        query = query.where(CatalogueEntry.product_id == (product.id if product else None))
    if isinstance(value, int):
        query = query.where(CatalogueEntry.id == value)
    else:
        query = query.where(CatalogueEntry.code == str(value))
    return session.scalar(query) or False


def _check_catalogue(session: Session, fields: dict, errors: dict) -> None:
    """Resolve catalogue fields in place; sub-entries must belong to the product."""
    product = _entry(session, CatalogueKind.PRODUCT, fields.get("product"))
    if product is False:
        errors["product"] = N_("Choose a product from the list.")
        product = None
    fields["product"] = product
    for name, kind in (("category", CatalogueKind.CATEGORY), ("routine", CatalogueKind.ROUTINE),
                       ("version", CatalogueKind.VERSION), ("ticket_type", CatalogueKind.TICKET_TYPE),
                       ("operating_system", CatalogueKind.OPERATING_SYSTEM)):
        if name not in fields:
            continue
        value = fields[name]
        entry = _entry(session, kind, value, product)
        if isinstance(value, CatalogueEntry) and kind in (CatalogueKind.CATEGORY, CatalogueKind.ROUTINE,
                                                          CatalogueKind.VERSION) and value.product_id != (
                product.id if product else None):
            entry = False
        if entry is False:
            errors[name] = N_("Choose a value from the list.")
        else:
            fields[name] = entry


def _customer_fields(registered_by: User, fields: dict, errors: dict) -> None:
    """Contact and end customer: the organisation's own users and a partner's own end customers."""
    org = fields.get("organisation") or registered_by.organisation
    fields["organisation"] = org
    contact = fields.get("contact") or registered_by
    if not registered_by.role.is_staff and contact.organisation_id != org.id:
        errors["contact"] = N_("Choose a contact person of your organisation.")
    fields["contact"] = contact
    end_customer: Organisation | None = fields.get("end_customer")
    if end_customer is not None and (org.kind != OrganisationKind.PARTNER or end_customer.partner_id != org.id):
        errors["end_customer"] = N_("Choose one of your end customers.")


def create_ticket(session: Session, registered_by: User, require_product: bool = True, **fields) -> Ticket:
    """Register a new ticket and give it the next number; raises ValidationError on bad input."""
    errors: dict[str, str] = {}
    subject = (fields.pop("subject", "") or "").strip()
    if not subject:
        errors["subject"] = N_("Write a subject that briefly describes the ticket.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = N_("The subject can have at most 200 characters.")
    language = fields.pop("language", None) or registered_by.language
    if language not in LANGUAGES:
        errors["language"] = N_("Choose Swedish or Finnish.")
    if not (fields.get("description") or "").strip():
        errors["description"] = N_("Describe the problem: what you did, what happened and what you expected.")
    errors.update(text_errors(subject=subject, **{name: fields.get(name) for name in TEXT_MAX if name in fields}))
    _check_catalogue(session, fields, errors)
    if require_product and fields.get("product") is None and "product" not in errors:
        errors["product"] = N_("Choose a product from the list.")
    _customer_fields(registered_by, fields, errors)
    if errors:
        raise ValidationError(errors)
    if fields.get("ticket_type") is None:
        fields["ticket_type"] = _entry(session, CatalogueKind.TICKET_TYPE, "support") or None
    fields.setdefault("priority", Priority.NORMAL)
    fields.setdefault("reply_method", ReplyMethod.EMAIL)
    acting(session, registered_by)
    at = event_time(session)
    ticket = Ticket(number=next_number(session), subject=subject, language=language,
                    registered_by=registered_by, created_at=at,
                    customer_message_at=None if registered_by.role.is_staff else at, **fields)
    session.add(ticket)
    session.flush()
    return ticket


def add_comment(session: Session, ticket: Ticket, author: User, body: str, internal: bool = False) -> Comment:
    """A comment on the ticket; internal notes are for support only."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": N_("Write a comment.")})
    if errors := text_errors(body=body):
        raise ValidationError(errors)
    if internal and not author.role.is_staff:
        internal = False
    acting(session, author)
    at = event_time(session)
    comment = Comment(ticket=ticket, author=author, body=body, internal=internal, created_at=at)
    session.add(comment)
    if not author.role.is_staff:  # the customer wrote: the ticket is support's turn again
        # a reply to support's answer or question; before support has written, the ticket is simply unanswered
        replied = ticket.first_response_at is not None or ticket.status == Status.WAITING
        ticket.customer_message_at, ticket.customer_replied = at, replied
        if ticket.status == Status.WAITING:
            ticket.status = Status.IN_PROGRESS
    elif not internal:
        ticket.customer_replied = False
        ticket.first_response_at = ticket.first_response_at or at
    session.flush()
    return comment


def set_status(session: Session, ticket: Ticket, actor: User, status: Status) -> None:
    acting(session, actor)
    if status.is_solved and not ticket.status.is_solved:
        ticket.resolved_at = event_time(session)
    elif not status.is_solved:
        ticket.resolved_at = None
    ticket.status = status
    session.flush()


def propose_solution(session: Session, ticket: Ticket, actor: User, solution: str) -> None:
    """Support's solution ("Lösningsförslag"): the ticket becomes resolved."""
    solution = (solution or "").strip()
    if not solution:
        raise ValidationError({"solution": N_("Write the solution.")})
    if errors := text_errors(solution=solution):
        raise ValidationError(errors)
    acting(session, actor)
    ticket.first_response_at = ticket.first_response_at or event_time(session)
    ticket.solution = solution
    set_status(session, ticket, actor, Status.RESOLVED)


def set_general(session: Session, ticket: Ticket, actor: User, general: bool,
                problem: str | None = None, solution: str | None = None, title: str | None = None,
                not_personal: Iterable[str] = ()) -> None:
    """Flag a ticket as general (publish it to the experience database) or withdraw it. The published
    title, problem and solution are edited copies: the customer's own ticket keeps its texts.

    Nothing is published while personal data is marked in them (`redaction.find`), unless support
    confirms each remaining mark as not personal (`not_personal`: the marks' `Finding.key`s); each
    confirmation is written to the ticket's change log (internal) with who and when."""
    if actor.role not in (Role.SUPPORT, Role.ADMIN):
        raise ValidationError({"general": N_("Only support can publish tickets.")})
    acting(session, actor)
    if general:
        problem = (problem if problem is not None else ticket.published_problem or ticket.description or "").strip()
        solution = (solution if solution is not None else ticket.published_solution or ticket.solution or "")
        solution = solution.strip()
        title = " ".join((title if title is not None else ticket.public_title).split())
        errors = {}
        if not title:
            errors["published_title"] = N_("Write the title to publish.")
        elif len(title) > 200:
            errors["published_title"] = N_("The title can have at most 200 characters.")
        if not ticket.status.is_solved:
            errors["general"] = N_("Only a resolved ticket can be published.")
        if not problem and not solution:
            errors["published_problem"] = N_("Write the problem or the solution to publish.")
        errors.update(text_errors(published_title=title, published_problem=problem, published_solution=solution))
        confirmed = set(not_personal)
        marks = [f for text in (title, problem, solution) for f in redaction.find(text, ticket)]
        if any(f.key not in confirmed for f in marks):
            errors["personal_data"] = N_("Personal data is still marked: remove it from the texts, or confirm "
                                         "each remaining mark as not personal data.")
        if errors:
            raise ValidationError(errors)
        at = event_time(session)
        for finding in {f.key: f for f in marks}.values():
            session.add(TicketEvent(ticket=ticket, actor_id=actor.id, kind="not_personal", field=finding.kind,
                                    new_value=finding.text, internal=True, at=at))
        ticket.published_problem, ticket.published_solution = problem, solution
        ticket.published_title = title if title != ticket.subject else None
        if not ticket.general:
            ticket.general_by, ticket.general_at = actor, event_time(session)
    ticket.general = general
    session.flush()


REOPEN_DAYS = DEFAULTS["REOPEN_DAYS"]  # default period in which a customer may reopen a resolved ticket


def can_reopen(ticket: Ticket, now: datetime, days: int = REOPEN_DAYS) -> bool:
    """A resolved (not closed) ticket may be reopened within `days` of its resolution."""
    return (ticket.status == Status.RESOLVED and ticket.resolved_at is not None
            and now - ticket.resolved_at <= timedelta(days=days))


def reopen(session: Session, ticket: Ticket, user: User, body: str, days: int = REOPEN_DAYS) -> Comment:
    """The customer reopens a resolved ticket with a comment saying why."""
    if not can_reopen(ticket, event_time(session), days):
        raise ValidationError({"reopen": N_("This ticket can no longer be reopened. Register a new ticket.")})
    if not (body or "").strip():
        raise ValidationError({"body": N_("Write why the solution did not help.")})
    comment = add_comment(session, ticket, user, body)
    set_status(session, ticket, user, Status.REOPENED)
    return comment


def propose_work(session: Session, ticket: Ticket, actor: User, description: str, estimate_hours) -> WorkProposal:
    """Support proposes billable work with an estimate; it waits for the customer's written confirmation."""
    if not actor.role.is_staff:
        raise ValidationError({"work": N_("Only support can propose billable work.")})
    errors = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = N_("Describe the work.")
    try:
        hours = float(str(estimate_hours).replace(",", "."))
    except ValueError:
        hours = -1.0
    if not 0 < hours <= 1000:
        errors["estimate_hours"] = N_("Give the estimate in hours, for example 2 or 1.5.")
    if errors:
        raise ValidationError(errors)
    acting(session, actor)
    proposal = WorkProposal(ticket=ticket, description=description, estimate_hours=hours, proposed_by=actor,
                            proposed_at=event_time(session))
    session.add(proposal)
    session.flush()
    return proposal


def decide_work(session: Session, proposal: WorkProposal, user: User, confirm: bool, note: str = "") -> None:
    """The customer confirms (in writing) or declines proposed billable work."""
    if user.role.is_staff:
        raise ValidationError({"work": N_("Only the customer can confirm or decline billable work.")})
    if proposal.status != WorkStatus.PROPOSED:
        raise ValidationError({"work": N_("This proposal has already been answered.")})
    note = (note or "").strip()
    if confirm and not note:
        raise ValidationError({"note": N_("Write your confirmation, for example: We order the work as proposed.")})
    acting(session, user)
    proposal.status = WorkStatus.CONFIRMED if confirm else WorkStatus.DECLINED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = user, event_time(session), note or None
    session.flush()


def staff(session: Session) -> list[User]:
    """Who tickets can be assigned to: the active support staff and administrators."""
    return list(session.scalars(select(User).where(User.role.in_([Role.SUPPORT, Role.ADMIN]), User.active.is_(True))
                                .order_by(User.name)))


def assign(session: Session, ticket: Ticket, actor: User, assignee: User | None) -> None:
    """Support takes a ticket ("assign to me"), gives it to a colleague, or hands it back to the queue."""
    if not actor.role.is_staff or (assignee is not None and not (assignee.role.is_staff and assignee.active)):
        raise ValidationError({"assigned_to": N_("Only support staff can handle tickets.")})
    acting(session, actor)
    ticket.assigned_to = assignee
    if assignee is not None and ticket.status in (Status.NEW, Status.REOPENED):
        ticket.status = Status.IN_PROGRESS
    session.flush()


def change_status(session: Session, ticket: Ticket, actor: User, status: Status) -> None:
    """Support sets the status; a solution is proposed with propose_solution, not here."""
    if not actor.role.is_staff:
        raise ValidationError({"status": N_("Only support can change the status.")})
    if status == Status.RESOLVED and not (ticket.solution or "").strip():
        raise ValidationError({"status": N_("Propose a solution to resolve the ticket.")})
    set_status(session, ticket, actor, status)


CORRECTED = ("product", "category", "routine", "version", "ticket_type", "operating_system")


def correct(session: Session, ticket: Ticket, actor: User, *, priority=None, contact: User | None = None,
            **fields) -> None:
    """Support corrects how a ticket is classified (a ticket that came by e-mail has no product yet) and
    who the contact is; the change log records each changed field. `fields` are catalogue values (an
    entry, an id or a code; empty: none) of CORRECTED."""
    if not actor.role.is_staff:
        raise ValidationError({"product": N_("Only support can correct a ticket.")})
    errors: dict[str, str] = {}
    unknown = set(fields) - set(CORRECTED)
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    values = {name: fields.get(name) for name in CORRECTED}
    _check_catalogue(session, values, errors)
    if priority is not None and not isinstance(priority, Priority):
        try:
            priority = Priority(priority)
        except ValueError:
            errors["priority"] = N_("Choose a value from the list.")
    if contact is not None and contact.organisation_id not in (ticket.organisation_id, ticket.end_customer_id):
        errors["contact"] = N_("Choose a contact person of the ticket's organisation.")
    if errors:
        raise ValidationError(errors)
    acting(session, actor)
    for name in CORRECTED:
        setattr(ticket, name, values[name])
    if isinstance(priority, Priority):
        ticket.priority = priority
    if contact is not None:
        ticket.contact = contact
    session.flush()


MERGED = N_("This ticket was a duplicate of ticket %(number)s and has been merged into it: its comments and "
            "files are there now. Follow the ticket %(number)s.")


def merge(session: Session, duplicate: Ticket, target: Ticket, actor: User) -> None:
    """Support merges a duplicate into another ticket of the same customer: its comments and attachments
    move to the target, its own change log stays with it (and both logs say so), it is closed, and the
    customer is told by a comment on it (mailed as every comment is)."""
    if not actor.role.is_staff:
        raise ValidationError({"merge": N_("Only support can merge tickets.")})
    if target.id == duplicate.id or target.merged_into is not None or duplicate.merged_into is not None:
        raise ValidationError({"merge": N_("Merge into another ticket, one that is not merged itself.")})
    if (target.organisation_id, target.end_customer_id) != (duplicate.organisation_id, duplicate.end_customer_id):
        raise ValidationError({"merge": N_("Only tickets of the same customer can be merged.")})
    acting(session, actor)
    at = event_time(session)
    for comment in list(duplicate.comments):
        comment.ticket = target
    for attachment in list(duplicate.attachments):
        attachment.ticket = target
    session.add(TicketEvent(ticket=target, actor_id=actor.id, kind="merged_from", new_value=str(duplicate.number),
                            at=at))
    session.add(TicketEvent(ticket=duplicate, actor_id=actor.id, kind="merged_into", new_value=str(target.number),
                            at=at))
    duplicate.merged_into = target.number
    session.flush()
    add_comment(session, duplicate, actor, translate(MERGED, duplicate.language, number=f"#{target.number}"))
    set_status(session, duplicate, actor, Status.CLOSED)
