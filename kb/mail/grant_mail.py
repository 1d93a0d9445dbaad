"""E-mail about remote-access grants ("Neuvontaoikeudet"): the organisation's users who may approve are
asked when support requests access (the window, the areas, and the manual's note that everyone working
with the software is bound to confidentiality); the support user who asked hears when it is approved,
declined or revoked. Written to the outbox in the grant's own transaction, by kb/grants.py after each step."""
from __future__ import annotations

import html
from datetime import timezone

from babel.dates import format_datetime, get_timezone
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..changelog import event_time
from ..config import DEFAULT_LANGUAGE, TIME_ZONES
from ..errors import N_
from ..i18n import translate
from ..models import CatalogueEntry, CatalogueKind, GrantStatus, OutboxMessage, RemoteAccessGrant, User
from . import preferences
from .compose import FOOTER, one_line
from .settings import MailSettings

SUBJECTS = {
    "grant_requested": N_("Remote access requested for %(organisation)s"),
    "grant_approved": N_("Remote access approved by %(organisation)s"),
    "grant_declined": N_("Remote access declined by %(organisation)s"),
    "grant_revoked": N_("Remote access revoked by %(organisation)s"),
}
INTROS = {
    "grant_requested": N_("%(who)s of support asks for remote access to %(organisation)s from %(start)s to %(end)s, "
                          "in these areas: %(areas)s. Reason: %(reason)s"),
    "grant_approved": N_("%(who)s approved your request for remote access to %(organisation)s (%(start)s to %(end)s)."),
    "grant_declined": N_("%(who)s declined your request for remote access to %(organisation)s (%(start)s to %(end)s)."),
    "grant_revoked": N_("%(organisation)s revoked the remote access (%(start)s to %(end)s): it ended at once."),
}
CONFIDENTIAL = N_("Only people who work with the software can ask for remote access, and all of them are bound "
                  "to confidentiality. Approve or decline the request in the portal, under Remote access.")
OPEN = N_("Open the request: %(link)s")


def _time(value, language: str, zone: str) -> str:
    return format_datetime(value.replace(tzinfo=value.tzinfo or timezone.utc), "short",
                           tzinfo=get_timezone(zone), locale=language)


def _queue(session: Session, settings: MailSettings, kind: str, grant: RemoteAccessGrant, recipient: User,
           who: User | None) -> None:
    if not recipient.email or not recipient.active or not preferences.wants(recipient, kind):
        return
    language = recipient.language
    zone = TIME_ZONES.get(recipient.organisation.language, TIME_ZONES[DEFAULT_LANGUAGE])  # as their pages show it
    areas = {e.code: e.label(language) for e in session.scalars(
        select(CatalogueEntry).where(CatalogueEntry.kind == CatalogueKind.PRODUCT))}
    params = {"organisation": grant.organisation.name, "who": who.name if who else "",
              "start": _time(grant.starts_at, language, zone), "end": _time(grant.ends_at, language, zone),
              "areas": ", ".join(areas.get(code, code) for code in grant.area_codes), "reason": grant.reason or ""}
    subject = one_line(translate(SUBJECTS[kind], language, **params))
    intro = translate(INTROS[kind], language, **params)
    link = f"{settings.base_url}/grants/{'support/' if recipient.is_staff else ''}{grant.id}"
    parts = [intro, translate(CONFIDENTIAL, language) if kind == "grant_requested" else "",
             translate(OPEN, language, link=link), "-- \n" + translate(FOOTER, language)]
    plain = "\n\n".join(part for part in parts if part)
    rich = (f'<!doctype html><html lang="{language}"><body>'
            + "".join(f"<p>{html.escape(part)}</p>" for part in parts[:2] if part)
            + f'<p><a href="{html.escape(link)}">{html.escape(parts[2])}</a></p>'
            f'<hr><p style="color:#666">{html.escape(translate(FOOTER, language))}</p></body></html>')
    at = event_time(session)
    session.add(OutboxMessage(kind=kind, ticket=grant.ticket, recipient=one_line(recipient.email), language=language,
                              subject=subject, body_text=plain, body_html=rich, created_at=at, next_attempt_at=at))


def requested(session: Session, grant: RemoteAccessGrant) -> None:
    """Support asked: every user of the organisation who may approve is told (after the grant's flush)."""
    settings: MailSettings | None = session.context.mail
    if settings is None:
        return
    asker = session.get(User, grant.requested_by_id)
    for approver in session.scalars(select(User).where(User.organisation_id == grant.organisation_id,
                                                       User.may_approve_grants.is_(True), User.active.is_(True))):
        _queue(session, settings, "grant_requested", grant, approver, asker)


def answered(session: Session, grant: RemoteAccessGrant, who: User | None) -> None:
    """Approved, declined or revoked: the support user who asked is told."""
    settings: MailSettings | None = session.context.mail
    if settings is None or grant.status not in (GrantStatus.APPROVED, GrantStatus.DECLINED, GrantStatus.REVOKED):
        return
    _queue(session, settings, f"grant_{grant.status.value}", grant, session.get(User, grant.requested_by_id), who)
