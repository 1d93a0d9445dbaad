from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory, url_for
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
        "waiting_work": dashboard.waiting_work(db, current_user),
    }
    if current_user.role == Role.ADMIN:
        context["totals"] = dashboard.totals(db)
    template = {Role.SUPPORT: "main/home_support.html", Role.ADMIN: "main/home_admin.html"}.get(
        current_user.role, "main/home_customer.html")
    return render_template(template, **context)


@bp.get("/health")
def health():
    """For a load balancer, no login: 200 while the database answers and this node's index exists and is
    not behind the pruned feed (it would be rebuilding), with how far behind the feed it is; else 503.
    The desk index (support's) is reported too, but a node without it still serves: it builds it."""
    try:
        index = current_app.extensions["kb_index"].lag(current_app.extensions["kb_database"])
        desk = current_app.extensions["kb_desk_index"].lag(current_app.extensions["kb_database"])
    except Exception:  # noqa: BLE001  (the database does not answer: this node cannot serve)
        current_app.logger.exception("health check failed")
        return jsonify({"status": "unavailable", "database": False}), 503
    ready = index["generation"] is not None and not index["must_rebuild"]
    return jsonify({"status": "ok" if ready else "starting", "database": True, "index": index,
                    "desk_index": desk}), 200 if ready else 503


REMOTE_SUPPORT_SYSTEMS = {"windows": "REMOTE_SUPPORT_WINDOWS_URL", "mac": "REMOTE_SUPPORT_MAC_URL"}
PLACEHOLDER = "remote-support-placeholder.txt"


@bp.get("/remote-support")
def remote_support():
    """The remote-support tool (manual 2.2): how a session works, and where to download it. No login: a
    customer who cannot log in fetches the tool too. Without a configured link the portal's placeholder."""
    urls = {system: current_app.config.get(key) or url_for("main.remote_support_download", system=system)
            for system, key in REMOTE_SUPPORT_SYSTEMS.items()}
    return render_template("main/remote_support.html", windows_url=urls["windows"], mac_url=urls["mac"])


@bp.get("/remote-support/download/<system>")
def remote_support_download(system: str):
    """The demo's placeholder of the remote-support program, always as a download, never shown inline."""
    if system not in REMOTE_SUPPORT_SYSTEMS:
        abort(404)
    return send_from_directory(current_app.static_folder, PLACEHOLDER, as_attachment=True,
                               download_name=f"aurora-remote-support-{system}-placeholder.txt",
                               mimetype="text/plain")
