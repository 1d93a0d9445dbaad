from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from kb.db import writing
from kb.i18n import choose_language

from ..database import get_session
from ..redirects import safe_next

bp = Blueprint("language", __name__)


@bp.post("/language")
def switch():
    """Switch the interface language; a logged-in user keeps the choice."""
    language = choose_language(request.form.get("language"))
    session["language"] = language
    if current_user.is_authenticated and current_user.language != language:
        with writing(get_session()):
            current_user.language = language
    return redirect(safe_next(request.form.get("next"), url_for("main.home")))
