from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from indexer.searching import SearchRequest
from kb import experience
from kb.db import writing
from kb.text import render_markdown

from ..database import cached_catalogue, get_session
from ..i18n import get_locale
from .. import usage
from ..indexing import get_index

bp = Blueprint("experience", __name__, url_prefix="/experience")


def search_request(args) -> SearchRequest:
    """A search request from query-string arguments; anything odd falls back to a default."""
    page = args.get("page", "1")
    return SearchRequest(
        text=args.get("q", ""), mode=args.get("mode", "free"), language=args.get("lang", get_locale()),
        page=int(page) if page.isdigit() else 1, product=args.get("product") or None,
        category=args.get("category") or None, version=args.get("version") or None,
        order=args.get("order", "relevance"), as_you_type=args.get("typing") == "1",
        min_match=_share(args.get("min_match"))).normalised()


def _share(text: str | None) -> float:
    """A share between 0 and 1 from a query-string argument; anything else is 0."""
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if 0.0 <= value <= 1.0 else 0.0


@bp.get("/")
@login_required
def search():
    search = search_request(request.args)
    result = get_index().search(search) if (search.text.strip() or request.args) else None
    if result is not None and search.text.strip() and search.page == 1 and request.args.get("typing") != "1":
        usage.searched(search.language, search.mode, search.text, result.total)  # what was asked, not who
    listed = cached_catalogue()
    context = {"search": search, "result": result, "labels": listed.labels(get_locale()),
               "products": listed.products}
    if request.args.get("partial") == "1":
        return render_template("experience/_results.html", **context)
    return render_template("experience/search.html", **context)


@bp.get("/<int:number>")
@login_required
def entry(number: int):
    db = get_session()
    ticket = experience.published_entry(db, number)
    if ticket is None:
        abort(404)
    usage.opened(number)
    yes, no = experience.votes(db, ticket)
    return render_template(
        "experience/entry.html", ticket=ticket, problem=render_markdown(ticket.published_problem),
        solution=render_markdown(ticket.published_solution), related=get_index().related(number),
        votes=(yes, no), my_vote=experience.user_vote(db, ticket, current_user),
        deflections=experience.deflections(db, ticket),
        labels=cached_catalogue().labels(get_locale()))


@bp.post("/<int:number>/helpful")
@login_required
def helpful(number: int):
    db = get_session()
    answer = request.form.get("helpful")
    if answer not in ("yes", "no"):
        abort(400)
    with writing(db):
        ticket = experience.published_entry(db, number)
        if ticket is None:
            abort(404)
        experience.vote(db, ticket, current_user, answer == "yes")
    flash(_("Thank you for your answer."), "info")
    return redirect(url_for("experience.entry", number=number))


@bp.app_template_global()
def search_url(**changes) -> str:
    """The search page's URL with some arguments changed; None removes one. Always back to page 1."""
    args = {k: v for k, v in request.args.items() if k not in ("partial", "typing", "page")}
    args.update(changes)
    return url_for("experience.search", **{k: v for k, v in args.items() if v not in (None, "")})


@bp.post("/<int:number>/solved")
@login_required
def solved(number: int):
    """"This solved my problem": the reader files no ticket; counted per entry."""
    db = get_session()
    with writing(db):
        ticket = experience.published_entry(db, number)
        if ticket is None:
            abort(404)
        experience.record_deflection(db, ticket, current_user)
    flash(_("Good to hear that the answer helped. No ticket was registered."), "success")
    return redirect(url_for("main.home"))
