"""Remote-access grants: asked by support, approved by a permitted customer user, time-limited, audited."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kb import grants
from kb.db import writing
from kb.errors import ValidationError
from kb.models import GrantAuditEntry, GrantStatus, Organisation, RemoteAccessGrant, Ticket, User

from .conftest import csrf_token
from .test_api_tickets import check
from .test_cli import run_kb
from .test_tickets_web import fresh

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def org(db, key):
    return db.scalar(select(Organisation).where(Organisation.key == key))


def ask(db, key="virtanen", hours=2, start=T0, areas=("payroll", "bookkeeping"), now=T0):
    with writing(db):
        return grants.request_grant(db, user(db, "support"), org(db, key), reason="Palkka-ajo kaatuu",
                                    areas=list(areas), starts_at=start, hours=hours, now=now)


def test_the_window_opens_and_closes_with_the_clock(db):
    grant = ask(db, start=T0 + timedelta(hours=1), now=T0)
    liisa, support = user(db, "liisa"), user(db, "support")
    with writing(db):
        grants.decide(db, grant, liisa, True, now=T0)
    for at, allowed in ((T0, False), (T0 + timedelta(minutes=59), False), (T0 + timedelta(hours=1), True),
                        (T0 + timedelta(hours=2, minutes=59), True), (T0 + timedelta(hours=3), False)):
        with writing(db):
            if allowed:
                grants.use(db, grant.id, support, "tickets", "payroll", now=at)
            else:
                with pytest.raises(grants.GrantRefused):
                    grants.use(db, grant.id, support, "tickets", "payroll", now=at)
    with writing(db), pytest.raises(grants.GrantRefused):
        grants.use(db, grant.id, support, "ticket 1", "invoicing", now=T0 + timedelta(hours=1, minutes=5))
    assert len(db.scalars(select(GrantAuditEntry).where(GrantAuditEntry.grant_id == grant.id)).all()) == 2


@pytest.mark.parametrize("who,reason", [("mikko", "no permission"), ("anna", "another organisation"),
                                        ("support", "support itself"), ("partner", "a partner")])
def test_who_may_not_approve(db, who, reason):
    grant = ask(db)
    assert not user(db, "mikko").may_approve_grants
    with pytest.raises(ValidationError):
        grants.decide(db, grant, user(db, who), True, now=T0)
    db.rollback()
    assert grant.status == GrantStatus.REQUESTED, reason


def test_duration_over_the_maximum_and_other_bad_requests_are_refused(db):
    assert org(db, "virtanen").grant_max_hours == 4
    for kwargs, field in ((dict(hours=4.5), "hours"), (dict(hours=0), "hours"), (dict(areas=()), "areas"),
                          (dict(areas=("nope",)), "areas"), (dict(key="aurora"), "organisation"),
                          (dict(start=T0 - timedelta(hours=1)), "starts_at")):
        with pytest.raises(ValidationError) as err:
            ask(db, **kwargs)
        assert field in err.value.errors
        db.rollback()
    with pytest.raises(ValidationError):
        grants.request_grant(db, user(db, "mikko"), org(db, "virtanen"), reason="x", areas=["payroll"],
                             starts_at=T0, hours=1, now=T0)
    db.rollback()
    with writing(db):
        grants.set_max_hours(db, user(db, "liisa"), 8)
    assert ask(db, hours=6).ends_at == T0 + timedelta(hours=6)
    with pytest.raises(ValidationError):
        grants.set_max_hours(db, user(db, "mikko"), 8)


def test_revocation_ends_access_on_the_next_request(app, db, support_client, client):
    with writing(db):
        grant = grants.request_grant(db, user(db, "support"), org(db, "virtanen"), reason="Palkka-ajo",
                                     areas=["payroll"], starts_at=None, hours=2)
        grants.decide(db, grant, user(db, "liisa"), True)
    url = f"/grants/support/{grant.id}/tickets"
    page = support_client.get(url)
    assert page.status_code == 200
    numbers = re.findall(r"/grants/support/\d+/tickets/(\d+)", page.get_data(as_text=True))
    payroll = {t.number for t in db.scalars(select(Ticket).join(Ticket.product).where(
        Ticket.organisation_id == org(db, "virtanen").id)) if t.product.code == "payroll"}
    assert set(map(int, numbers)) == payroll and payroll
    other = db.scalar(select(Ticket).join(Ticket.product).where(
        Ticket.organisation_id == org(db, "virtanen").id).where(Ticket.product.has(code="bookkeeping")))
    assert support_client.get(f"/grants/support/{grant.id}/tickets/{other.number}").status_code == 403
    mine = min(payroll)
    assert "Mikko" not in support_client.get(f"/grants/support/{grant.id}/tickets/{other.number}").get_data(as_text=True)
    seen = support_client.get(f"/grants/support/{grant.id}/tickets/{mine}")
    assert seen.status_code == 200 and "Ändringslogg" in seen.get_data(as_text=True)  # as the customer sees it
    foreign = db.scalar(select(Ticket).where(Ticket.organisation_id != org(db, "virtanen").id,
                                             Ticket.end_customer_id.is_(None)))
    assert support_client.get(f"/grants/support/{grant.id}/tickets/{foreign.number}").status_code == 403
    assert support_client.get(f"/grants/support/{grant.id}/licences").status_code == 200
    assert "Mikko Laine" in support_client.get(f"/grants/support/{grant.id}/users").get_data(as_text=True)
    # Liisa revokes it; the very next request is refused, and says nothing of the organisation.
    liisa = app.test_client()
    login = liisa.get("/auth/login").get_data(as_text=True)
    liisa.post("/auth/login", data={"csrf_token": csrf_token(login), "username": "liisa", "password": "demo"})
    page = liisa.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert liisa.post(f"/grants/{grant.id}/revoke", data={"csrf_token": csrf_token(page)}).status_code == 302
    refused = support_client.get(url)
    assert refused.status_code == 403 and "Mikko" not in refused.get_data(as_text=True)
    assert support_client.get(f"/grants/support/{grant.id}/users").status_code == 403
    audit = liisa.get("/grants/audit").get_data(as_text=True)
    # liisa reads Finnish: what support looked at, in her language
    assert audit.count("<td>käyttäjät</td>") == 1 and "<td>lisenssit</td>" in audit
    assert "<td>tukipyyntöjen luettelo</td>" in audit and "<td>users</td>" not in audit
    assert f"<td>tukipyyntö {mine}</td>" in audit and f" {foreign.number}</td>" not in audit  # refused: no use


def test_customers_see_the_request_with_a_count_and_only_permitted_users_approve(app, db, finnish_client):
    with writing(db):
        grant = grants.request_grant(db, user(db, "support"), org(db, "virtanen"), reason="Tilinpäätös",
                                     areas=["yearend"], starts_at=None, hours=1)
    home = finnish_client.get("/").get_data(as_text=True)
    assert re.search(r'Neuvontaoikeudet <span class="count"[^>]*>1</span>', home)
    page = finnish_client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Sinulla ei ole oikeutta hyväksyä" in page and "Hyväksy</button>" not in page
    refused = finnish_client.post(f"/grants/{grant.id}/decide", data={"csrf_token": csrf_token(page),
                                                                       "decision": "approve"})
    assert refused.status_code == 422
    fresh(db)
    assert grant.status == GrantStatus.REQUESTED
    # Another organisation's user cannot even see it.
    other = app.test_client()
    login = other.get("/auth/login").get_data(as_text=True)
    other.post("/auth/login", data={"csrf_token": csrf_token(login), "username": "anna", "password": "demo"})
    assert other.get(f"/grants/{grant.id}").status_code == 404
    assert other.post(f"/grants/{grant.id}/decide", data={"csrf_token": csrf_token(login)}).status_code in (400, 404)


def test_customer_admin_settings_and_permission(db, app):
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    client.post("/auth/login", data={"csrf_token": csrf_token(login), "username": "liisa", "password": "demo"})
    page = client.get("/grants/settings").get_data(as_text=True)
    mikko = user(db, "mikko")
    bad = client.post("/grants/settings", data={"csrf_token": csrf_token(page), "grant_max_hours": "100"})
    assert bad.status_code == 422 and "väliltä 1–72" in bad.get_data(as_text=True)
    client.post("/grants/settings", data={"csrf_token": csrf_token(page), "grant_max_hours": "6",
                                          "may_approve": [str(mikko.id), str(user(db, "liisa").id)]})
    fresh(db)
    assert org(db, "virtanen").grant_max_hours == 6 and mikko.may_approve_grants


def test_api_and_cli(app, db, instance, support_client, customer_client):
    with writing(db):
        grant = grants.request_grant(db, user(db, "support"), org(db, "virtanen"), reason="x", areas=["payroll"],
                                     starts_at=None, hours=1)
        stale = grants.request_grant(db, user(db, "support"), org(db, "oulu"), reason="y", areas=["payroll"],
                                     starts_at=None, hours=1)
        grants.decide(db, grant, user(db, "liisa"), True)
        stale.starts_at, stale.ends_at = stale.starts_at - timedelta(hours=5), stale.ends_at - timedelta(hours=5)
    body = check(support_client.get("/api/v1/grants/active?organisation=virtanen"), 200, "ActiveGrants")
    assert body["active"] and body["grants"][0]["areas"] == ["payroll"]
    assert support_client.get("/api/v1/grants/active?organisation=oulu").get_json()["active"] is False
    assert customer_client.get("/api/v1/grants/active?organisation=virtanen").status_code == 404
    listed = run_kb("grants", "list", "--active", instance=instance)
    assert listed.returncode == 0 and f"{grant.id}\tvirtanen\tactive" in listed.stdout and "oulu" not in listed.stdout
    expired = run_kb("grants", "expire", instance=instance)
    assert "1 requests expired." in expired.stdout
    fresh(db)
    assert db.get(RemoteAccessGrant, stale.id).status == GrantStatus.EXPIRED
    assert run_kb("grants", "list", "--organisation", "nope", instance=instance).returncode == 1


def test_times_are_typed_and_shown_in_the_organisations_time_zone(db, support_client, finnish_client):
    from zoneinfo import ZoneInfo

    day = (datetime.now(timezone.utc) + timedelta(days=2)).date()
    typed = datetime(day.year, day.month, day.day, 10, 0)  # by support in Stockholm
    page = support_client.get("/grants/support/new").get_data(as_text=True)
    assert "Börjar (tid i Europe/Stockholm; tomt: nu)" in page  # the form says which time to type
    response = support_client.post("/grants/support/new", data={
        "csrf_token": csrf_token(page), "organisation": str(org(db, "virtanen").id), "reason": "Aikavyöhyke",
        "areas": "payroll", "starts_at": typed.strftime("%Y-%m-%dT%H:%M"), "hours": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(db)
    grant = db.scalar(select(RemoteAccessGrant).where(RemoteAccessGrant.reason == "Aikavyöhyke"))
    stored = grant.starts_at.replace(tzinfo=timezone.utc)
    assert stored == typed.replace(tzinfo=ZoneInfo("Europe/Stockholm")).astimezone(timezone.utc)
    helsinki = stored.astimezone(ZoneInfo("Europe/Helsinki"))
    shown = finnish_client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert f"{helsinki.hour}.00" in shown and helsinki.hour == 11  # Helsinki is an hour ahead of Stockholm


def test_the_link_to_a_grant_says_open_as_a_verb_in_finnish(db, finnish_client, support_client):
    """"Open" the link is "Avaa"; "Open" the filter of open tickets stays "Avoimet"."""
    ask(db, hours=1, start=datetime.now(timezone.utc) - timedelta(hours=2), now=datetime.now(timezone.utc) - timedelta(hours=3))
    page = finnish_client.get("/grants/").get_data(as_text=True)
    assert re.search(r'<a href="/grants/\d+">Avaa</a>', page), page
    assert ">Avoimet</option>" in finnish_client.get("/tickets/").get_data(as_text=True)
    assert re.search(r'<a href="/grants/support/\d+">Öppna</a>', support_client.get("/grants/support").get_data(as_text=True))


def test_a_revoked_grant_shows_when_it_was_revoked_not_only_when_it_was_approved(app, db):
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    with writing(db):
        grant = grants.request_grant(db, user(db, "support"), org(db, "virtanen"), reason="Palkka-ajo",
                                     areas=["payroll"], starts_at=now - timedelta(hours=1), hours=2,
                                     now=now - timedelta(hours=2))
        grants.decide(db, grant, user(db, "liisa"), True, now=now - timedelta(minutes=50))
        grants.revoke(db, grant, user(db, "liisa"), now=now - timedelta(minutes=17))
    liisa = app.test_client()
    login = liisa.get("/auth/login").get_data(as_text=True)
    liisa.post("/auth/login", data={"csrf_token": csrf_token(login), "username": "liisa", "password": "demo"})
    page = liisa.get(f"/grants/{grant.id}").get_data(as_text=True)
    answered = re.search(r"vastannut Liisa [^,]+, ([^<·]+?) ·", page)
    revoked = re.search(r"peruttu ([^<]+?)</dd>", page)
    assert answered and revoked, page
    assert answered.group(1) != revoked.group(1)  # two times: the approval, then the revocation


def test_without_an_organisation_the_form_asks_for_one_and_says_nothing_of_its_maximum(support_client):
    page = support_client.get("/grants/support/new").get_data(as_text=True)
    refused = support_client.post("/grants/support/new", data={"csrf_token": csrf_token(page), "organisation": "",
                                                               "reason": "Palkka-ajo", "areas": "payroll", "hours": "2"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Välj kundens organisation" in text
    assert "längre än organisationen tillåter" not in text
    no_hours = support_client.post("/grants/support/new", data={"csrf_token": csrf_token(page), "organisation": "",
                                                                "reason": "Palkka-ajo", "areas": "payroll", "hours": ""})
    assert "längre än organisationen tillåter" not in no_hours.get_data(as_text=True)


def test_approvers_are_mailed_a_request_with_its_window_areas_and_confidentiality_and_support_hears_the_answer(
        app, db, instance):
    from kb.mail.settings import MailSettings
    from kb.models import OutboxMessage

    db.context.mail = MailSettings.from_config({"SUPPORT_EMAIL": "support@aurora.example",
                                                "BASE_URL": "http://portal.example"}, instance)
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    grant = ask(db, hours=2, start=start, now=datetime.now(timezone.utc))
    asked = list(db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "grant_requested")))
    approvers = {u.email for u in db.scalars(select(User).where(User.organisation_id == org(db, "virtanen").id,
                                                                User.may_approve_grants.is_(True)))}
    assert approvers and {m.recipient for m in asked} == approvers
    mail = asked[0]
    assert mail.language == "fi" and "Neuvontaoikeuspyyntö" in mail.subject
    assert "salassapitovelvollisia" in mail.body_text and "Palkka-ajo kaatuu" in mail.body_text
    from kb.models import CatalogueEntry
    payroll = db.scalar(select(CatalogueEntry).where(CatalogueEntry.code == "payroll"))
    assert f"/grants/{grant.id}" in mail.body_text and payroll.label("fi") in mail.body_text
    with writing(db):
        grants.decide(db, grant, db.scalar(select(User).where(User.email.in_(approvers))), True,
                      now=datetime.now(timezone.utc))
    told = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "grant_approved"))
    assert told.recipient == user(db, "support").email and "godkände" in told.body_text  # support reads Swedish
