"""Domain objects as the API's JSON: the shapes documented in openapi.py."""
from __future__ import annotations

from flask import url_for

from kb.models import Attachment, CannedAnswer, Comment, Ticket, TicketEvent, User


def _time(value):
    return value.isoformat() if value else None


def _code(entry):
    return entry.code if entry else None


def ticket_summary(ticket: Ticket) -> dict:
    return {
        "number": ticket.number, "subject": ticket.subject, "status": ticket.status.value,
        "language": ticket.language, "product": _code(ticket.product), "urgent": ticket.urgent,
        "organisation": ticket.organisation.name if ticket.organisation else None,
        "end_customer": ticket.end_customer.name if ticket.end_customer else None,
        "created_at": _time(ticket.created_at), "updated_at": _time(ticket.updated_at),
        "url": url_for("api.ticket", number=ticket.number, _external=True),
    }


def comment(item: Comment, number: int, attachments: list[Attachment]) -> dict:
    return {
        "id": item.id, "author": item.author.name if item.author else None, "body": item.body,
        "internal": item.internal, "created_at": _time(item.created_at),
        "attachments": [attachment(a, number) for a in attachments if a.comment_id == item.id],
    }


def attachment(item: Attachment, number: int) -> dict:
    return {
        "id": item.id, "filename": item.filename, "content_type": item.content_type, "size": item.size,
        "created_at": _time(item.created_at),
        "url": url_for("api.attachment", number=number, attachment_id=item.id, _external=True),
    }


def ticket_detail(ticket: Ticket, user: User, comments: list[Comment], attachments: list[Attachment]) -> dict:
    out = ticket_summary(ticket)
    out.update({
        "contact": ticket.contact.name if ticket.contact else None,
        "registered_by": ticket.registered_by.name if ticket.registered_by else None,
        "category": _code(ticket.category), "routine": _code(ticket.routine), "version": _code(ticket.version),
        "ticket_type": _code(ticket.ticket_type), "operating_system": _code(ticket.operating_system),
        "priority": ticket.priority.value, "reply_method": ticket.reply_method.value,
        "description": ticket.description, "application": ticket.application,
        "error_message": ticket.error_message, "affected_usernames": ticket.affected_usernames,
        "company_numbers": ticket.company_numbers, "report_name": ticket.report_name, "solution": ticket.solution,
        "resolved_at": _time(ticket.resolved_at),
        "comments": [comment(c, ticket.number, attachments) for c in comments],
        "attachments": [attachment(a, ticket.number) for a in attachments],
    })
    if user.is_staff:  # who handles it is support's business
        out["assigned_to"] = ticket.assigned_to.username if ticket.assigned_to else None
    return out


def event(item: TicketEvent) -> dict:
    return {
        "id": item.id, "kind": item.kind, "field": item.field, "old_value": item.old_value,
        "new_value": item.new_value, "actor": item.actor.name if item.actor else None, "at": _time(item.at),
    }


def canned_answer(answer: CannedAnswer) -> dict:
    return {"id": answer.id, "title": answer.title, "body_sv": answer.body_sv, "body_fi": answer.body_fi,
            "updated_at": _time(answer.updated_at)}
