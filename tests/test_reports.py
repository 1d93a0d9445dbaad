"""Reports: tickets per week by product, language and channel, times against the service levels, the
backlog, the experience database's use (counted without who), remote access; as a page with charts, CSV
and API; support sees everything, a customer admin their own organisation without the search use."""
from __future__ import annotations

import re

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from kb import tickets as workflow
from kb.attachments import AttachmentStore
from kb.db import writing
from kb.mail.ingest import ingest
from kb.models import SearchDay, Ticket, User, ZeroResultQuery

from .test_api_tickets import check, token_for
from .test_mail import message, settings
from .test_tickets_web import fresh


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def test_tickets_by_channel_language_and_product_this_week(app, db, instance, support_client, customer_client):
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(customer_client)}"}
    assert api.post("/api/v1/tickets", json={"subject": "Via API", "description": "x", "product": "payroll"},
                    headers=headers).status_code == 201
    mail = settings(instance, 25)
    db.context.mail = mail
    ingest(db, message("mikko.laine@kuljetusvirtanen.example", "Palkanlaskenta ei toimi", "Virhe."),
           AttachmentStore(instance / "attachments"), mail)
    db.commit()
    with writing(db):
        workflow.create_ticket(db, user(db, "anna"), subject="Via webben", description="x", product="invoicing")
    before = check(support_client.get("/api/v1/reports/tickets"), 200, "Report")
    channels = before["by_channel"]
    assert channels.get("api", 0) >= 1 and channels.get("email", 0) >= 1 and channels.get("web", 0) >= 1
    assert before["weeks"][-1]["opened"] >= 3  # this week
    assert before["by_language"].get("fi", 0) >= 1 and before["by_product"].get("payroll", 0) >= 2
    payroll_only = check(support_client.get("/api/v1/reports/tickets?product=payroll"), 200, "Report")
    assert "invoicing" not in payroll_only["by_product"]


def test_searches_are_counted_without_who_and_the_zero_result_queries_shown_only_to_staff(
        app, db, customer_client, support_client, customer_admin_client):
    for query in ("zyxwvu fjärrskrivare", "zyxwvu fjärrskrivare", "lön"):
        customer_client.get("/experience/", query_string={"q": query})
    customer_client.get("/experience/", query_string={"q": "zyxwvu", "typing": "1"})  # while typing: not counted
    page = support_client.get("/reports/").get_data(as_text=True)
    assert "zyxwvu fjärrskrivare" in page
    zero = page[page.index("Sökningar som inte hittade något"):]
    assert re.search(r"zyxwvu fjärrskrivare</td><td>2<", zero)
    fresh(db)
    assert sum(row.searches for row in db.scalars(select(SearchDay))) == 3
    assert db.scalar(select(ZeroResultQuery.searches).where(ZeroResultQuery.query == "zyxwvu fjärrskrivare")) == 2
    for table in (SearchDay, ZeroResultQuery):  # nothing of who, and only the day
        columns = {c.key for c in sa_inspect(table).columns}
        assert not columns & {"user_id", "username", "address", "session", "at", "created_at"}
    admin_page = customer_admin_client.get("/reports/").get_data(as_text=True)
    assert "zyxwvu" not in admin_page and 'id="usage"' not in admin_page
    assert customer_admin_client.get("/reports/usage.csv").status_code == 404
    assert customer_admin_client.get("/api/v1/reports/usage").status_code == 404


def test_opened_entries_and_solved_my_problem_are_counted(app, db, customer_client, support_client):
    entry = db.scalar(select(Ticket).where(Ticket.is_published).order_by(Ticket.number))
    for _ in range(3):
        customer_client.get(f"/experience/{entry.number}")
    page = customer_client.get(f"/experience/{entry.number}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    customer_client.post(f"/experience/{entry.number}/helpful", data={"csrf_token": token, "helpful": "yes"})
    customer_client.post(f"/experience/{entry.number}/solved", data={"csrf_token": token})
    usage = check(support_client.get("/api/v1/reports/usage"), 200, "Report")
    assert usage["most_opened"][0] == {"number": entry.number, "title": entry.public_title, "views": 4}
    assert {"number": entry.number, "title": entry.public_title, "solved_my_problem": 1, "helpful": 1,
            "not_helpful": 0} in usage["entries"]


def test_a_customer_admin_sees_only_their_organisation_and_customers_nothing(db, customer_admin_client,
                                                                             customer_client, finnish_client):
    with writing(db):
        workflow.create_ticket(db, user(db, "mikko"), subject="Muu organisaatio", description="x", product="payroll")
    own = customer_admin_client.get("/api/v1/reports/tickets").get_json()
    ekholm = db.scalar(select(User).where(User.username == "erik")).organisation_id
    every = sum(1 for t in db.scalars(select(Ticket)) if ekholm in (t.organisation_id, t.end_customer_id)
                and t.created_at.date() >= __import__("datetime").date.fromisoformat(own["from"]))
    assert sum(w["opened"] for w in own["weeks"]) == every
    page = customer_admin_client.get("/reports/").get_data(as_text=True)
    assert "Rapporter: Ekholms Bygg AB" in page and "<svg" in page
    for client in (customer_client, finnish_client):
        assert client.get("/reports/").status_code == 404
        assert client.get("/api/v1/reports/tickets").status_code == 404
        assert client.get("/reports/tickets.csv").status_code == 404


def test_csv_files_are_downloads_in_the_readers_language(db, support_client):
    response = support_client.get("/reports/times.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert text.startswith("\ufeffPrioritet;Ärenden;Första svar, median (h)")
    assert "Normal;" in text
    tickets = support_client.get("/reports/tickets.csv").get_data(as_text=True)
    assert tickets.splitlines()[0] == "\ufeffVecka;Produkt;Språk;Kanal;Öppnade"


def test_a_bad_range_says_so_and_shows_the_default(db, support_client, finnish_client):
    response = support_client.get("/reports/", query_string={"from": "2026-12-31", "to": "2026-01-01"})
    assert response.status_code == 422 and "Slutet får inte ligga före början." in response.get_data(as_text=True)
    bad = support_client.get("/api/v1/reports/backlog", query_string={"from": "igår"})
    assert bad.status_code == 422 and "from" in bad.get_json()["fields"]
    wide = support_client.get("/reports/", query_string={"from": "2001-01-01", "to": "2026-01-01"})
    assert wide.status_code == 422 and "Välj högst tre år." in wide.get_data(as_text=True)


def test_times_against_the_service_levels_and_the_backlog(app, db, support_client):
    with writing(db):
        ticket = workflow.create_ticket(db, user(db, "anna"), subject="Mätt", description="x", product="payroll")
        workflow.add_comment(db, ticket, user(db, "support"), "Vi tittar på det.")
    times = check(support_client.get("/api/v1/reports/times"), 200, "Report")
    normal = next(p for p in times["priorities"] if p["priority"] == "normal")
    assert normal["tickets"] >= 1 and normal["first_response_target"] == 8.0
    assert normal["first_response_median"] is not None
    backlog = check(support_client.get("/api/v1/reports/backlog"), 200, "Report")
    assert backlog["statuses"]["in_progress"][0] >= 1 or backlog["statuses"]["new"][0] >= 0
    assert sum(sum(counts) for counts in backlog["statuses"].values()) == db.scalar(
        select(__import__("sqlalchemy").func.count()).select_from(Ticket).where(
            Ticket.status.in_(__import__("kb.models", fromlist=["OPEN_STATUSES"]).OPEN_STATUSES)))
    grants = check(support_client.get("/api/v1/reports/grants"), 200, "Report")
    assert set(grants["grants"]) >= {"asked", "approved", "used"}
