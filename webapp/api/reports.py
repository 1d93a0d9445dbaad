"""The Reports page's figures as JSON: the same scope (from, to, product) and the same rights (support and
administrators: everything; a customer admin: their organisations, without the experience database's use)."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from .. import usage
from ..reports.figures import compute, figures_for, may_see, scope_from
from ..validation import invalid_response
from .routes import bp


@bp.get("/reports/<figure>")
def report(figure: str):
    if not may_see(current_user) or figure not in figures_for(current_user):
        abort(404)
    scope, errors = scope_from(request.args)
    if errors:
        return invalid_response(errors)
    usage.flush_here()
    return jsonify({"from": scope.start.isoformat(), "to": scope.end.isoformat(), **compute(figure, scope)})
