"""Find any ticket: support's search over every ticket (the desk index), Staff only; customers never reach the desk index or its results."""
from __future__ import annotations

from datetime import date

import re

from flask import redirect, render_template, request, url_for
from sqlalchemy import select

from indexer.desk import DeskHit, DeskRequest, DeskResult
from kb import catalogue
from kb.errors import N_
from kb.models import CatalogueKind, Organisation, Status, Ticket

from ..database import get_session
from ..guards import staff_required
from ..indexing import get_desk_index
from ..validation import database_id
from .routes import bp

__all__ = ["desk_request", "find", "find_url", "hits_and_tickets"]

BAD_DATE = N_("Give the date as YYYY-MM-DD.")


def desk_request(args) -> tuple[DeskRequest, dict[str, str]]:
    """The search the query string asks for (the page's and the API's: organisation by id, product by
    code), and a message for each date that could not be read (that filter is left out; nothing else is)."""
    errors: dict[str, str] = {}
    dates = {}
    for name in ("from", "to"):
        text = (args.get(name) or "").strip()
        if text:
            try:
                dates[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = BAD_DATE
    status = args.get("status") if args.get("status") in Status._value2member_map_ else None
    return DeskRequest(text=(args.get("q") or "")[:1000], organisation=args.get("organisation", type=database_id),
                       status=status, product=(args.get("product") or "")[:64] or None,
                       registered_from=dates.get("from"), registered_to=dates.get("to"),
                       order=args.get("order", "relevance"), page=args.get("page", 1, type=database_id)), errors


def find_url(**changes) -> str:
    """This page's URL with some arguments changed; None removes one."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    args.update(changes)
    return url_for("support.find", **{k: v for k, v in args.items() if v not in (None, "")})


TICKET_NUMBER = re.compile(r"#?(\d{1,9})")


def numbered_ticket(text: str) -> Ticket | None:
    """The ticket whose number the words are ("10089", "#10089"), if there is one."""
    match = TICKET_NUMBER.fullmatch((text or "").strip())
    return get_session().scalar(select(Ticket).where(Ticket.number == int(match.group(1)))) if match else None


@bp.get("/find")
@staff_required
def find():
    db = get_session()
    ticket = numbered_ticket(request.args.get("q", ""))
    if ticket is not None and request.args.get("page", "1") == "1":  # a ticket's number opens it
        return redirect(url_for("tickets.show", number=ticket.number))
    search, errors = desk_request(request.args)
    result, tickets = hits_and_tickets(search) if request.args else (None, {})
    return render_template("support/find.html", search=search, result=result, tickets=tickets, errors=errors,
                           args=request.args, find_url=find_url,
                           organisations=list(db.scalars(select(Organisation).order_by(Organisation.name))),
                           products=catalogue.entries(db, CatalogueKind.PRODUCT))



def hits_and_tickets(search: DeskRequest) -> tuple[DeskResult, dict[int, Ticket]]:
    """A desk search's result, and its tickets as they are now (the index may be a moment behind)."""
    result = get_desk_index().search(search)
    ticket = numbered_ticket(search.text)
    if ticket is not None and search.page == 1:  # the ticket of that number first, then what mentions it
        result.hits = [DeskHit(number=ticket.number, title=ticket.subject, language=ticket.language,
                               status=ticket.status.value, organisation=ticket.organisation_id,
                               product=ticket.product.code if ticket.product else "",
                               registered_at=ticket.created_at,
                               score=max((h.score for h in result.hits), default=0.0) + 1.0)] + \
            [h for h in result.hits if h.number != ticket.number][:search.page_size - 1]
        result.total = max(result.total, len(result.hits))
    numbers = [h.number for h in result.hits]
    found = get_session().scalars(select(Ticket).where(Ticket.number.in_(numbers))) if numbers else []
    return result, {t.number: t for t in found}
