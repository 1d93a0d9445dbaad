"""Which e-mails a user may turn off: those the manuals do not require. The manuals require the mail about
comments and solutions (by the ticket's reply method) and billable work to confirm; a receipt for each
new ticket and the remote-access mail are the portal's own, and each user decides."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..errors import N_
from ..models import User

OPTIONAL = {  # kind (OutboxMessage.kind, or a group of them): what the profile page calls it
    "receipt": N_("A receipt for each new ticket"),
    "grant_requested": N_("Requests for remote access (if you may approve them)"),
    "grant_answered": N_("Answers to my requests for remote access (support)"),
}
GROUPS = {"grant_approved": "grant_answered", "grant_declined": "grant_answered", "grant_revoked": "grant_answered"}


def wants(user: User, kind: str) -> bool:
    """Whether the user gets mail of this kind (mail the manuals require is always sent)."""
    kind = GROUPS.get(kind, kind)
    return kind not in OPTIONAL or kind not in (user.mail_off or "").split(",")


def set_off(session: Session, user: User, off: set[str]) -> None:
    """Turn off the optional kinds in `off` and on the others; unknown kinds are ignored."""
    user.mail_off = ",".join(sorted(k for k in off if k in OPTIONAL))
    session.flush()
