"""Several app nodes on one PostgreSQL, each with its own instance folder and index replica, as two
machines would have: real server processes, real HTTP, the throw-away PostgreSQL of conftest."""
from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from kb import config, index_feed, tokens
from kb import tickets as workflow
from kb.db import Database, writing
from kb.models import IndexNode, Ticket, User
from kb.testing.second_factor import forget_taken, next_code

from .conftest import DATABASES, DEMO_PASSWORD, csrf_token
from .test_cli import KB

pytestmark = pytest.mark.skipif("postgresql" not in DATABASES, reason="PostgreSQL is not among KB_TEST_DATABASES")
ROOT = Path(__file__).resolve().parents[1]
SECRET = "one-secret-for-every-node"
VISIBLE_WITHIN = 2.0  # seconds: the cross-node target


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """`kb serve` on a free port with its own instance folder, on the shared database."""

    def __init__(self, name: str, folder: Path, url: str, **settings):
        self.name, self.folder, self.url = name, folder, url
        config.ensure_instance(folder)
        self.env = {**os.environ, "KB_INSTANCE": str(folder), "KB_DATABASE_URL": url, "KB_SECRET_KEY": SECRET,
                    "KB_INDEX_NODE": name, "KB_INDEX_FOLLOW_SECONDS": "0.2",
                    **{f"KB_{k}": str(v) for k, v in settings.items()}}
        self.process: subprocess.Popen | None = None

    def start(self) -> Node:
        self.port = _free_port()
        self.env["KB_BASE_URL"] = self.base
        self.process = subprocess.Popen(KB + ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                        env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=open(self.folder / "server.log", "ab"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base}/auth/login", timeout=5).read()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError((self.folder / "server.log").read_text()[-2000:])
                time.sleep(0.1)
        raise RuntimeError(f"node {self.name} did not answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def search(self, token: str, text: str) -> set[int]:
        request = urllib.request.Request(f"{self.base}/api/v1/search?" + urllib.parse.urlencode({"q": text}),
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return {hit["number"] for hit in json.load(response)["results"]}

    def browser(self, username: str) -> Browser:
        return Browser(self).login(username)


class Browser:
    """A signed-in user of one node: cookies and CSRF tokens, as a browser would keep them."""

    def __init__(self, node: Node):
        self.node = node
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.node.base + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, path: str, data: dict, form_page: str | None = None) -> int:
        _status, page = self.get(form_page or path)
        body = urllib.parse.urlencode({"csrf_token": csrf_token(page), **data}).encode()
        try:
            with self.opener.open(self.node.base + path, data=body, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def login(self, username: str) -> Browser:
        assert self.post("/auth/login", {"username": username, "password": DEMO_PASSWORD}) == 200
        if username in ("support", "admin"):  # staff: the code of their authenticator app too
            assert self.post("/auth/login/code", {"code": next_code(username)}) == 200
            assert 'action="/auth/logout"' in self.get("/")[1]
        return self


@pytest.fixture
def shared(postgres, tmp_path):
    """A copy of the demo database on the throw-away PostgreSQL, and a way to start nodes on it."""
    url = postgres.create_database(template="kb_template")
    database = Database(url)
    forget_taken()  # a new database: no code taken yet
    nodes: list[Node] = []

    def node(name: str, **settings) -> Node:
        made = Node(name, tmp_path / name, url, **settings)
        nodes.append(made)
        return made.start()

    yield database, node
    for made in nodes:
        made.stop()
    database.dispose()
    postgres.drop_database(url)


def _token(database: Database, username: str = "anna") -> str:
    with database.session() as session, writing(session):
        user = session.scalar(select(User).where(User.username == username))
        return tokens.create_token(session, user, "nodes")[1]


def _solved_ticket(database: Database, subject: str, solution: str) -> int:
    with database.session() as session, writing(session):
        anna = session.scalar(select(User).where(User.username == "anna"))
        support = session.scalar(select(User).where(User.username == "support"))
        ticket = workflow.create_ticket(session, anna, product="payroll", subject=subject,
                                        description=f"{subject}.")
        workflow.propose_solution(session, ticket, support, solution)
        return ticket.number


def _found_within(node: Node, token: str, text: str, number: int, present: bool = True,
                  within: float = VISIBLE_WITHIN) -> float:
    """Seconds until `number` is (or is no longer) among the node's hits for `text`; fails past `within`."""
    started = time.monotonic()
    while True:
        if (number in node.search(token, text)) == present:
            return time.monotonic() - started
        if time.monotonic() - started > within:
            pytest.fail(f"node {node.name}: ticket {number} {'not found' if present else 'still found'} "
                        f"after {within} s")
        time.sleep(0.05)


def _publish(browser: Browser, number: int, problem: str, solution: str) -> None:
    status = browser.post(f"/support/tickets/{number}/publish", {
        "title": problem, "problem": problem, "solution": solution})
    assert status == 200  # redirected to the ticket, which answers 200


def test_published_on_one_node_is_found_on_the_other_and_withdrawn_on_that_one_is_gone_on_the_first(shared):
    database, node = shared
    a, b = node("node-a"), node("node-b")
    token = _token(database)
    number = _solved_ticket(database, "Kvartalsrapporten grumlar", "Kör om kvartalsrapporten.")
    _publish(a.browser("support"), number, "Kvartalsrapporten grumlar vid export.", "Kör om kvartalsrapporten.")
    assert _found_within(a, token, "grumlar", number) <= VISIBLE_WITHIN
    assert _found_within(b, token, "grumlar", number) <= VISIBLE_WITHIN
    status = b.browser("support").post(f"/support/tickets/{number}/unpublish", {}, form_page=f"/tickets/{number}")
    assert status == 200
    _found_within(b, token, "grumlar", number, present=False)
    _found_within(a, token, "grumlar", number, present=False)  # withdrawn content is gone everywhere


def test_a_late_committing_transaction_is_applied_on_every_node(shared):
    """PostgreSQL hands out ids before commit: a change that commits after a later one must still arrive."""
    database, node = shared
    a, b = node("node-a"), node("node-b")
    token = _token(database)
    early = _solved_ticket(database, "Momsdeklarationen flimrar", "Stäng och öppna perioden.")
    late = _solved_ticket(database, "Bokslutet skimrar", "Lås perioden först.")
    support = a.browser("support")
    with database.session() as holding:
        holding.begin()
        ticket = holding.scalar(select(Ticket).where(Ticket.number == late))
        workflow.set_general(holding, ticket, holding.scalar(select(User).where(User.username == "support")),
                             True, "Bokslutet skimrar i rapporten.", "Lås perioden först.")
        holding.flush()  # written, not committed: the transaction holds its rows
        _publish(support, early, "Momsdeklarationen flimrar.", "Stäng och öppna perioden.")
        _found_within(b, token, "flimrar", early)  # every node has moved past the early change
        holding.commit()
    _found_within(a, token, "skimrar", late)
    _found_within(b, token, "skimrar", late)


def test_a_stopped_node_catches_up_when_restarted_and_one_gone_too_long_rebuilds(shared):
    database, node = shared
    a, b = node("node-a", INDEX_NODE_TIMEOUT=600), node("node-b")
    token = _token(database)
    first = _solved_ticket(database, "Lönespecifikationen glittrar", "Skriv ut den igen.")
    b.stop()
    _publish(a.browser("support"), first, "Lönespecifikationen glittrar.", "Skriv ut den igen.")
    _found_within(a, token, "glittrar", first)
    b.start()  # node-b was seen lately: its rows were kept for it
    # A node just started catches up with what it missed (the 2 s target is for nodes that are up: a busy
    # machine's start-up, both indexes caught up at once, can take longer; seen failing on a 2-core machine
    # with the code of before this change too)
    _found_within(b, token, "glittrar", first, within=30)

    a.stop()
    second = _solved_ticket(database, "Semesterkvoten gnistrar", "Räkna om kvoten.")
    b.stop()
    a.env["KB_INDEX_NODE_TIMEOUT"] = "0"  # node-b now counts as gone: node-a prunes without it
    a.start()
    _publish(a.browser("support"), second, "Semesterkvoten gnistrar.", "Räkna om kvoten.")
    _found_within(a, token, "gnistrar", second)
    deadline = time.monotonic() + 10  # node-a forgets what only node-b still needed (just after applying it)
    while True:
        with database.session() as session:
            if index_feed.must_rebuild(session, session.get(IndexNode, "node-b").applied):
                break
        assert time.monotonic() < deadline, "node-a did not prune past node-b"
        time.sleep(0.1)
    status = subprocess.run(KB + ["index", "status"], env=a.env, capture_output=True, text=True, check=True).stdout
    assert "node-b" in status and "node:       node-a" in status
    b.start()  # behind the pruned horizon: rebuilds, then finds what it missed
    started = time.monotonic()
    while second not in b.search(token, "gnistrar"):
        assert time.monotonic() - started < 60, "node-b did not rebuild"
        time.sleep(0.2)
    assert first in b.search(token, "glittrar")


def _serve_production(instance: Path, env: dict, *options: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(KB + ["serve", "--production", "--host", "127.0.0.1", "--port", str(port), *options],
                              env={"KB_BASE_URL": f"http://127.0.0.1:{port}", **env}, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=5).read()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not answer")


@pytest.mark.parametrize("slow", [5])
def test_slow_clients_do_not_take_every_worker_of_the_production_server(instance, slow):
    """Five clients announce a body and never send it: `kb serve --production` (2 workers here) still
    answers everyone else at once. With gunicorn's sync workers each of them held a whole worker."""
    import socket

    env = {**os.environ, "KB_INSTANCE": str(instance), "KB_SECRET_KEY": SECRET}
    server, port = _serve_production(instance, env, "--workers", "2")
    hanging = []
    try:
        for _ in range(slow):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\nusername=")
            hanging.append(s)
        time.sleep(1.0)  # every slow request has reached a worker and waits for its body
        started = time.monotonic()
        for _ in range(10):
            assert urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=10).status == 200
        assert time.monotonic() - started < 5
    finally:
        for s in hanging:
            s.close()
        server.terminate()
        server.wait(timeout=30)


def _multipart(fields: dict, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "kb-test-boundary-7f3a"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_an_attachment_uploaded_on_one_node_downloads_on_the_other(shared):
    database, node = shared
    a, b = node("node-a", ATTACHMENT_STORAGE="database"), node("node-b", ATTACHMENT_STORAGE="database")
    token = _token(database)
    screenshot = os.urandom(50_000)
    body, content_type = _multipart({"subject": "Skärmbild av felet", "description": "Se bilagan.",
                                     "product": "payroll"}, "skärmbild.png", screenshot)
    request = urllib.request.Request(f"{a.base}/api/v1/tickets", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.load(response)
    assert not [p for p in a.folder.rglob("*") if p.is_file() and "attachments" in p.parts]  # nothing node-local
    attachment = created["attachments"][0]
    anna = b.browser("anna")
    status, _page = anna.get(f"/tickets/{created['number']}")
    assert status == 200
    with anna.opener.open(f"{b.base}/tickets/{created['number']}/attachments/{attachment['id']}", timeout=30) as got:
        assert got.read() == screenshot
        assert got.headers["Content-Disposition"].startswith("attachment")  # never inline


def test_a_login_holds_on_every_node_and_ends_on_every_node(shared):
    """Behind a load balancer each request may reach another node: one secret, sessions and login
    throttling in the database."""
    database, node = shared
    a, b = node("node-a"), node("node-b")
    browser = a.browser("anna")  # cookies are per host, not per port: one jar, as behind one address
    browser.node = b
    assert browser.get("/")[0] == 200 and "Anna Lindberg" in browser.get("/")[1]
    assert browser.post("/auth/logout", {}, form_page="/") == 200  # logged out on node-b
    browser.node = a
    status, page = browser.get("/")
    assert status == 200 and 'name="password"' in page and "Anna Lindberg" not in page  # out on node-a too

    stranger = Browser(a)
    for attempt in range(5):  # wrong passwords, alternating between the nodes
        stranger.node = (a, b)[attempt % 2]
        assert stranger.post("/auth/login", {"username": "mikko", "password": "wrong"}) == 400
    stranger.node = b
    assert stranger.post("/auth/login", {"username": "mikko", "password": DEMO_PASSWORD}) == 429  # locked everywhere
