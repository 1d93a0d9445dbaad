"""The ticket form's fields as kb.tickets.create_ticket's arguments: plain request data in, domain values out."""
from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from kb.models import Organisation, Priority, ReplyMethod, User

TEXT_FIELDS = ("subject", "description", "application", "error_message", "affected_usernames", "company_numbers",
               "report_name")
CATALOGUE_FIELDS = ("product", "category", "routine", "ticket_type", "operating_system", "version")


def _int(value: str | None) -> int | None:
    """A chosen id; None for anything else, also for a number no database integer holds."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 9 else None


def ticket_fields(session: Session, user: User) -> dict:
    """Arguments for kb.tickets.create_ticket from the submitted form."""
    form = request.form
    fields: dict = {name: form.get(name, "") for name in TEXT_FIELDS}
    for name in CATALOGUE_FIELDS:
        value = form.get(name, "")
        fields[name] = _int(value) if value else None
    if not fields["product"]:
        fields["product"] = ""  # lets the domain say "choose a product"
    contact_id = _int(form.get("contact"))
    if contact_id:
        fields["contact"] = session.get(User, contact_id)
    end_customer_id = _int(form.get("end_customer"))
    if end_customer_id:
        fields["end_customer"] = session.get(Organisation, end_customer_id)
    fields["priority"] = Priority(form["priority"]) if form.get("priority") in Priority._value2member_map_ \
        else Priority.NORMAL
    fields["reply_method"] = ReplyMethod(form["reply_method"]) \
        if form.get("reply_method") in ReplyMethod._value2member_map_ else ReplyMethod.EMAIL
    fields["urgent"] = form.get("urgent") == "1"
    fields["language"] = form.get("language") or None
    for name in ("application", "error_message", "affected_usernames", "company_numbers", "report_name"):
        fields[name] = fields[name].strip() or None
    return fields
