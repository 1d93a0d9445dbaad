"""One report figure for the page, the CSV and the API: the scope a request asks for, each figure as JSON-able
data, and its rows with headers in the reader's language."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kb import catalogue, organisation_users, reports
from kb.errors import N_
from kb.models import CatalogueKind, Priority, Status

from ..database import get_session
from ..labels import GRANT_STATUS, PRIORITY, STATUS

FIGURES = ("tickets", "times", "backlog", "usage", "grants")
STAFF_ONLY = {"usage"}  # the experience database's use (zero-result queries among it): support's and admins'
MAX_DAYS = 3 * 366
CHANNEL = {"web": _l("Web"), "email": _l("E-mail"), "api": _l("API"), "import": _l("Import")}
AGE = {"under_1_day": _l("Under a day"), "1_to_7_days": _l("1-7 days"), "7_to_30_days": _l("7-30 days"),
       "over_30_days": _l("Over 30 days")}


def may_see(user) -> bool:
    return user.is_staff or organisation_users.is_admin(user)


def figures_for(user) -> tuple[str, ...]:
    return FIGURES if user.is_staff else tuple(f for f in FIGURES if f not in STAFF_ONLY)


def scope_from(args) -> tuple[reports.Scope, dict[str, str]]:
    """The date range and product a query string asks for (the last 13 weeks by default), and a customer
    admin's organisations; a message for each value that could not be read (the default is used)."""
    errors: dict[str, str] = {}
    default = reports.Scope.default()
    days = {}
    for name in ("from", "to"):
        text = (args.get(name) or "").strip()
        if text:
            try:
                days[name] = date.fromisoformat(text)
            except ValueError:
                errors[name] = N_("Give the date as YYYY-MM-DD.")
    start, end = days.get("from", default.start), days.get("to", default.end)
    if end < start:
        errors["to"] = N_("The end must not be before the start.")
        start, end = default.start, default.end
    elif (end - start).days > MAX_DAYS:
        errors["from"] = N_("Choose at most three years.")
        start = end - timedelta(days=MAX_DAYS)
    db = get_session()
    product = next((e for e in catalogue.entries(db, CatalogueKind.PRODUCT) if e.code == args.get("product")), None)
    organisations = None if current_user.is_staff else tuple(
        o.id for o in organisation_users.managed_organisations(db, current_user))
    return reports.Scope(start, end, product.id if product else None, organisations), errors


def compute(figure: str, scope: reports.Scope) -> dict:
    """A figure as JSON-able data."""
    db = get_session()
    if figure == "tickets":
        flow = reports.ticket_flow(db, scope)
        return {"weeks": [{"week": w.isoformat(), "opened": o, "solved": s}
                          for w, o, s in zip(flow.weeks, flow.opened, flow.solved)],
                "by_product": flow.by_product, "by_language": flow.by_language, "by_channel": flow.by_channel,
                "detail": [{"week": w.isoformat(), "product": p, "language": lang, "channel": c, "opened": n}
                           for w, p, lang, c, n in flow.rows]}
    if figure == "times":
        return {"priorities": [vars(t) for t in reports.response_times(db, scope, current_app.extensions[
            "kb_service_levels"])]}
    if figure == "backlog":
        backlog = reports.backlog(db, scope)
        return {"ages": list(backlog.ages), "statuses": backlog.counts}
    if figure == "usage":
        used = reports.usage(db, scope)
        return {"weeks": [{"week": w.isoformat(), "searches": s, "zero_results": z}
                          for w, s, z in zip(used.weeks, used.searches, used.zero_results)],
                "zero_result_queries": [{"query": q, "searches": n} for q, n in used.zero_queries],
                "most_opened": [{"number": n, "title": t, "views": v} for n, t, v in used.opened],
                "entries": [{"number": n, "title": t, "solved_my_problem": d, "helpful": y, "not_helpful": no}
                            for n, t, d, y, no in used.entries]}
    return {"grants": reports.grants(db, scope)}


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def table(figure: str, data: dict) -> tuple[list[str], list[list]]:
    """The figure's rows for a CSV file, headers in the reader's language."""
    if figure == "tickets":
        return ([str(_l("Week")), str(_l("Product")), str(_l("Language")), str(_l("Channel")), str(_l("Opened"))],
                [[d["week"], d["product"], d["language"], str(CHANNEL.get(d["channel"], d["channel"])), d["opened"]]
                 for d in data["detail"]])
    if figure == "times":
        return ([str(x) for x in (_l("Priority"), _l("Tickets"), _l("First response, median (h)"),
                                  _l("First response, 90th percentile (h)"), _l("First response target (h)"),
                                  _l("Share within the target"), _l("Solution, median (h)"), _l("Solution, 90th percentile (h)"),
                                  _l("Solution target (h)"), _l("Share within the target"))],
                [[str(PRIORITY[Priority(t["priority"])]), t["tickets"], number(t["first_response_median"]),
                  number(t["first_response_p90"]), number(t["first_response_target"]), number(t["first_response_met"]),
                  number(t["resolution_median"]), number(t["resolution_p90"]), number(t["resolution_target"]),
                  number(t["resolution_met"])] for t in data["priorities"]])
    if figure == "backlog":
        return ([str(_l("Status")), *(str(AGE[a]) for a in data["ages"])],
                [[str(STATUS[Status(s)]), *counts] for s, counts in data["statuses"].items()])
    if figure == "usage":
        return ([str(_l("Week")), str(_l("Searches")), str(_l("Found nothing"))],
                [[w["week"], w["searches"], w["zero_results"]] for w in data["weeks"]])
    return ([str(_l("What")), str(_l("Count"))],
            [[str(GRANT_STATUS.get(k, {"asked": _l("Asked for"), "used": _l("Used")}.get(k, k))), v]
             for k, v in data["grants"].items()])
