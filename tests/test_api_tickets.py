"""The tickets API: tokens and sessions, the same access rules as the pages, responses valid per OpenAPI."""
from __future__ import annotations

import io
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from kb.models import Organisation, Ticket, User
from webapp.api.openapi import document

from .conftest import csrf_token
from .test_tickets_web import PNG

SPEC = document()
REGISTRY = Registry().with_resource("urn:kb-api", DRAFT202012.create_resource(SPEC))


def check(response, status: int, schema: str):
    """The response has the status and matches the OpenAPI schema."""
    assert response.status_code == status, response.get_data(as_text=True)
    Draft202012Validator({"$ref": f"urn:kb-api#/components/schemas/{schema}"}, registry=REGISTRY).validate(
        response.get_json())
    return response.get_json()


def token_for(client, name="Integration"):
    page = client.get("/auth/profile").get_data(as_text=True)
    response = client.post("/auth/profile/tokens", data={"csrf_token": csrf_token(page), "name": name})
    return re.search(r'<code id="new-token">([^<]+)</code>', response.get_data(as_text=True)).group(1)


def test_the_document_is_valid_and_public(client):
    validate_spec(SPEC)
    assert client.get("/api/v1/openapi.json").get_json()["openapi"] == "3.1.0"


def test_register_follow_and_comment_with_a_token(app, db, customer_client):
    token = token_for(customer_client)
    api = app.test_client()  # no session at all: the token alone
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "sv"}
    body = {"subject": "Lön – export till bank misslyckas", "description": "Bankfilen skapas inte.",
            "product": "payroll", "version": "2025.1", "priority": "high", "urgent": True,
            "error_message": "Fel 7001", "contact": "erik", "language": "sv"}
    created = check(api.post("/api/v1/tickets", json=body, headers=headers), 201, "Ticket")
    number = created["number"]
    assert (created["status"], created["priority"], created["urgent"], created["version"]) == \
        ("new", "high", True, "2025.1")
    assert created["contact"] == "Erik Svensson" or created["contact"]
    one = check(api.get(f"/api/v1/tickets/{number}", headers=headers), 200, "Ticket")
    assert one["error_message"] == "Fel 7001"
    mine = check(api.get("/api/v1/tickets?scope=mine", headers=headers), 200, "TicketList")
    assert number in [t["number"] for t in mine["results"]]
    comment = check(api.post(f"/api/v1/tickets/{number}/comments", headers=headers,
                             data={"body": "Skärmbild bifogad", "attachments": [(io.BytesIO(PNG), "bild.png")]},
                             content_type="multipart/form-data"), 201, "Comment")
    assert comment["attachments"][0]["filename"] == "bild.png"
    download = api.get(comment["attachments"][0]["url"], headers=headers)
    assert download.data == PNG and download.headers["Content-Disposition"].startswith("attachment")
    events = check(api.get(f"/api/v1/tickets/{number}/events", headers=headers), 200, "EventList")
    assert [e["kind"] for e in events["results"]][:1] == ["created"]
    assert {"commented", "attached"} <= {e["kind"] for e in events["results"]}


def test_errors_are_json_in_the_users_language(app, db, finnish_client):
    token = token_for(finnish_client)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    bad = check(api.post("/api/v1/tickets", json={"subject": "", "product": "nope"}, headers=headers), 422, "Error")
    assert set(bad["fields"]) >= {"subject", "product", "description"}
    assert bad["fields"]["product"] == "Valitse tuote luettelosta."
    check(api.post("/api/v1/tickets", data="[1, 2]", content_type="application/json", headers=headers), 400, "Error")
    check(api.get("/api/v1/tickets?scope=everything", headers=headers), 400, "Error")
    check(api.get("/api/v1/tickets", headers={"Authorization": "Bearer kb_wrong"}), 401, "Error")
    check(app.test_client().get("/api/v1/tickets"), 401, "Error")


def test_foreign_tickets_are_404_through_the_api(app, db, customer_client, finnish_client, partner_client,
                                                 support_client):
    finnish = db.scalar(select(Ticket).join(Organisation, Ticket.organisation_id == Organisation.id)
                        .where(Organisation.key == "virtanen"))
    swedish = db.scalar(select(Ticket).join(Organisation, Ticket.organisation_id == Organisation.id)
                        .where(Organisation.key == "ekholm"))
    for client, number, status in ((customer_client, finnish.number, 404), (finnish_client, swedish.number, 404),
                                   (partner_client, swedish.number, 404), (support_client, finnish.number, 200),
                                   (customer_client, swedish.number, 200)):
        headers = {"Authorization": f"Bearer {token_for(client)}"}
        api = app.test_client()
        for url in (f"/api/v1/tickets/{number}", f"/api/v1/tickets/{number}/events"):
            response = api.get(url, headers=headers)
            assert response.status_code == status
            check(response, status, "Error" if status == 404 else ("Ticket" if url.endswith(str(number)) else "EventList"))
        if status == 404:
            check(api.post(f"/api/v1/tickets/{number}/comments", json={"body": "x"}, headers=headers), 404, "Error")


def test_session_calls_need_the_csrf_token_and_tokens_can_be_revoked(app, db, customer_client):
    body = {"subject": "Test", "description": "x", "product": "payroll"}
    check(customer_client.post("/api/v1/tickets", json=body), 400, "Error")
    page = customer_client.get("/").get_data(as_text=True)
    check(customer_client.post("/api/v1/tickets", json=body, headers={"X-CSRFToken": csrf_token(page)}), 201, "Ticket")
    token = token_for(customer_client, "Old")
    api = app.test_client()
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    profile = customer_client.get("/auth/profile").get_data(as_text=True)
    assert "Old" in profile and token not in profile  # shown once, never again
    revoke = re.search(r'action="(/auth/profile/tokens/\d+/revoke)"', profile).group(1)
    customer_client.post(revoke, data={"csrf_token": csrf_token(profile)})
    assert api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_internal_notes_never_reach_customers_through_the_api(app, db, customer_client, support_client):
    swedish = db.scalar(select(Ticket).join(Organisation, Ticket.organisation_id == Organisation.id)
                        .where(Organisation.key == "ekholm"))
    support = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(support_client)}"}
    check(support.post(f"/api/v1/tickets/{swedish.number}/comments", json={"body": "hemlig notis", "internal": True},
                       headers=headers), 201, "Comment")
    customer = {"Authorization": f"Bearer {token_for(customer_client)}"}
    text = app.test_client().get(f"/api/v1/tickets/{swedish.number}", headers=customer).get_data(as_text=True)
    assert "hemlig notis" not in text
    assert "hemlig notis" in support.get(f"/api/v1/tickets/{swedish.number}", headers=headers).get_data(as_text=True)


@pytest.mark.parametrize("url,schema", [("/api/v1/search?q=moms", "SearchResult"), ("/api/v1/suggest?q=mo", "Suggestions")])
def test_search_responses_match_the_document(app, customer_client, url, schema):
    app.extensions["kb_index"].rebuild(app.extensions["kb_database"])
    check(customer_client.get(url), 200, schema)


# -- bad input and load: 4xx in the documented shape, never a 500 -------------------------------------

@pytest.fixture
def api(app, finnish_client):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(finnish_client)}"
    return client


GOOD = {"subject": "Palkka-ajo pysähtyy", "description": "Ajo pysähtyy vaiheeseen 3.", "product": "payroll"}


@pytest.mark.parametrize("body,status", [
    ("[" * 100_000 + "]" * 100_000, 400),  # nested past Python's recursion limit
    ('{"subject": "\\ud800", "description": "x", "product": "payroll"}', 422),  # a lone surrogate
    ('{"subject": "a\\u0000b", "description": "x", "product": "payroll"}', 422),  # NUL
    ('{"subject": "x", "description": "x", "product": "payroll", "priority": {"a": 1}}', 422),
    ('{"subject": "x", "description": "x", "product": "payroll", "reply_method": ["email"]}', 422),
    ('{"subject": "x", "description": "x", "product": "payroll", "version": {"a": []}}', 422),
    (b'{"subject": "\xff\xfe"}', 400),  # not UTF-8
    ("null", 400), ('"text"', 400),
])
def test_bad_json_is_the_clients_mistake(api, body, status):
    response = api.post("/api/v1/tickets", data=body, content_type="application/json")
    check(response, status, "Error")


def test_a_ten_megabyte_description_or_comment_is_refused_with_a_message(api, db):
    refused = check(api.post("/api/v1/tickets", json={**GOOD, "description": "x" * 10_000_000}), 422, "Error")
    assert "100 000" in refused["fields"]["description"]
    created = check(api.post("/api/v1/tickets", json=GOOD), 201, "Ticket")
    refused = check(api.post(f"/api/v1/tickets/{created['number']}/comments", json={"body": "y" * 20_001}), 422, "Error")
    assert "20 000" in refused["fields"]["body"]
    assert not db.scalar(select(Ticket).where(Ticket.description.like("xxxxxxxxxx%")))


@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/v1/tickets/" + "9" * 40, 404), ("get", "/api/v1/tickets/abc", 404), ("get", "/api/v1/nowhere", 404),
    ("delete", "/api/v1/tickets", 405), ("put", "/api/v1/search", 405),
    ("get", "/api/v1/tickets/" + "9" * 40 + "/events", 404),
])
def test_unknown_paths_methods_and_huge_numbers_answer_json(api, method, path, status):
    check(getattr(api, method)(path), status, "Error")


def test_a_huge_number_on_a_page_is_not_found(customer_client):
    assert customer_client.get("/tickets/" + "9" * 40).status_code == 404


def test_a_token_call_writes_its_last_use_at_most_once_a_minute(app, api, db):
    from kb.models import ApiToken
    for _ in range(5):
        assert api.get("/api/v1/tickets").status_code == 200
    first = db.scalar(select(ApiToken.last_used_at))
    assert first is not None
    db.rollback()  # a new read snapshot
    api.get("/api/v1/tickets")
    assert db.scalar(select(ApiToken.last_used_at)) == first


def test_token_calls_hold_under_concurrent_writes(app, api, finnish_client):
    """Many token calls at once beside writers: every answer is a 200 or a JSON error, never an HTML 500."""
    import threading
    answers, lock = [], threading.Lock()

    def caller():
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = api.environ_base["HTTP_AUTHORIZATION"]
        for _ in range(10):
            response = client.post("/api/v1/tickets", json=GOOD) if _ % 3 == 0 else client.get("/api/v1/tickets")
            with lock:
                answers.append((response.status_code, response.is_json))

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 60 and all(status in (200, 201) for status, _json in answers), answers


def test_the_profile_shows_the_header_a_token_goes_in_with_its_placeholder_as_text(customer_client, finnish_client):
    swedish = customer_client.get("/auth/profile").get_data(as_text=True)
    assert "<code>Authorization: Bearer &lt;nyckel&gt;</code>" in swedish
    finnish = finnish_client.get("/auth/profile").get_data(as_text=True)
    assert "<code>Authorization: Bearer &lt;avain&gt;</code>" in finnish and "<avain>" not in finnish


def test_support_scripts_assignment_classification_and_merging_through_the_api(app, db, customer_client,
                                                                               support_client):
    from kb import tickets as workflow
    from kb.db import writing
    from kb.models import User

    anna = db.scalar(select(User).where(User.username == "anna"))
    with writing(db):
        mailed = workflow.create_ticket(db, anna, require_product=False, subject="Via e-post", description="x")
        duplicate = workflow.create_ticket(db, anna, product="payroll", subject="Samma igen", description="y")
    api = app.test_client()
    support = {"Authorization": f"Bearer {token_for(support_client)}"}
    body = check(api.patch(f"/api/v1/tickets/{mailed.number}", headers=support, json={
        "assigned_to": "timo", "product": "payroll", "priority": "high", "status": "waiting"}), 200, "Ticket")
    assert (body["assigned_to"], body["product"], body["priority"], body["status"]) == ("timo", "payroll", "high",
                                                                                      "waiting")
    check(api.patch(f"/api/v1/tickets/{mailed.number}", headers=support, json={"category": "nope"}), 422, "Error")
    check(api.patch(f"/api/v1/tickets/{mailed.number}", headers=support, json={"assigned_to": "anna"}), 422, "Error")
    check(api.patch(f"/api/v1/tickets/{mailed.number}", headers=support, json={"priority": 5}), 422, "Error")
    customer = {"Authorization": f"Bearer {token_for(customer_client)}"}
    check(api.patch(f"/api/v1/tickets/{mailed.number}", headers=customer, json={"priority": "critical"}), 404, "Error")
    mine = check(api.get(f"/api/v1/tickets/{mailed.number}", headers=customer), 200, "Ticket")
    assert "assigned_to" not in mine  # support's business
    kept = check(api.post(f"/api/v1/tickets/{duplicate.number}/merge", headers=support,
                          json={"into": mailed.number}), 200, "Ticket")
    assert kept["number"] == mailed.number
    check(api.post(f"/api/v1/tickets/{mailed.number}/merge", headers=support, json={"into": "x"}), 422, "Error")
    check(api.post(f"/api/v1/tickets/{mailed.number}/merge", headers=customer, json={"into": 1}), 404, "Error")


def test_support_keeps_canned_answers_through_the_api_and_customers_get_404(app, db, support_client,
                                                                           customer_client):
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(support_client)}"}
    made = check(api.post("/api/v1/canned-answers", json={"title": "Omstart", "body_sv": "Starta om tjänsten.",
                                                          "body_fi": "Käynnistä palvelu uudelleen."},
                          headers=headers), 201, "CannedAnswer")
    changed = check(api.patch(f"/api/v1/canned-answers/{made['id']}", json={"body_sv": "Starta om servern."},
                              headers=headers), 200, "CannedAnswer")
    assert (changed["title"], changed["body_sv"], changed["body_fi"]) == (
        "Omstart", "Starta om servern.", "Käynnistä palvelu uudelleen.")
    listed = check(api.get("/api/v1/canned-answers", headers=headers), 200, "CannedAnswerList")
    assert made["id"] in [a["id"] for a in listed["results"]]
    bad = check(api.post("/api/v1/canned-answers", json={"title": "", "body_sv": ""}, headers=headers), 422, "Error")
    assert set(bad["fields"]) == {"title", "body_sv"}
    check(api.patch("/api/v1/canned-answers/99999999999", json={}, headers=headers), 404, "Error")
    customer = {"Authorization": f"Bearer {token_for(customer_client)}"}
    check(api.get("/api/v1/canned-answers", headers=customer), 404, "Error")
    check(api.delete(f"/api/v1/canned-answers/{made['id']}", headers=customer), 404, "Error")
    assert api.delete(f"/api/v1/canned-answers/{made['id']}", headers=headers).status_code == 204
    assert made["id"] not in [a["id"] for a in api.get("/api/v1/canned-answers", headers=headers).get_json()["results"]]
