"""Administration: organisations, users and roles, licences, catalogues, CSV import; deactivation ends sessions."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from kb.models import CatalogueEntry, Licence, Organisation, OrganisationKind, User

from .conftest import csrf_token
from .test_cli import run_kb
from .test_tickets_web import fresh


def token(client, url="/admin/"):
    return csrf_token(client.get(url).get_data(as_text=True))


def test_only_administrators(customer_client, support_client, admin_client):
    for client in (customer_client, support_client):
        for url in ("/admin/", "/admin/users", "/admin/organisations", "/admin/licences", "/admin/catalogue",
                    "/admin/import"):
            assert client.get(url).status_code == 404
    assert admin_client.get("/admin/").status_code == 200


def test_organisations_and_partner_links(db, admin_client):
    bad = admin_client.post("/admin/organisations/new", data={
        "csrf_token": token(admin_client), "key": "", "name": "Nya Kunden AB", "kind": "customer",
        "partner": "ekholm"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Nya Kunden AB" in text and "Välj en partnerorganisation" in text
    ok = admin_client.post("/admin/organisations/new", data={
        "csrf_token": token(admin_client), "key": "nyakunden", "name": "Nya Kunden AB", "kind": "customer",
        "company_number": "556999-0000", "language": "sv", "partner": "norrsken"})
    assert ok.status_code == 302
    fresh(db)
    created = db.scalar(select(Organisation).where(Organisation.key == "nyakunden"))
    assert created.partner.key == "norrsken" and created.kind == OrganisationKind.CUSTOMER


def test_deactivating_a_user_ends_their_sessions_at_once(app, db, admin_client, customer_client):
    assert customer_client.get("/tickets/").status_code == 200
    anna = db.scalar(select(User).where(User.username == "anna"))
    admin_client.post(f"/admin/users/{anna.id}/deactivate", data={"csrf_token": token(admin_client)})
    assert customer_client.get("/tickets/").status_code == 302  # back to the login page
    login = app.test_client()
    page = login.get("/auth/login").get_data(as_text=True)
    assert login.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "anna",
                                           "password": "demo"}).status_code == 400  # refused
    admin_client.post(f"/admin/users/{anna.id}/reactivate", data={"csrf_token": token(admin_client)})
    reset = admin_client.post(f"/admin/users/{anna.id}/reset-password", data={"csrf_token": token(admin_client)})
    password = re.search(r'<code id="new-password">([^<]+)</code>', reset.get_data(as_text=True)).group(1)
    page = login.get("/auth/login").get_data(as_text=True)
    assert login.post("/auth/login", data={"csrf_token": csrf_token(page), "username": "anna",
                                           "password": password}).status_code == 302


def test_create_user_change_role_licence_and_catalogue(db, admin_client):
    org = db.scalar(select(Organisation).where(Organisation.key == "ekholm"))
    bad = admin_client.post("/admin/users/new", data={"csrf_token": token(admin_client), "username": "X Y",
                                                       "name": "Lisa", "password": "pw", "organisation": str(org.id),
                                                       "role": "customer"})
    assert bad.status_code == 422 and "Lisa" in bad.get_data(as_text=True)
    admin_client.post("/admin/users/new", data={"csrf_token": token(admin_client), "username": "lisa",
                                                 "name": "Lisa Ek", "password": "Hemligt-Lösen-42", "organisation": str(org.id),
                                                 "role": "customer", "language": "sv"})
    fresh(db)
    lisa = db.scalar(select(User).where(User.username == "lisa"))
    admin_client.post(f"/admin/users/{lisa.id}/role", data={"csrf_token": token(admin_client),
                                                           "role": "customer_admin"})
    fresh(db)
    assert lisa.role.value == "customer_admin"
    bad = admin_client.post("/admin/licences/new", data={"csrf_token": token(admin_client), "organisation": "ekholm",
                                                          "product": "hr", "seats": "many", "valid_until": "31.12.2027"})
    assert bad.status_code == 422 and "ÅÅÅÅ-MM-DD" in bad.get_data(as_text=True)
    admin_client.post("/admin/licences/new", data={"csrf_token": token(admin_client), "organisation": "ekholm",
                                                    "product": "hr", "seats": "12", "valid_until": "2027-12-31"})
    fresh(db)
    assert any(lic.product.code == "hr" and lic.seats == 12 for lic in org.licences)
    entry = db.scalar(select(CatalogueEntry).where(CatalogueEntry.code == "payroll"))
    refused = admin_client.post("/admin/catalogue", data={"csrf_token": token(admin_client), "id": entry.id,
                                                          "label_sv": "Aurora Lön Plus", "label_fi": "", "active": "1"})
    assert refused.status_code == 422
    admin_client.post("/admin/catalogue", data={"csrf_token": token(admin_client), "id": entry.id,
                                                 "label_sv": "Aurora Lön Plus", "label_fi": "Aurora Palkat Plus",
                                                 "active": "1"})
    fresh(db)
    assert (entry.label_sv, entry.label_fi) == ("Aurora Lön Plus", "Aurora Palkat Plus")


def test_csv_import_on_the_page_and_the_command_line(db, admin_client, instance, tmp_path):
    csv_text = ("username,name,organisation,role,email\n"
                "maija,Maija Mäki,virtanen,customer,maija@kuljetusvirtanen.example\n"
                "bad user,Nobody,virtanen,customer,\n"
                "pekka,Pekka,nowhere,customer,\n"
                "olle,Olle,ekholm,superuser,\n")
    page = admin_client.post("/admin/import", data={"csrf_token": token(admin_client), "kind": "users",
                                                     "file": (io.BytesIO(csv_text.encode()), "users.csv")},
                             content_type="multipart/form-data").get_data(as_text=True)
    assert "Importerade 1 nya och 0 uppdaterade; 3 felaktiga rader." in page
    for line in (3, 4, 5):
        assert f"Rad {line}:" in page
    assert "Ingen organisation har den här nyckeln." in page and "Ange rollen som" in page  # in the user's language
    fresh(db)
    assert db.scalar(select(User).where(User.username == "maija")).organisation.key == "virtanen"
    path = tmp_path / "licences.csv"
    path.write_text("organisation,product,version,seats,valid_until\nvirtanen,payroll,2025.2,30,2027-06-30\n"
                    "virtanen,nope,1,1,\noulu,hr,2025.1,x,\n", encoding="utf-8")
    result = run_kb("admin", "import-csv", "licences", str(path), instance=instance)
    assert result.returncode == 0 and "line 3:" in result.stderr and "line 4:" in result.stderr
    assert "line 2:" not in result.stderr and "Imported 0 new and 1 updated licences" in result.stdout
    fresh(db)
    assert any(lic.seats == 30 for lic in db.scalars(select(Licence).join(Licence.organisation).where(
        Organisation.key == "virtanen")))
    missing = run_kb("admin", "import-csv", "users", str(tmp_path / "nope.csv"), instance=instance)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr


def test_user_deactivate_and_reset_password_commands(instance, db):
    result = run_kb("user", "reset-password", "mikko", instance=instance)
    assert result.returncode == 0 and result.stdout.startswith("New password for mikko: ")
    result = run_kb("user", "deactivate", "mikko", instance=instance)
    assert result.returncode == 0
    fresh(db)
    assert not db.scalar(select(User).where(User.username == "mikko")).active
    result = run_kb("user", "deactivate", "nobody", instance=instance)
    assert result.returncode == 1 and result.stderr.startswith("Error: ")


def test_new_catalogue_entries_need_both_labels_and_follow_their_product(db, admin_client, customer_client):
    refused = admin_client.post("/admin/catalogue", data={"csrf_token": token(admin_client), "new": "1",
                                                          "kind": "version", "product": "payroll", "code": "2026.1",
                                                          "label_sv": "2026.1", "label_fi": ""})
    assert refused.status_code == 422 and "Skriv benämningen på finska" in refused.get_data(as_text=True)
    admin_client.post("/admin/catalogue", data={"csrf_token": token(admin_client), "new": "1", "kind": "version",
                                                 "product": "payroll", "code": "2026.1", "label_sv": "2026.1",
                                                 "label_fi": "2026.1"})
    fresh(db)
    entry = db.scalar(select(CatalogueEntry).where(CatalogueEntry.code == "2026.1"))
    assert entry.product.code == "payroll"
    form = customer_client.get("/tickets/new").get_data(as_text=True)
    assert f'<option value="{entry.id}" data-product="{entry.product_id}"' in form
