"""E-mail about a user's own account (kb/accounts.py): a link to set a new password, an invitation with a
link to set the first one, a link to confirm a new e-mail address. Always sent (no setting turns them off),
in the user's language, to the address the link is for."""
from __future__ import annotations

import html

from sqlalchemy.orm import Session

from ..changelog import event_time
from ..errors import N_
from ..i18n import translate
from ..models import OutboxMessage, User
from .compose import FOOTER, one_line
from .settings import MailSettings

KINDS = {"reset": "password_reset", "invite": "invitation", "email": "email_confirmation"}
PATHS = {"reset": "/auth/password/{}", "invite": "/auth/password/{}", "email": "/auth/email/{}"}
SUBJECTS = {
    "reset": N_("A new password for the support portal"),
    "invite": N_("Your user in the support portal"),
    "email": N_("Confirm your new e-mail address"),
}
INTROS = {
    "reset": N_("Someone, hopefully you, asked for a new password for your user %(username)s. The link works once, "
                "for an hour. If it was not you, ignore this message: your password stays as it is."),
    "invite": N_("%(who)s of %(organisation)s created a user for you in the support portal: %(username)s. Choose "
                 "your password with the link; it works once, for seven days."),
    "email": N_("Confirm that this is your new e-mail address in the support portal (user %(username)s). The link "
                "works once, for 24 hours; until then mail goes to your old address."),
}
LINK = N_("Open the link: %(link)s")


def password_link(session: Session, user: User, token: str, purpose: str, who: User | None = None,
                  address: str | None = None) -> None:
    """The mail carrying a link of `purpose` (reset, invite, email) to the user, or to `address` (a new one
    to confirm). Written only where the session carries mail settings (the app and the mail commands)."""
    settings: MailSettings | None = session.context.mail
    recipient = one_line(address or user.email)
    if settings is None or "@" not in recipient:
        return
    language = user.language
    params = {"username": user.username, "who": who.name if who else "", "organisation": user.organisation.name}
    link = settings.base_url + PATHS[purpose].format(token)
    intro, opener, footer = (translate(INTROS[purpose], language, **params), translate(LINK, language, link=link),
                             translate(FOOTER, language))
    plain = "\n\n".join((intro, opener, "-- \n" + footer))
    rich = (f'<!doctype html><html lang="{language}"><body><p>{html.escape(intro)}</p>'
            f'<p><a href="{html.escape(link)}">{html.escape(opener)}</a></p>'
            f'<hr><p style="color:#666">{html.escape(footer)}</p></body></html>')
    at = event_time(session)
    session.add(OutboxMessage(kind=KINDS[purpose], recipient=recipient, language=language,
                              subject=one_line(translate(SUBJECTS[purpose], language)), body_text=plain,
                              body_html=rich, created_at=at, next_attempt_at=at))
