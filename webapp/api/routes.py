import json

from flask import Blueprint, Response, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indexer.searching import as_json
from kb.tokens import user_for_token

from .. import usage
from ..database import get_session
from ..experience.routes import search_request
from ..extensions import csrf, login_manager
from ..indexing import get_index

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, message):
    """An API error in the documented shape: {"error": message, "status": status}. Never raises: a
    message that cannot be translated or encoded is sent as its status alone."""
    try:
        text = str(message)
    except Exception:  # noqa: BLE001  (a broken translation must not turn a 4xx into a 500)
        text = str(status)
    response = Response(json.dumps({"error": text, "status": status}, ensure_ascii=True),
                         status=status, mimetype="application/json")
    return response


@bp.before_request
def require_login():
    """Signed in by the session (then unsafe methods need the CSRF token) or by a personal API token."""
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        return error(401, _("Log in to use the API."))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("api_token_user"):
        csrf.protect()


@login_manager.request_loader
def _load_user_from_token(req):
    """`Authorization: Bearer <token>` on API calls; the token's user, without a session."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith(bp.url_prefix + "/") or not header.lower().startswith("bearer "):
        return None
    user = user_for_token(get_session(), header[7:].strip())
    if user is not None:
        g.api_token_user = True
    return user


@bp.get("/search")
def search():
    search = search_request(request.args)
    result = get_index().search(search)
    if search.text.strip() and search.page == 1 and not search.min_match:  # not the ticket form's lookups
        usage.searched(search.language, search.mode, search.text, result.total)
    return jsonify(as_json(result, lambda n: url_for("experience.entry", number=n)))


@bp.get("/suggest")
def suggest():
    language = request.args.get("lang", "all")
    hits = get_index().suggest(request.args.get("q", ""), language=language, limit=10)
    return jsonify({"results": [{"number": h.number, "title": h.title, "language": h.language,
                                 "url": url_for("experience.entry", number=h.number)} for h in hits]})


@bp.errorhandler(404)
def not_found(_error):
    return error(404, _("Not found."))


@bp.errorhandler(400)
def bad_request(exc):
    from flask_wtf.csrf import CSRFError
    if isinstance(exc, CSRFError):
        return error(400, _("The form had expired. Please try again."))
    return error(400, _("The request could not be understood."))


@bp.errorhandler(405)
def not_allowed(_error):
    return error(405, _("That is not allowed here."))


@bp.errorhandler(413)
def too_large(_error):
    return error(413, _("The upload is too large."))


@bp.errorhandler(500)
def server_error(_error):
    return error(500, _("Something went wrong on our side. Please try again."))


@bp.get("/openapi.json")
def openapi():
    from .openapi import document
    return jsonify(document())


@bp.get("/grants/active")
def active_grants():
    """Whether support may now read an organisation (by key or id); staff ask of any, a customer of its own."""
    from sqlalchemy import select

    from kb import grants
    from kb.models import Organisation

    wanted = request.args.get("organisation", "")
    db = get_session()
    query = select(Organisation).where(Organisation.key == wanted)
    if wanted.isdigit():
        query = select(Organisation).where(Organisation.id == int(wanted))
    organisation = db.scalar(query) if wanted else None
    if organisation is None or (not current_user.is_staff and organisation.id != current_user.organisation_id):
        return error(404, _("Not found."))
    items = grants.active(db, organisation)
    return jsonify({"organisation": organisation.key, "active": bool(items), "grants": [
        {"id": g.id, "starts_at": g.starts_at.isoformat(), "ends_at": g.ends_at.isoformat(), "areas": g.area_codes,
         "requested_by": g.requested_by.name} for g in items]})
