"""Translated names of the domain's fixed values, for templates."""
import re
from datetime import date

from flask_babel import (format_date, format_datetime, format_decimal, format_percent, format_timedelta, gettext,
                         lazy_gettext as _l)
from markupsafe import Markup

from indexer.schema import FACETS
from kb.mail import preferences
from kb.models import Priority, ReplyMethod, Role, Status
from kb.text import render_markdown

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
FIELD = {
    "subject": _l("Subject"), "language": _l("Language"), "status": _l("Status"), "priority": _l("Customer priority"),
    "reply_method": _l("Reply method"), "urgent": _l("Urgent"), "description": _l("Description"),
    "application": _l("Application or window"), "error_message": _l("Error message"),
    "affected_usernames": _l("Usernames affected"), "company_numbers": _l("Company numbers affected"),
    "report_name": _l("Report name and filters"),
    "solution": _l("Solution"), "published_title": _l("Published title"),
    "published_problem": _l("Published problem"),
    "published_solution": _l("Published solution"), "general": _l("General"), "organisation": _l("Organisation"),
    "end_customer": _l("End customer"), "contact": _l("Contact person"), "assigned_to": _l("Assigned to"),
    "product": _l("Product"), "category": _l("Category"), "routine": _l("Routine"), "ticket_type": _l("Ticket type"),
    "operating_system": _l("Operating system"), "version": _l("Version"), "database": _l("Database"),
    "locked_at_customer": _l("Locked at customer"), "external_id": _l("External id"),
    "body": _l("Comment"), "title": _l("Title"), "problem": _l("Problem"),
}
EVENT = {
    "created": _l("Registered the ticket"), "commented": _l("Wrote a comment"), "attached": _l("Attached a file"),
    "work_proposed": _l("Proposed billable work"), "work_confirmed": _l("Confirmed the billable work"),
    "work_declined": _l("Declined the billable work"), "not_personal": _l("Confirmed as not personal data"),
    "mail_received": _l("Received by e-mail"), "merged_from": _l("Merged a duplicate into this ticket"),
    "merged_into": _l("Merged into another ticket"),
}
PERSONAL = {
    "name": _l("Name"), "username": _l("Username"), "email": _l("E-mail address"), "phone": _l("Phone number"),
    "company_number": _l("Company number"), "personal_id": _l("Personal identity number"),
    "licence_key": _l("Licence key"), "organisation": _l("Organisation"), "iban": _l("Bank account (IBAN)"),
}
GRANT_STATUS = {
    "requested": _l("Waiting for approval"), "approved": _l("Approved"), "declined": _l("Declined"),
    "revoked": _l("Revoked"), "expired": _l("Expired"),
}
ORG_KIND = {"customer": _l("Customer"), "partner": _l("Partner"), "vendor": _l("Vendor")}
CATALOGUE_KIND = {
    "product": _l("Product"), "category": _l("Category"), "routine": _l("Routine"), "version": _l("Version"),
    "ticket_type": _l("Ticket type"), "operating_system": _l("Operating system"),
}
IMPORT_KIND = {"organisations": _l("Organisations"), "users": _l("Users"), "licences": _l("Licences")}
LANGUAGE = {"sv": "Svenska", "fi": "Suomi"}  # each language by its own name, as on the login page


# What support looked at through a remote-access grant (kb/grants.py `use`, webapp/grants/routes.py).
AUDIT_WHAT = {"tickets": _l("the list of tickets"), "licences": _l("the licences"), "users": _l("the users")}
_AUDIT_TICKET = re.compile(r"ticket (\d+)")


def audit_what(what: str) -> str:
    """An audit entry's `what` in the reader's language ("ticket 10042" -> "ärende 10042")."""
    if what in AUDIT_WHAT:
        return str(AUDIT_WHAT[what])
    ticket = _AUDIT_TICKET.fullmatch(what)
    return gettext("ticket %(number)s", number=ticket.group(1)) if ticket else what


# A change to an organisation's users (kb/organisation_users.py), as its audit list says it.
USER_CHANGE = {
    "invited": _l("Invited as %(new)s"), "invited_again": _l("Sent a new password link"),
    "deactivated": _l("Deactivated"), "reactivated": _l("Reactivated"), "role": _l("Role: %(old)s → %(new)s"),
    "approval": _l("May approve remote access: %(new)s"), "email": _l("E-mail changed"),
    "requested_declined": _l("Request for a user declined"),
    "two_factor": _l("Two-factor login required for the organisation's users: %(new)s"),
    "two_factor_reset": _l("Two-factor login removed (a lost phone)"),
}


def user_change(entry) -> str:
    """One entry of the user audit in the reader's language; roles and yes/no translated too."""
    def shown(value):
        if value in Role._value2member_map_:
            return str(ROLE[Role(value)])
        return {"true": gettext("Yes"), "false": gettext("No")}.get(value, value or "")
    template = USER_CHANGE.get(entry.action)
    return str(template) % {"old": shown(entry.old_value), "new": shown(entry.new_value)} if template else entry.action


def file_size(size: int) -> str:
    """A file's size as people read it, with the reader's decimal comma: "512 B", "1,5 kB", "3,2 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024, 1))} kB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"


def init_app(app) -> None:
    from .i18n import get_locale, get_timezone, local_time_input

    # Globals, not a context processor, so that imported macros see them too.
    app.jinja_env.globals.update(STATUS=STATUS, PRIORITY=PRIORITY, REPLY_METHOD=REPLY_METHOD, ROLE=ROLE,
                                 FIELD=FIELD, EVENT=EVENT, PERSONAL=PERSONAL, GRANT_STATUS=GRANT_STATUS, ORG_KIND=ORG_KIND,
                                 CATALOGUE_KIND=CATALOGUE_KIND, IMPORT_KIND=IMPORT_KIND,
                                 LANGUAGE=LANGUAGE, FACETS=FACETS, get_locale=get_locale, format_date=format_date,
                                 format_datetime=format_datetime, format_decimal=format_decimal, format_timedelta=format_timedelta, local_time_input=local_time_input,
                                 get_timezone=get_timezone, audit_what=audit_what, user_change=user_change,
                                 file_size=file_size)
    app.add_template_filter(markdown, "markdown")
    app.add_template_filter(lambda text: date.fromisoformat(text), "isodate")
    app.add_template_filter(lambda value: Priority(value), "priority")
    app.jinja_env.globals["format_percent"] = format_percent
    app.jinja_env.globals["MAIL_OPTIONS"] = preferences.OPTIONAL
    # The Finnish manual: for critical matters, call (the number and its weekday hours are settings).
    app.jinja_env.globals["SUPPORT_PHONE"] = (app.config.get("SUPPORT_PHONE"), app.config.get("SUPPORT_PHONE_HOURS"))


def markdown(text: str | None) -> Markup:
    """`{{ text|markdown }}`: Markdown as users write it, sanitised (kb/text.py)."""
    return Markup(render_markdown(text))
