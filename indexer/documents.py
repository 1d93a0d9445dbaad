"""A published ticket as an experience-database document: only the published texts, never personal data."""
from __future__ import annotations

from kb.models import Ticket
from kb.text import plain_text

from .schema import PARTS, analyzed_field


def document(ticket: Ticket) -> dict:
    """The fields of a published ticket. Contacts, organisations, comments and attachments stay out."""
    texts = {
        "title": ticket.public_title,
        "problem": plain_text(ticket.published_problem),
        "solution": plain_text(ticket.published_solution),
    }
    doc = {
        "number": str(ticket.number),
        "language": ticket.language,
        "product": ticket.product.code if ticket.product else "",
        "category": ticket.category.code if ticket.category else "",
        "version": ticket.version.code if ticket.version else "",
        "resolved": (ticket.resolved_at or ticket.created_at).replace(tzinfo=None),
        **texts,
    }
    for part in PARTS:
        doc[analyzed_field(part, ticket.language)] = texts[part]
    return doc
