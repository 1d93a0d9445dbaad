"""Customer admins manage their organisation's users: invite by e-mail, deactivate, roles, the approval
right, an audit of every change; never beyond their organisation (and a partner's allowed end customers)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kb import organisation_users as members
from kb.db import writing
from kb.errors import ValidationError
from kb.models import Organisation, OutboxMessage, Role, User, UserAuditEntry
from kb.users import create_user

from .conftest import DEMO_PASSWORD, AuthActions, csrf_token
from .test_accounts import NEW
from .test_tickets_web import fresh


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def token(client):
    return csrf_token(client.get("/users/").get_data(as_text=True))


def test_a_customer_admin_invites_a_user_who_chooses_a_password_from_the_mailed_link(app, db, customer_admin_client):
    page = customer_admin_client.get("/users/").get_data(as_text=True)
    assert "Användare på Ekholms Bygg AB" in page and "anna.lindberg@ekholmsbygg.example" in page
    assert "mikko" not in page  # another organisation's users are not listed
    response = customer_admin_client.post("/users/invite", data={
        "csrf_token": csrf_token(page), "name": "Maja Nyström", "email": "maja.nystrom@ekholmsbygg.example",
        "phone": "+46 70 123 45 67", "language": "fi", "role": "customer", "may_approve": "1"})
    assert response.status_code == 302
    fresh(db)
    maja = user(db, "maja.nystrom")
    assert maja.organisation.key == "ekholm" and maja.role == Role.CUSTOMER and maja.may_approve_grants
    assert maja.language == "fi" and maja.phone == "+46 70 123 45 67"
    mail = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation",
                                                 OutboxMessage.recipient == "maja.nystrom@ekholmsbygg.example"))
    assert mail.subject == "Käyttäjätunnuksesi tukiportaaliin" and "Erik" in mail.body_text  # her language
    path = re.search(r"/auth/password/[\w-]+", mail.body_text).group(0)
    assert AuthActions(app.test_client()).login("maja.nystrom", "").status_code != 302
    visitor = app.test_client()
    form = visitor.get(path).get_data(as_text=True)
    assert "maja.nystrom" in form
    assert visitor.post(path, data={"csrf_token": csrf_token(form), "password": NEW, "repeated": NEW}).status_code == 302
    assert AuthActions(app.test_client()).login("maja.nystrom", NEW).status_code == 302
    audit = customer_admin_client.get("/users/audit").get_data(as_text=True)
    assert "Maja Nyström" in audit and "Inbjuden som Kund" in audit


def test_a_bad_invitation_keeps_what_was_typed_and_says_what_is_wrong(db, customer_admin_client):
    response = customer_admin_client.post("/users/invite", data={
        "csrf_token": token(customer_admin_client), "name": "Maja Nyström", "email": "inte en adress",
        "username": "anna", "role": "admin"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ange en e-postadress." in page
    assert "Användarnamnet är upptaget." not in page  # which usernames exist is not told
    assert 'value="Maja Nyström"' in page and 'value="inte en adress"' in page
    assert db.scalar(select(User).where(User.name == "Maja Nyström")) is None


def test_deactivate_reactivate_roles_and_the_approval_right_each_in_the_audit(app, db, customer_admin_client):
    anna_client = app.test_client()
    AuthActions(anna_client).login("anna")
    anna = user(db, "anna")

    def act(action, **data):
        return customer_admin_client.post(f"/users/{anna.id}/{action}",
                                          data={"csrf_token": token(customer_admin_client), **data})

    assert act("deactivate").status_code == 302
    assert anna_client.get("/tickets/").status_code == 302  # her sessions ended at once
    assert AuthActions(app.test_client()).login("anna").status_code != 302
    act("reactivate")
    act("role", role="customer_admin")
    act("approval", may_approve="1")
    fresh(db)
    assert anna.active and anna.role == Role.CUSTOMER_ADMIN and anna.may_approve_grants
    assert act("role", role="support").status_code == 302  # refused: not a role within the organisation
    fresh(db)
    assert anna.role == Role.CUSTOMER_ADMIN
    actions = [e.action for e in db.scalars(select(UserAuditEntry).where(UserAuditEntry.user_id == anna.id)
                                            .order_by(UserAuditEntry.id))]
    assert actions == ["deactivated", "reactivated", "role", "approval"]
    audit = customer_admin_client.get("/users/audit").get_data(as_text=True)
    assert "Roll: Kund → Kundadministratör" in audit and "Inaktiverad" in audit


def test_never_beyond_the_own_organisation(app, db, customer_admin_client, customer_client, support_client):
    mikko, erik = user(db, "mikko"), user(db, "erik")
    for action in ("deactivate", "role", "approval", "invite"):
        response = customer_admin_client.post(f"/users/{mikko.id}/{action}", data={
            "csrf_token": token(customer_admin_client), "role": "customer_admin"})
        assert response.status_code == 404
    virtanen = db.scalar(select(Organisation).where(Organisation.key == "virtanen"))
    assert customer_admin_client.get(f"/users/?organisation={virtanen.id}").status_code == 404
    assert customer_admin_client.post("/users/invite", data={
        "csrf_token": token(customer_admin_client), "organisation": virtanen.id, "name": "X",
        "email": "x@example.com"}).status_code == 404
    fresh(db)
    assert mikko.active and mikko.role == Role.CUSTOMER
    for client in (customer_client, support_client):  # not a customer admin: no such page
        assert client.get("/users/").status_code == 404
    with pytest.raises(ValidationError):
        members.set_active(db, erik, erik, False)  # never oneself
    assert "/users/" not in customer_client.get("/").get_data(as_text=True)


def test_a_partners_admin_manages_the_end_customers_that_allow_it(app, db):
    with writing(db):
        norrsken = db.scalar(select(Organisation).where(Organisation.key == "norrsken"))
        create_user(db, username="petra.admin", password=DEMO_PASSWORD + "-long-enough", name="Petra Admin",
                    organisation=norrsken, role=Role.CUSTOMER_ADMIN)
        lindgren = db.scalar(select(Organisation).where(Organisation.key == "lindgren"))
        lindgren.partner_manages_users = True
    petra = user(db, "petra.admin")
    hammarby = db.scalar(select(Organisation).where(Organisation.key == "hammarby"))
    assert [o.key for o in members.managed_organisations(db, petra)] == ["norrsken", "lindgren"]
    client = app.test_client()
    AuthActions(client).login("petra.admin", DEMO_PASSWORD + "-long-enough")
    page = client.get(f"/users/?organisation={lindgren.id}").get_data(as_text=True)
    assert "karin@cafelindgren.example" in page
    assert client.get(f"/users/?organisation={hammarby.id}").status_code == 404  # does not allow it
    karin = user(db, "karin")
    response = client.post(f"/users/{karin.id}/approval", data={"csrf_token": csrf_token(page), "may_approve": "1"})
    assert response.status_code == 302
    fresh(db)
    assert karin.may_approve_grants


def test_the_vendors_administrators_read_every_organisations_user_audit_and_their_own_changes_are_in_it(
        db, admin_client, customer_admin_client):
    anna = user(db, "anna")
    customer_admin_client.post(f"/users/{anna.id}/approval", data={"csrf_token": token(customer_admin_client),
                                                                    "may_approve": "1"})
    page = admin_client.get("/admin/users").get_data(as_text=True)
    admin_client.post(f"/admin/users/{anna.id}/deactivate", data={"csrf_token": csrf_token(page)})
    ekholm = anna.organisation_id
    audit = admin_client.get(f"/admin/organisations/{ekholm}").get_data(as_text=True)
    assert "Erik Svensson" in audit or "erik" in audit.lower()
    assert "Får godkänna fjärråtkomst: Ja" in audit and "Inaktiverad" in audit


def test_a_partner_may_manage_an_end_customers_users_only_when_the_vendor_allows_it(db, admin_client):
    lindgren = db.scalar(select(Organisation).where(Organisation.key == "lindgren"))
    page = admin_client.get(f"/admin/organisations/{lindgren.id}").get_data(as_text=True)
    admin_client.post(f"/admin/organisations/{lindgren.id}", data={
        "csrf_token": csrf_token(page), "key": "lindgren", "name": lindgren.name, "kind": "customer",
        "language": "sv", "partner": "norrsken", "partner_manages_users": "1"})
    fresh(db)
    assert lindgren.partner_manages_users


def test_a_customer_admin_scripts_users_through_the_api_and_others_get_404(app, db, customer_admin_client,
                                                                          customer_client):
    from .test_api_tickets import check, token_for

    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(customer_admin_client)}"}
    listed = check(api.get("/api/v1/users", headers=headers), 200, "OrganisationUserList")
    assert {u["username"] for u in listed["results"]} >= {"anna", "erik"}
    assert all(u["organisation"] == "ekholm" for u in listed["results"])
    made = check(api.post("/api/v1/users", json={"name": "Olle Ek", "email": "olle.ek@ekholmsbygg.example"},
                          headers=headers), 201, "OrganisationUser")
    assert made["username"] == "olle.ek" and made["role"] == "customer"
    changed = check(api.patch(f"/api/v1/users/{made['id']}", json={"active": False, "may_approve_grants": True},
                              headers=headers), 200, "OrganisationUser")
    assert changed["active"] is False and changed["may_approve_grants"] is True
    bad = check(api.post("/api/v1/users", json={"name": "", "email": "nej"}, headers=headers), 422, "Error")
    assert set(bad["fields"]) >= {"name", "email"}
    mikko = user(db, "mikko")
    check(api.patch(f"/api/v1/users/{mikko.id}", json={"active": False}, headers=headers), 404, "Error")
    check(api.get("/api/v1/users?organisation=virtanen", headers=headers), 404, "Error")
    customer = {"Authorization": f"Bearer {token_for(customer_client)}"}
    check(api.get("/api/v1/users", headers=customer), 404, "Error")
