"""Translated names of the domain's fixed values, for templates."""
from flask_babel import format_date, format_datetime, lazy_gettext as _l

from kb.models import Priority, ReplyMethod, Role, Status

STATUS = {
    Status.NEW: _l("New"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.WAITING: _l("Waiting for customer"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
    Status.REOPENED: _l("Reopened"),
}
PRIORITY = {
    Priority.LOW: _l("Low"),
    Priority.NORMAL: _l("Normal"),
    Priority.HIGH: _l("High"),
    Priority.CRITICAL: _l("Critical"),
}
REPLY_METHOD = {ReplyMethod.EMAIL: _l("E-mail"), ReplyMethod.NONE: _l("No reply by e-mail")}
ROLE = {
    Role.CUSTOMER: _l("Customer"),
    Role.CUSTOMER_ADMIN: _l("Customer administrator"),
    Role.PARTNER: _l("Partner"),
    Role.SUPPORT: _l("Support agent"),
    Role.ADMIN: _l("Administrator"),
}
LANGUAGE = {"sv": "Svenska", "fi": "Suomi"}  # each language by its own name, as on the login page


def init_app(app) -> None:
    from .i18n import get_locale

    # Globals, not a context processor, so that imported macros see them too.
    app.jinja_env.globals.update(STATUS=STATUS, PRIORITY=PRIORITY, REPLY_METHOD=REPLY_METHOD, ROLE=ROLE,
                                 LANGUAGE=LANGUAGE, get_locale=get_locale, format_date=format_date,
                                 format_datetime=format_datetime)
