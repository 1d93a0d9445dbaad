"""Mail leaves within seconds of its commit, in the server `make run` starts (`kb serve`) and in gunicorn,
on SQLite and PostgreSQL, whatever the client does with its connection afterwards and without waiting for
another request (issue 29.1). A real SMTP server on loopback (aiosmtpd) receives it."""
from __future__ import annotations

import http.cookiejar
import socket
import struct
import time
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from kb import tickets as workflow
from kb.db import Database, WriteContext, writing
from kb.mail.settings import MailSettings
from kb.models import Ticket, User

from .conftest import DEMO_PASSWORD, csrf_token
from .portal_server import portal as start_portal
from .test_mail import smtp  # noqa: F401  (the fixture: a real SMTP server on loopback)
WITHIN = 5.0  # seconds: every committed mail is at the SMTP server by then


@pytest.fixture(params=["development", "production"])
def portal(request, instance, database_url, smtp):  # noqa: F811
    """`kb serve` (as `make run` starts it) or `kb serve --production`, sending to the SMTP server."""
    extra = ["--production", "--workers", "2"] if request.param == "production" else []
    with start_portal(instance, *extra, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port),
                      MAIL_POLL_SECONDS="1") as base:
        yield base, instance


def _logged_in(base: str, username: str = "anna"):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base + "/auth/login").read().decode()
    opener.open(base + "/auth/login", urllib.parse.urlencode({
        "csrf_token": csrf_token(page), "username": username, "password": DEMO_PASSWORD}).encode()).read()
    return opener


def _open_ticket(database_url: str, username: str = "anna") -> int:
    database = Database(database_url)
    try:
        with database.session() as session:
            anna = session.scalar(select(User).where(User.username == username))
            return session.scalar(select(Ticket.number).where(Ticket.contact_id == anna.id,
                                                              Ticket.resolved_at.is_(None)).limit(1))
    finally:
        database.dispose()


def _dropped_post(base: str, path: str, cookie: str, body: dict) -> None:
    """A POST whose client then sends the next request on the same connection and drops it with a reset
    before its answer, as a browser closing or navigating away can."""
    data = urllib.parse.urlencode(body).encode()
    host = urllib.parse.urlsplit(base)
    s = socket.create_connection((host.hostname, host.port))
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie}\r\n"
              f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(data)}\r\n"
              f"Connection: keep-alive\r\n\r\n".encode() + data
              + f"GET / HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie}\r\n\r\n".encode())
    assert s.recv(64).startswith(b"HTTP/1.1 302")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    s.close()


def _arrived(smtp, count: int, within: float = WITHIN) -> float:  # noqa: F811
    started = time.monotonic()
    while len(smtp.messages) < count:
        assert time.monotonic() - started < within, f"{len(smtp.messages)} of {count} mails after {within} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_ten_comments_in_a_row_are_all_mailed_within_seconds(portal, database_url, smtp):  # noqa: F811
    base, _instance = portal
    opener = _logged_in(base)
    number = _open_ticket(database_url)
    page = opener.open(f"{base}/tickets/{number}?tab=comment").read().decode()
    for n in range(9):
        opener.open(f"{base}/tickets/{number}/comments", urllib.parse.urlencode({
            "csrf_token": csrf_token(page), "body": f"Kommentar {n}"}).encode()).read()
    jar = next(h.cookiejar for h in opener.handlers if hasattr(h, "cookiejar"))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    _dropped_post(base, f"/tickets/{number}/comments", cookie, {"csrf_token": csrf_token(page), "body": "Den sista"})
    _arrived(smtp, 20)  # each comment: the customer's copy and support's
    bodies = [m.get_body(("plain",)).get_content() for m in smtp.messages]
    assert any("Den sista" in b for b in bodies) and all(any(f"Kommentar {n}" in b for b in bodies) for n in range(9))


def test_mail_written_outside_any_request_leaves_without_one(portal, database_url, smtp):  # noqa: F811
    """A solution proposed by another process (a worker, an import, another node) goes out though no
    request of this server writes anything."""
    base, instance = portal
    database = Database(database_url)
    try:
        with database.session(WriteContext(mail=MailSettings.from_config({"BASE_URL": base}, instance))) as session:
            with writing(session):
                ticket = session.scalar(select(Ticket).where(Ticket.number == _open_ticket(database_url)))
                support = session.scalar(select(User).where(User.username == "support"))
                workflow.propose_solution(session, ticket, support, "Starta om tjänsten, så går det igen.")
    finally:
        database.dispose()
    _arrived(smtp, 1)
    assert "Starta om tjänsten" in smtp.messages[0].get_body(("plain",)).get_content()
