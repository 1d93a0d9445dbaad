"""The login counters under real parallel clients (issue 28.3): gunicorn (`kb serve --production`, two
worker processes of eight threads) on SQLite and on PostgreSQL, and many HTTP clients released at once.
However many arrive together, one TOTP code logs in once, and no more wrong codes or passwords are checked
than the limit."""
from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from kb import throttle
from kb.testing import second_factor

from .conftest import DEMO_PASSWORD, csrf_token
from .portal_server import portal


@pytest.fixture
def server(instance):
    """gunicorn on the test's database (SQLite or PostgreSQL), two workers of eight threads."""
    with portal(instance, "--production", "--workers", "2", "--threads", "8",
                MAIL_SEND_AFTER_REQUEST="false") as base:
        yield base


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer here (a login done), not somewhere to go


class Browser:
    """One client with its own cookies, as a browser keeps them."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _Stay())
        self.page = ""

    def request(self, path: str, data: dict | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=120) as response:
                self.page = response.read().decode()
                return response.status
        except urllib.error.HTTPError as error:
            self.page = error.read().decode()
            return error.code

    def password_step(self, username: str, password: str = DEMO_PASSWORD) -> int:
        self.request("/auth/login")
        return self.request("/auth/login", {"csrf_token": csrf_token(self.page), "username": username,
                                            "password": password})

    def send_code(self, code: str) -> int:
        return self.request("/auth/login/code", {"csrf_token": csrf_token(self.page), "code": code})


def all_at_once(calls) -> list[int]:
    """Each call in a thread of its own, released together; their answers' status codes."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def half_done_logins(server: str, username: str, count: int) -> list[Browser]:
    """`count` browsers past the password step, each waiting for its code."""
    browsers = [Browser(server) for _ in range(count)]
    for browser in browsers:
        assert browser.password_step(username) == 200 and 'action="/auth/login/code"' in browser.page
    return browsers


def test_one_code_sent_from_twelve_half_done_logins_at_once_logs_in_once(server):
    browsers = half_done_logins(server, "support", 12)
    code = second_factor.code()
    statuses = all_at_once([lambda b=b: b.send_code(code) for b in browsers])
    assert statuses.count(302) == 1, statuses  # a login; the others: 400 (taken) or 429 (locked)
    assert set(statuses) - {302, 400, 429} == set()


def test_thirty_wrong_codes_at_once_are_checked_no_more_than_the_limit(server):
    browsers = half_done_logins(server, "support", 6)
    statuses = all_at_once([lambda b=browsers[n % 6]: Browser.send_code(b, "000000") for n in range(30)])
    assert statuses.count(400) == throttle.USER_FAILURES, statuses  # checked, and wrong
    assert statuses.count(429) == 30 - throttle.USER_FAILURES  # refused unchecked: locked
    assert browsers[0].send_code(second_factor.code()) == 429  # even the right one, now


def test_thirty_wrong_passwords_at_once_are_checked_no_more_than_the_limit(server):
    browsers = [Browser(server) for _ in range(30)]
    for browser in browsers:
        browser.request("/auth/login")
    statuses = all_at_once([lambda b=b: b.request("/auth/login", {
        "csrf_token": csrf_token(b.page), "username": "anna", "password": "wrong-password"}) for b in browsers])
    assert statuses.count(400) == throttle.USER_FAILURES, statuses
    assert statuses.count(429) == 30 - throttle.USER_FAILURES
    assert Browser(server).password_step("anna") == 429  # locked: not even the right password is checked
