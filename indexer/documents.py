"""Tickets as index documents. In the experience database: a published ticket, only its published texts,
never personal data. In the desk index (support's): every ticket with all it says, comments and internal
notes included."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import aliased

from kb.models import CatalogueEntry, Comment, Ticket, User
from kb.text import plain_text

from .schema import PARTS, analyzed_field


def published():
    """The condition of a ticket that belongs in the experience database (`Ticket.is_published`)."""
    return Ticket.is_published


def published_rows() -> Select:
    """Every published ticket as the row `document` takes: what a rebuild and a sync read, without building
    ORM objects (115 000 rows a second against 16 000 tickets at 100 000 tickets)."""
    product, category, version = (aliased(CatalogueEntry) for _ in range(3))
    return (select(Ticket.number, Ticket.language, Ticket.published_title, Ticket.subject, Ticket.published_problem,
                   Ticket.published_solution, product.code, category.code, version.code, Ticket.resolved_at,
                   Ticket.created_at)
            .outerjoin(product, product.id == Ticket.product_id)
            .outerjoin(category, category.id == Ticket.category_id)
            .outerjoin(version, version.id == Ticket.version_id)
            .where(published()).order_by(Ticket.id))


def document(row) -> dict:
    """The fields of a published ticket, from its row of `published_rows`: the one document builder of
    the rebuild and the sync. Contacts, organisations, comments and attachments stay out."""
    number, language, title, subject, problem, solution, product, category, version, resolved, created = row
    texts = {"title": title or subject or "", "problem": plain_text(problem), "solution": plain_text(solution)}
    doc = {
        "number": str(number),
        "language": language,
        "product": product or "",
        "category": category or "",
        "version": version or "",
        "resolved": (resolved or created).replace(tzinfo=None),
        **texts,
    }
    for part in PARTS:
        doc[analyzed_field(part, language)] = texts[part]
    return doc


def every_ticket():
    """The condition of a ticket that belongs in the desk index: all of them."""
    return true()


def desk_rows() -> Select:
    """Every ticket as the row `desk_document` takes, its comments (internal notes too) joined into one text,
    with what support looks a ticket up by: the user ids and company numbers the customer gave, the report
    named (with its filters), and the e-mail addresses of its contact and of whoever registered it."""
    product = aliased(CatalogueEntry)
    contact, registrant = aliased(User), aliased(User)
    comments = (select(func.aggregate_strings(Comment.body, "\n\n")).where(Comment.ticket_id == Ticket.id)
                .correlate(Ticket).scalar_subquery())
    return (select(Ticket.number, Ticket.language, Ticket.subject, Ticket.description, Ticket.error_message,
                   comments, Ticket.solution, Ticket.organisation_id, Ticket.status, product.code, Ticket.created_at,
                   Ticket.affected_usernames, Ticket.company_numbers, contact.email, registrant.email,
                   Ticket.report_name)
            .outerjoin(product, product.id == Ticket.product_id)
            .outerjoin(contact, contact.id == Ticket.contact_id)
            .outerjoin(registrant, registrant.id == Ticket.registered_by_id)
            .order_by(Ticket.id))


def desk_document(row) -> dict:
    """The fields of any ticket in the desk index, from its row of `desk_rows`."""
    number, language, subject, description, error_message, comments, solution, organisation, status, product, \
        created, usernames, company_numbers, contact_email, registrant_email, report_name = row
    problem = "\n\n".join(plain_text(text) for text in (description, error_message, report_name, comments) if text)
    looked_up = " ".join(text for text in (usernames, company_numbers, contact_email, registrant_email) if text)
    if looked_up:
        problem = f"{problem}\n\n{looked_up}"
    texts = {"title": subject or "", "problem": problem, "solution": plain_text(solution)}
    doc = {
        "number": str(number),
        "language": language,
        "organisation": str(organisation or ""),
        "status": getattr(status, "value", status) or "",
        "product": product or "",
        "registered": created.replace(tzinfo=None),
        **texts,
    }
    for part in PARTS:
        doc[analyzed_field(part, language)] = texts[part]
    return doc
