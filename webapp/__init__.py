"""The Flask application: create_app wires configuration, extensions and blueprints."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app, render_template, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter
from flask_babel import gettext as _

from kb import config, sessions
from kb.attachments import store_for
from kb.service_levels import Targets
from kb.i18n import TRANSLATIONS_DIR
from kb.models import User

from . import database, indexing, labels, outbox, usage
from .extensions import babel, csrf, login_manager
from .i18n import get_locale, get_timezone

class DatabaseInteger(IntegerConverter):
    """`<int:...>` in every route: a number a database integer holds (PostgreSQL's is 32 bits); a
    larger one ("a 40-digit ticket number") is no page, not a database error."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Defaults, then the instance's config.py, then KB_* environment, then test_config."""
    test_config = test_config or {}
    instance = Path(test_config.get("INSTANCE_PATH") or config.instance_path()).resolve()
    app = Flask(__name__, instance_path=str(instance), instance_relative_config=True)
    app.config.from_mapping(  # Flask's own wiring; kb's settings are declared in kb/config.py
        MAX_CONTENT_LENGTH=105 * 1024 * 1024,  # 10 files of at most 10 MB, and the form
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE=config.DEFAULT_LANGUAGE,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
    )
    app.config.from_mapping(config.load(instance))
    app.config.from_mapping(test_config)
    app.url_map.converters["int"] = DatabaseInteger
    if app.config["SECRET_KEY"] == config.DEFAULT_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError("Refusing to start with the default secret key: set SECRET_KEY in "
                           f"{instance / 'config.py'} or KB_SECRET_KEY (`kb db upgrade` writes one).")
    problem = config.base_url_problem(app.config.get("BASE_URL"))
    if problem and (app.config.get("BASE_URL") or not (app.debug or app.testing)):
        raise RuntimeError(base_url_refusal(problem, instance))
    app.config["TRUSTED_HOSTS"] = config.trusted_hosts(app.config)
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = str(app.config.get("BASE_URL") or "").startswith("https://")

    if not app.testing:
        log_to_stderr()
    database.init_app(app)
    indexing.init_app(app)
    outbox.init_app(app)
    usage.init_app(app)
    app.extensions["kb_service_levels"] = Targets.from_settings(app.config)
    app.extensions["kb_attachments"] = store_for(app.config["ATTACHMENT_STORAGE"], instance,
                                                 app.extensions["kb_database"])
    babel.init_app(app, locale_selector=get_locale, timezone_selector=get_timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    labels.init_app(app)
    _register_blueprints(app)
    _register_errors(app)
    app.after_request(_security_headers)
    return app


def log_to_stderr() -> None:
    """kb's own log lines (each mail sent or failed, kb.mail) at INFO on standard error, where `kb serve`
    and gunicorn's error log show them; unless the process has set up logging itself."""
    logger = logging.getLogger("kb")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def base_url_refusal(problem: str, instance: Path) -> str:
    return (f"Refusing to start: {problem}. Links in mail are built from it, never from a request: set BASE_URL "
            f"to the portal's address as its users open it (https://support.example.com) in {instance / 'config.py'} "
            "or KB_BASE_URL (`make run` sets http://127.0.0.1:5000).")


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of a session id '<id>:<session_version>:<login key>', if active and the session live."""
    ident, version, key = (user_id.split(":", 2) + ["", ""])[:3]
    if not ident.isdigit() or not version.isdigit() or len(ident) > 18 or len(version) > 18:
        return None
    user = sessions.user_of(database.get_session(), int(ident), int(version), key,
                            bool(current_app.config.get("STAFF_TWO_FACTOR", True)))
    if user is not None:
        user.login_key = key
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    """Not logged in (or the session has ended meanwhile: a new password elsewhere, a policy that now asks
    for a code): a kept form comes back after the login (webapp/kept.py); anything else goes to it."""
    from flask import redirect, url_for

    from .kept import expired_form
    kept = expired_form()
    if kept is not None:
        return kept
    if request.path.startswith("/api/"):
        from .api.routes import error as api_error
        return api_error(401, _("Log in to use the API."))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _register_blueprints(app: Flask) -> None:
    from . import admin, api, auth, experience, grants, language, main, reports, support, tickets, users

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(experience.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(support.bp)
    app.register_blueprint(grants.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(reports.bp)
    csrf.exempt(api.bp)  # the API checks the CSRF token itself for session-signed calls (not for tokens)
    app.register_blueprint(api.bp)


def _register_errors(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError
    from werkzeug.exceptions import SecurityError

    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have access to this page."),
        404: lambda: _("The page was not found."),
        405: lambda: _("That is not allowed here."),
        413: lambda: _("The upload is too large."),
        500: lambda: _("Something went wrong on our side. Please try again."),
    }

    def handler(code):
        def render(error):
            if isinstance(error, SecurityError):  # an untrusted Host: no page, whose links would name it
                return _("This address is not the portal's."), 400, {"Content-Type": "text/plain; charset=utf-8"}
            if request.path.startswith("/api/"):  # unknown API paths and methods too: JSON, never a page
                from .api.routes import error as api_error
                return api_error(code, messages[code]())
            return render_template("error.html", code=code, message=messages[code]()), code
        return render

    for code in messages:
        app.register_error_handler(code, handler(code))

    @app.errorhandler(CSRFError)
    def _csrf(error):
        message = _("The form had expired. Please try again.")
        if request.path.startswith("/api/"):
            from .api.routes import error as api_error
            return api_error(400, message)
        from .kept import expired_form
        return expired_form() or (render_template("error.html", code=400, message=message), 400)


def _security_headers(response):
    # Nothing a signed-in user sees, and no API answer, is kept by the browser or a proxy: the back button
    # after logging out, or the next user of a shared computer, finds nothing.
    if request.endpoint != "static" and (request.path.startswith("/api/") or current_user.is_authenticated) \
            and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    return response
