from flask import Blueprint, render_template
from flask_login import current_user, login_required

from kb import dashboard
from kb.models import Role

from ..database import get_session

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home():
    db = get_session()
    context = {
        "notices": dashboard.active_notices(db),
        "tickets": dashboard.recent_tickets(db, current_user),
        "counts": dashboard.status_counts(db, current_user),
    }
    if current_user.role == Role.ADMIN:
        context["totals"] = dashboard.totals(db)
    template = {Role.SUPPORT: "main/home_support.html", Role.ADMIN: "main/home_admin.html"}.get(
        current_user.role, "main/home_customer.html")
    return render_template(template, **context)


@bp.get("/remote-support")
@login_required
def remote_support():
    """The remote-support tool (manual 2.2): how a session works, and where to download it."""
    from flask import current_app

    return render_template("main/remote_support.html",
                           windows_url=current_app.config.get("REMOTE_SUPPORT_WINDOWS_URL"),
                           mac_url=current_app.config.get("REMOTE_SUPPORT_MAC_URL"))
