"""Two-factor login (TOTP and recovery codes): required for staff, required by an organisation's admin, or
chosen by a user; a code is taken once; wrong codes count like wrong passwords."""
from __future__ import annotations

import html
import io
import re
import time

import pyotp
from sqlalchemy import select, update

from kb.models import Organisation, User
from kb.testing.second_factor import STAFF_SECRET, code

from .conftest import DEMO_PASSWORD, AuthActions, csrf_token
from .test_cli import run_kb
from .test_tickets_web import PNG, _resend, form_data, fresh


def user(db, username):
    return db.scalar(select(User).where(User.username == username))


def password_step(client, username, password=DEMO_PASSWORD, **extra):
    page = client.get("/auth/login").get_data(as_text=True)
    return client.post("/auth/login", data={"csrf_token": csrf_token(page), "username": username,
                                            "password": password, **extra})


def send_code(client, value, page=None):
    page = page or client.get("/auth/login/code").get_data(as_text=True)
    return client.post("/auth/login/code", data={"csrf_token": csrf_token(page), "code": value})


def test_staff_without_a_second_factor_set_it_up_before_their_first_login(app, db, client):
    db.execute(update(User).where(User.username == "admin").values(totp_secret=None, language="fi"))
    db.commit()
    page = password_step(client, "admin")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in text and 'action="/auth/login/enrol"' in text
    assert client.get("/").status_code == 302  # not logged in yet
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', text).group(1)
    wrong = client.post("/auth/login/enrol", data={"csrf_token": csrf_token(text), "code": "000000"})
    assert wrong.status_code == 400 and "Koodi ei ole oikein" in wrong.get_data(as_text=True)  # in their language
    done = client.post("/auth/login/enrol", data={"csrf_token": csrf_token(text), "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    assert client.get("/").status_code == 200  # logged in
    fresh(db)
    assert user(db, "admin").totp_secret == secret


def test_a_code_is_taken_once_and_a_recovery_code_logs_in_once(app, db):
    first, second = app.test_client(), app.test_client()
    password_step(first, "support")
    password_step(second, "support")
    now = code()
    assert send_code(first, now).status_code == 302
    reused = send_code(second, now)
    assert reused.status_code == 400 and "Koden stämmer inte" in reused.get_data(as_text=True)
    # recovery codes: made on the profile page, each good once
    page = first.get("/auth/profile").get_data(as_text=True)
    made = first.post("/auth/two-factor/recovery-codes", data={"csrf_token": csrf_token(page),
                                                               "recovery_password": DEMO_PASSWORD})
    recovery = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", made.get_data(as_text=True))
    assert send_code(second, recovery[0].upper().replace("-", " ")).status_code == 302  # as typed, any case
    third = app.test_client()
    password_step(third, "support")
    assert send_code(third, recovery[0]).status_code == 400
    assert "9 reservkoder kvar" in first.get("/auth/profile").get_data(as_text=True)


def test_wrong_codes_count_like_wrong_passwords(app, db, client):
    password_step(client, "support")
    for _ in range(5):
        send_code(client, "123456")
    locked = send_code(client, code())
    assert locked.status_code == 429 and client.get("/").status_code == 302


def test_the_second_step_waits_only_while_the_users_sessions_stand(app, db, client):
    password_step(client, "support")
    db.execute(update(User).where(User.username == "support").values(session_version=User.session_version + 1))
    db.commit()  # e.g. deactivated and reactivated, or a new password, meanwhile
    assert client.get("/auth/login/code").headers["Location"].endswith("/auth/login")
    response = send_code(client, code(), page=client.get("/auth/login").get_data(as_text=True))
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert client.get("/").status_code == 302


def test_a_customer_turns_it_on_and_off_and_an_organisations_admin_requires_it(app, db, customer_client,
                                                                               customer_admin_client, admin_client):
    page = key_page(customer_client)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    done = customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page),
                                                          "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Tvåstegsinloggningen är på." in done.get_data(as_text=True)
    fresh(db)
    assert user(db, "anna").totp_secret == secret
    later = app.test_client()
    assert password_step(later, "anna").status_code == 200 and client_logged_out(later)
    profile = customer_client.get("/auth/profile").get_data(as_text=True)
    wrong = customer_client.post("/auth/two-factor/off", data={"csrf_token": csrf_token(profile),
                                                               "two_factor_password": "fel"})
    assert wrong.status_code == 422 and "Det nuvarande lösenordet är fel." in wrong.get_data(as_text=True)
    customer_client.post("/auth/two-factor/off", data={"csrf_token": csrf_token(profile),
                                                       "two_factor_password": DEMO_PASSWORD})
    fresh(db)
    assert user(db, "anna").totp_secret is None
    # Erik requires it for Ekholms Bygg: Anna, without it now, must set it up at her next login
    ekholm = db.scalar(select(Organisation.id).where(Organisation.key == "ekholm"))
    page = customer_admin_client.get("/users/").get_data(as_text=True)
    customer_admin_client.post("/users/two-factor", data={"csrf_token": csrf_token(page), "organisation": ekholm,
                                                          "required": "1"})
    again = app.test_client()
    step = password_step(again, "anna").get_data(as_text=True)
    assert 'action="/auth/login/enrol"' in step and again.get("/").status_code == 302
    assert client_logged_out(customer_admin_client)  # Erik's own password-only session ended too
    assert "Tvåstegsinloggning krävs för organisationens användare: Ja" in admin_client.get(
        "/users/audit").get_data(as_text=True)
    page = key_page(customer_client)  # Anna sets it up again...
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    customer_client.post("/auth/two-factor", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()})
    profile = customer_client.get("/auth/profile").get_data(as_text=True)
    assert "kan inte stängas av" in profile  # ...and may no longer turn it off
    refused = customer_client.post("/auth/two-factor/off", data={"csrf_token": csrf_token(profile),
                                                                 "two_factor_password": DEMO_PASSWORD})
    assert refused.status_code == 422


def key_page(client, password=DEMO_PASSWORD) -> str:
    """Turning it on from the profile: the password first, then the page with the key."""
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert 'id="totp-secret"' not in page  # no key before the password
    return client.post("/auth/two-factor", data={"csrf_token": csrf_token(page), "password": password}
                       ).get_data(as_text=True)


def client_logged_out(client) -> bool:
    return client.get("/").status_code == 302


def test_a_form_kept_over_a_logout_comes_back_after_both_steps(app, db, customer_client):
    data = form_data(db, customer_client, subject="Skrivet innan koden")
    db.execute(update(User).where(User.username == "anna").values(totp_secret=STAFF_SECRET))
    db.commit()  # her password-only session ends with it (kb/credentials.py): the form is kept over the login
    data["attachments"] = [(io.BytesIO(PNG), "bild.png")]
    assert client_logged_out(customer_client)
    page = customer_client.post("/tickets/new", data=data, content_type="multipart/form-data").get_data(as_text=True)
    carried = re.findall(r'<input type="hidden" name="(kept-[^"]+|kept_action)" value="([^"]*)">', page)
    login = {}
    for name, value in carried:
        login.setdefault(name, []).append(html.unescape(value)) if name != "kept_action" else login.update({name: value})
    step = password_step(customer_client, "anna", **login).get_data(as_text=True)
    assert 'value="Skrivet innan koden"' in step  # the code form carries it on
    resumed = customer_client.post("/auth/login/code", data={"csrf_token": csrf_token(step), "code": code(),
                                                             **login})
    assert resumed.status_code == 400 and "Skicka igen" in resumed.get_data(as_text=True)
    assert _resend(customer_client, resumed).status_code == 302


def test_an_operator_removes_a_lost_second_factor(app, db, instance):
    result = run_kb("user", "two-factor-reset", "support", instance=instance)
    assert result.returncode == 0, result.stderr
    fresh(db)
    assert user(db, "support").totp_secret is None
    assert 'action="/auth/login/enrol"' in password_step(app.test_client(), "support").get_data(as_text=True)


def test_staff_may_log_in_with_the_password_alone_where_the_setting_says_so(app, db, client):
    app.config["STAFF_TWO_FACTOR"] = False
    db.execute(update(User).where(User.username == "admin").values(totp_secret=None))
    db.commit()
    assert password_step(client, "admin").status_code == 302


def test_an_administrator_removes_a_lost_second_factor_on_the_users_page(app, db, admin_client):
    support = user(db, "support")
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert f'/admin/users/{support.id}/two-factor-reset' in page
    admin_client.post(f"/admin/users/{support.id}/two-factor-reset", data={"csrf_token": csrf_token(page)})
    fresh(db)
    assert user(db, "support").totp_secret is None
    audit = admin_client.get(f"/admin/organisations/{support.organisation_id}").get_data(as_text=True)
    assert "Tvåstegsinloggningen borttagen (borttappad telefon)" in audit


def test_a_demo_shows_the_code_of_a_demo_login_and_never_of_a_real_account(app, db, instance):
    """`kb user totp-code` for a newcomer trying the demo without an authenticator app: the code works at the
    login, also while a first login shows its QR code; it is refused for a user whose password is not the demo's."""
    def totp_code(username):
        return run_kb("user", "totp-code", username, instance=instance)

    result = totp_code("support")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {pyotp.TOTP(STAFF_SECRET).at(time.time() + delta) for delta in (-30, 0, 30)}
    client = app.test_client()
    password_step(client, "support")
    page = client.get("/auth/login/code").get_data(as_text=True)
    logged_in = client.post("/auth/login/code", data={"csrf_token": csrf_token(page),
                                                      "code": totp_code("support").stdout.strip()})
    assert logged_in.status_code == 302

    db.execute(update(User).where(User.username == "admin").values(totp_secret=None))
    db.commit()
    before = totp_code("admin")
    assert before.returncode != 0 and "log in with the password first" in before.stderr
    assert "Traceback" not in before.stderr and len(before.stderr.strip().splitlines()) == 1
    first = app.test_client()
    enrol_page = password_step(first, "admin").get_data(as_text=True)
    assert 'action="/auth/login/enrol"' in enrol_page
    enrolled = first.post("/auth/login/enrol", data={"csrf_token": csrf_token(enrol_page),
                                                     "code": totp_code("admin").stdout.strip()})
    assert enrolled.status_code in (200, 302) and 'action="/auth/login/enrol"' not in enrolled.get_data(as_text=True)
    fresh(db)
    assert user(db, "admin").totp_secret

    real = run_kb("user", "reset-password", "support", instance=instance)
    assert real.returncode == 0
    refused = totp_code("support")
    assert refused.returncode != 0 and "not a demo login" in refused.stderr and "Traceback" not in refused.stderr
