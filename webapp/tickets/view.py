"""The ticket page and the rule of which ticket a user may open, shared by the customer's and support's views."""
from __future__ import annotations

from flask import abort, current_app, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from kb import access, canned, catalogue, service_levels
from kb import tickets as workflow
from kb.models import CatalogueKind, Comment, Priority, Status, Ticket, User, utcnow
from kb.text import render_markdown

from ..database import cached_catalogue, get_session
from ..i18n import get_locale
from ..indexing import get_desk_index

TABS = ("ticket", "log", "attachments", "comment", "solution")
RECENT = 6  # tickets in the bar of recently opened ones
# The page shows each comment's author and files: loaded with the comments, not in queries of one a comment.
COMMENTS_AND_THEIR_FILES = selectinload(Ticket.comments).options(joinedload(Comment.author),
                                                                 selectinload(Comment.attachments))


def reopen_days() -> int:
    return int(current_app.config.get("REOPEN_DAYS", workflow.REOPEN_DAYS))


def ticket_or_404(number: int, *options) -> Ticket:
    """The ticket if the user may see it; any other number answers 404, so nothing can be enumerated."""
    ticket = access.ticket_for(get_session(), current_user, number, *options)
    if ticket is None:
        abort(404)
    return ticket


def remember(number: int) -> None:
    """The bar of recently opened tickets: each has its own URL, several can be worked on side by side."""
    recent = [n for n in session.get("recent_tickets", []) if n != number]
    session["recent_tickets"] = [number, *recent][:RECENT]


def _recent_tickets() -> list[Ticket]:
    numbers = session.get("recent_tickets", [])
    if not numbers:
        return []
    found = {t.number: t for t in get_session().scalars(
        access.visible_tickets(current_user).where(Ticket.number.in_(numbers)))}
    return [found[n] for n in numbers if n in found]


def ticket_page(ticket: Ticket, tab: str, status: int = 200, **extra):
    """The ticket's page on one of its tabs; `extra` carries a refused form's values and errors."""
    proposals = [p for p in ticket.work_proposals]
    context = {
        "ticket": ticket, "tab": tab, "tabs": TABS, "recent": _recent_tickets(),
        "comments": access.comments_for(current_user, ticket),
        "events": access.events_for(current_user, ticket) if tab == "log" else [],  # only the log shows them
        "attachments": access.attachments_for(current_user, ticket), "proposals": proposals,
        "description": render_markdown(ticket.description), "solution": render_markdown(ticket.solution),
        "can_reopen": not current_user.is_staff and workflow.can_reopen(ticket, utcnow(), reopen_days()),
        "reopen_days": reopen_days(), "render_markdown": render_markdown, "values": {}, "errors": {}, "held": [],
        "support_values": {}, "STATUSES": list(Status),
        "labels": cached_catalogue().labels(get_locale()), "entries": cached_catalogue().entries,
        # the address the page has, whatever form answered with it (webapp/static/page-url.js)
        "page_url": url_for("tickets.show", number=ticket.number, tab=None if tab == "ticket" else tab),
    }
    if current_user.is_staff and tab == "ticket":
        context["correction"] = _correction_choices(ticket)
        context["related"] = _related_tickets(ticket)
    if current_user.is_staff and tab in ("ticket", "comment"):
        context["canned_answers"] = canned.answers(get_session())
    context.update(extra)
    return render_template("tickets/show.html", **context), status


def _related_tickets(ticket: Ticket, limit: int = 5) -> list[Ticket]:
    """For support: the resolved or closed tickets most like this one, from the desk index (staff only)."""
    numbers = get_desk_index().related(ticket.number, limit)
    found = {t.number: t for t in get_session().scalars(select(Ticket).where(Ticket.number.in_(numbers)))} \
        if numbers else {}
    return [found[n] for n in numbers if n in found]


def _correction_choices(ticket: Ticket) -> dict:
    """What support may choose when correcting a ticket: the catalogue lists (categories, routines and
    versions of the ticket's product) and the contacts of its organisation and end customer."""
    db = get_session()
    product = ticket.product_id
    lists = {"product": catalogue.entries(db, CatalogueKind.PRODUCT),
             "ticket_type": catalogue.entries(db, CatalogueKind.TICKET_TYPE),
             "operating_system": catalogue.entries(db, CatalogueKind.OPERATING_SYSTEM)}
    for name, kind in (("category", CatalogueKind.CATEGORY), ("routine", CatalogueKind.ROUTINE),
                       ("version", CatalogueKind.VERSION)):
        lists[name] = catalogue.entries(db, kind, product) if product else []
    organisations = [o for o in (ticket.organisation_id, ticket.end_customer_id) if o]
    contacts = list(db.scalars(select(User).where(User.organisation_id.in_(organisations), User.active.is_(True))
                               .order_by(User.name)))
    return {"lists": lists, "contacts": contacts, "priorities": list(Priority), "staff": workflow.staff(db),
            "due": service_levels.due(ticket, current_app.extensions["kb_service_levels"])}
