"""The search page and the search API, in Swedish and Finnish, without JavaScript."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from indexer.searching import SearchRequest
from kb.models import Ticket

from .conftest import csrf_token


def test_search_page_modes_named_as_in_the_manuals(index, customer_client, finnish_client):
    page = customer_client.get("/experience/").get_data(as_text=True)
    for label in ("Fritext", "Problemställning", "Lösning", "Erfarenhetsdatabas"):
        assert label in page
    page = finnish_client.get("/experience/").get_data(as_text=True)
    for label in ("Vapaa haku", "Ongelma", "Ratkaisu"):
        assert label in page


def test_search_without_javascript_and_entry_page(index, customer_client):
    hit = index.search(SearchRequest(
        text="", language="sv", page_size=1)).hits[0]
    page = customer_client.get("/experience/", query_string={"q": hit.title, "mode": "free", "lang": "sv"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/experience/{hit.number}" in html and "<mark" in html
    entry = customer_client.get(f"/experience/{hit.number}").get_data(as_text=True)
    assert hit.title in entry and "Var detta till hjälp?" in entry


def test_unpublished_ticket_is_not_an_entry(index, customer_client, db):
    open_ticket = db.scalar(select(Ticket).where(Ticket.general.is_(False)))
    assert customer_client.get(f"/experience/{open_ticket.number}").status_code == 404


def test_helpful_votes_are_counted_once_per_user(index, customer_client, finnish_client):
    number = index.search(SearchRequest(
        text="", page_size=1)).hits[0].number
    for client, answer in ((customer_client, "yes"), (customer_client, "yes"), (finnish_client, "no")):
        page = client.get(f"/experience/{number}").get_data(as_text=True)
        assert client.post(f"/experience/{number}/helpful",
                           data={"csrf_token": csrf_token(page), "helpful": answer}).status_code == 302
    page = customer_client.get(f"/experience/{number}").get_data(as_text=True)
    assert "1 tyckte att detta var till hjälp, 1 tyckte inte det." in page
    assert customer_client.post(f"/experience/{number}/helpful", data={"helpful": "yes"}).status_code == 400


def test_api_search_shape_and_login(index, client, customer_client):
    assert client.get("/api/v1/search?q=moms").status_code == 401
    assert client.get("/api/v1/search?q=moms").get_json()["error"]
    data = customer_client.get("/api/v1/search", query_string={"q": "", "lang": "all"}).get_json()
    assert set(data) >= {"total", "page", "results", "suggestion"}
    assert data["total"] >= 50
    result = data["results"][0]
    assert set(result) >= {"number", "title", "snippet_problem", "snippet_solution", "product", "category",
                           "resolved_at", "score", "url"}
    suggest = customer_client.get("/api/v1/suggest", query_string={"q": result["title"][:4]}).get_json()
    assert 0 < len(suggest["results"]) <= 10


@pytest.mark.parametrize("q", ['"', "-", "OR", "title:x", "((", "*", "AND OR NOT", "\x00", "a" * 2000, "🙂 ä ö"])
def test_odd_input_never_fails(index, customer_client, q):
    for mode in ("free", "problem", "solution", "bogus"):
        response = customer_client.get("/api/v1/search", query_string={"q": q, "mode": mode, "page": "x"})
        assert response.status_code == 200
        assert customer_client.get("/experience/", query_string={"q": q, "mode": mode}).status_code == 200


def test_a_page_past_the_last_says_where_the_results_end(index, customer_client, finnish_client):
    first = customer_client.get("/experience/?q=lön&lang=all").get_data(as_text=True)
    assert "ärenden hittades" in first or "ärende hittades" in first
    past = customer_client.get("/experience/?q=lön&lang=all&page=999").get_data(as_text=True)
    assert "Resultaten slutar på sida 1." in past and "Gå till sista sidan" in past
    assert "Inga ärenden matchade" not in past
    finnish = finnish_client.get("/experience/?q=palkka&lang=all&page=999").get_data(as_text=True)
    assert "Tulokset päättyvät sivulle" in finnish
