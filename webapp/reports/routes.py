from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from kb import catalogue
from kb.models import CatalogueKind, Status
from kb.text import spreadsheet_rows

from .. import usage
from ..database import cached_catalogue, get_session
from ..guards import role_required
from ..i18n import get_locale
from ..labels import STATUS
from . import charts
from .figures import AGE, CHANNEL, compute, figures_for, may_see, scope_from, table

bp = Blueprint("reports", __name__, url_prefix="/reports")
reports_required = role_required(may_see)


@bp.get("/")
@reports_required
def index():
    usage.flush_here()  # this process's counts, up to now
    scope, errors = scope_from(request.args)
    shown = figures_for(current_user)
    data = {figure: compute(figure, scope) for figure in shown}
    weeks = [format_date(w, "d.M.") for w in scope.weeks()]
    drawn = {}
    if "tickets" in data:
        drawn["tickets"] = charts.bars(_title("tickets"), weeks, [
            (_("Opened"), [w["opened"] for w in data["tickets"]["weeks"]]),
            (_("Solved"), [w["solved"] for w in data["tickets"]["weeks"]])], format_decimal)
    if "backlog" in data:
        statuses = list(data["backlog"]["statuses"])
        drawn["backlog"] = charts.bars(_title("backlog"), [str(STATUS[Status(s)]) for s in statuses], [
            (str(AGE[age]), [data["backlog"]["statuses"][s][n] for s in statuses])
            for n, age in enumerate(data["backlog"]["ages"])], format_decimal)
    if "usage" in data:
        drawn["usage"] = charts.bars(_title("usage"), weeks, [
            (_("Searches"), [w["searches"] for w in data["usage"]["weeks"]]),
            (_("Found nothing"), [w["zero_results"] for w in data["usage"]["weeks"]])], format_decimal)
    return render_template("reports/index.html", scope=scope, errors=errors, data=data, drawn=drawn, args=request.args,
                           products=catalogue.entries(get_session(), CatalogueKind.PRODUCT), CHANNEL=CHANNEL, AGE=AGE,
                           labels=cached_catalogue().labels(get_locale())), 422 if errors else 200


def _title(figure: str) -> str:
    return {"tickets": _("Tickets opened and solved per week"), "backlog": _("Open tickets by status and age"),
            "usage": _("Searches in the experience database per week")}[figure]


@bp.get("/<figure>.csv")
@reports_required
def download(figure: str):
    """A figure as a CSV file for a spreadsheet: ';' between fields and the reader's decimal comma, as
    Swedish and Finnish spreadsheets read it; a download, never shown inline."""
    if figure not in figures_for(current_user):
        abort(404)
    usage.flush_here()
    scope, _errors = scope_from(request.args)
    header, rows = table(figure, compute(figure, scope))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerows(spreadsheet_rows([header, *rows]))  # a catalogue value "=HYPERLINK(...)" stays text
    name = f"{figure}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})
