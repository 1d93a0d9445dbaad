from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from indexer.searching import as_json

from ..experience.routes import search_request
from ..indexing import get_index

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def error(status: int, message: str):
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return error(401, _("Log in to use the API."))


@bp.get("/search")
def search():
    result = get_index().search(search_request(request.args))
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
