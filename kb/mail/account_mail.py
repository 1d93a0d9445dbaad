"""E-mail about a user's own account (kb/accounts.py): a link to set a new password, an invitation with a
link to set the first one, a link to confirm a new e-mail address. Always sent (no setting turns them off),
in the user's language, to the address the link is for."""
from __future__ import annotations

import html

from sqlalchemy.orm import Session

from ..changelog import event_time
from ..config import DEFAULT_LANGUAGE
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
                 "your password with the link; it works once, for 24 hours."),
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


CHANGED_SUBJECT = N_("Your e-mail address in the support portal was changed")
CHANGED_INTRO = N_("The e-mail address of your user %(username)s in the support portal was changed from this address "
                   "to %(address)s, and every session of the user has ended. If you did not change it, call "
                   "support at once: someone else may have your password.")


def email_changed(session: Session, user: User, old_address: str) -> None:
    """The old address is told that the mail of the user now goes elsewhere."""
    if session.context.mail is None or "@" not in old_address:
        return
    _add(session, "email_changed", old_address, user.language, translate(CHANGED_SUBJECT, user.language),
         [translate(CHANGED_INTRO, user.language, username=user.username, address=user.email)])


NOTICE_SUBJECT = N_("Your login to the support portal was changed")
NOTICES = {
    "password": N_("The password of your user %(username)s in the support portal was changed, and every other "
                   "session of the user has ended."),
    "recovery": N_("A new password was set for your user %(username)s in the support portal, and every session "
                   "and API token of the user has ended."),
    "second_factor": N_("Two-factor login of your user %(username)s in the support portal was set up, turned off or "
                        "removed, and every other session of the user has ended."),
}
NOT_YOU = N_("If it was not you, call support at once, and ask for a new password on the login page: %(link)s")


def security_notice(session: Session, user: User, change: str) -> None:
    """The user is told that their password or second factor changed: a way back for the owner when
    someone else changed it. Only for the changes in NOTICES, to an address the user has."""
    settings: MailSettings | None = session.context.mail
    if settings is None or change not in NOTICES or not user.email or "@" not in user.email:
        return
    _add(session, "security_notice", user.email, user.language, translate(NOTICE_SUBJECT, user.language),
         [translate(NOTICES[change], user.language, username=user.username),
          translate(NOT_YOU, user.language, link=settings.base_url + "/auth/forgot")])


REQUEST_SUBJECT = N_("Request for a user: %(name)s, %(company)s")
REQUEST_INTRO = N_("%(name)s (%(email)s, %(phone)s) asks for a user in the support portal for %(company)s "
                   "(company number: %(number)s). Invite them or decline the request: %(link)s")
DECLINED_SUBJECT = N_("Your request for a user in the support portal")
DECLINED_INTRO = N_("Your request for a user in the support portal for %(company)s was not granted. Ask your "
                    "organisation's administrator for a user, or call support.")


def _add(session: Session, kind: str, recipient: str, language: str, subject: str, parts: list[str]) -> None:
    footer = translate(FOOTER, language)
    plain = "\n\n".join([*(p for p in parts if p), "-- \n" + footer])
    rich = (f'<!doctype html><html lang="{language}"><body>'
            + "".join(f"<p>{html.escape(p)}</p>" for p in parts if p)
            + f'<hr><p style="color:#666">{html.escape(footer)}</p></body></html>')
    at = event_time(session)
    session.add(OutboxMessage(kind=kind, recipient=one_line(recipient), language=language, subject=one_line(subject),
                              body_text=plain, body_html=rich, created_at=at, next_attempt_at=at))


def request_arrived(session: Session, request, admins: list[User]) -> None:
    """A request for a user, to the organisation's admins in their languages, or else to support's address."""
    settings: MailSettings | None = session.context.mail
    if settings is None:
        return
    params = {"name": request.name, "email": request.email, "phone": request.phone or "-", "company": request.company,
              "number": request.company_number or "-"}
    if admins:
        for admin in admins:
            if admin.email and "@" in admin.email:
                _add(session, "account_request", admin.email, admin.language,
                     translate(REQUEST_SUBJECT, admin.language, **params),
                     [translate(REQUEST_INTRO, admin.language, link=settings.base_url + "/users/", **params),
                      request.message or ""])
    elif settings.support_address:
        language = DEFAULT_LANGUAGE
        _add(session, "account_request", settings.support_address, language,
             translate(REQUEST_SUBJECT, language, **params),
             [translate(REQUEST_INTRO, language, link=settings.base_url + "/users/requests", **params),
              request.message or ""])


def request_declined(session: Session, request) -> None:
    if session.context.mail is None:
        return
    _add(session, "account_request_declined", request.email, request.language,
         translate(DECLINED_SUBJECT, request.language),
         [translate(DECLINED_INTRO, request.language, company=request.company)])
