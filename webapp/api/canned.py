"""Canned answers through the API: support keeps its reusable replies from scripts as on /support/answers.
Support only; customers get 404."""
from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from kb import canned
from kb.db import writing
from kb.errors import N_, ValidationError
from kb.models import CannedAnswer

from ..database import get_session
from ..validation import field_errors, invalid_response
from .routes import bp
from .serialize import canned_answer
from .tickets import payload


def _staff() -> None:
    if not current_user.is_staff:
        abort(404)


def _answer_or_404(answer_id: int) -> CannedAnswer:
    found = get_session().get(CannedAnswer, answer_id) if 0 < answer_id < 2**31 else None
    if found is None:
        abort(404)
    return found


@bp.get("/canned-answers")
def canned_answers():
    _staff()
    return jsonify({"results": [canned_answer(a) for a in canned.answers(get_session())]})


@bp.post("/canned-answers")
@bp.patch("/canned-answers/<int:answer_id>")
def save_canned_answer(answer_id: int | None = None):
    """A new canned answer, or changes to one (fields left out stay as they are)."""
    _staff()
    db = get_session()
    found = _answer_or_404(answer_id) if answer_id is not None else None
    data, _files = payload()
    with field_errors() as errors, writing(db):
        values = {k: data.get(k, getattr(found, k) if found else "") for k in ("title", "body_sv", "body_fi")}
        if any(not isinstance(v, str | type(None)) for v in values.values()):
            raise ValidationError({"title": N_("Give each field as text (or null).")})
        answer = canned.save(db, current_user, found, **values)
    if errors:
        return invalid_response(errors)
    response = jsonify(canned_answer(answer))
    response.status_code = 200 if found else 201
    return response


@bp.delete("/canned-answers/<int:answer_id>")
def delete_canned_answer(answer_id: int):
    _staff()
    db = get_session()
    with writing(db):
        canned.delete(db, current_user, _answer_or_404(answer_id))
    return "", 204
