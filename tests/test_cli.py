"""The `kb` commands and their error paths: one clear line, non-zero exit, no traceback."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from kb.models import Role, Ticket, User
from webapp.cli import cli

KB = [sys.executable, "-c", "from webapp.cli import main; main()"]


def run_kb(*args, instance: Path, timeout=120, input=None, **env):
    """Run `kb` as a real process, as an operator would."""
    environment = {**os.environ, "KB_INSTANCE": str(instance), **env}
    return subprocess.run(KB + list(args), capture_output=True, text=True, env=environment, timeout=timeout,
                          input=input)


def assert_one_line_error(result):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")


def test_db_upgrade_creates_a_fresh_instance(tmp_path):
    instance = tmp_path / "fresh"
    result = run_kb("db", "upgrade", instance=instance)
    assert result.returncode == 0, result.stderr
    assert (instance / "kb.sqlite3").exists() and (instance / "index").is_dir()
    assert "SECRET_KEY" in (instance / "config.py").read_text()
    again = run_kb("db", "upgrade", instance=instance)
    assert again.returncode == 0


def test_commands_refuse_a_database_without_schema(tmp_path):
    result = run_kb("demo", "load", instance=tmp_path / "empty")
    assert_one_line_error(result)
    assert "kb db upgrade" in result.stderr


def test_database_errors_are_one_line(tmp_path):
    result = run_kb("db", "upgrade", instance=tmp_path / "x", KB_DATABASE_URL="sqlite:////nonexistent/dir/kb.db")
    assert_one_line_error(result)


def test_demo_load_is_idempotent(runner, db):
    tickets = db.scalar(select(func.count(Ticket.id)))
    users = db.scalar(select(func.count(User.id)))
    result = runner.invoke("demo", "load")
    assert result.exit_code == 0, result.output
    assert "0 new tickets" in result.output
    db.expire_all()
    assert db.scalar(select(func.count(Ticket.id))) == tickets >= 80
    assert db.scalar(select(func.count(User.id))) == users


def test_demo_generate_is_deterministic_and_in_the_import_format(tmp_path, runner):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert runner.invoke("demo", "generate", "--count", "500", "--seed", "7", "--out", str(a)).exit_code == 0
    assert runner.invoke("demo", "generate", "--count", "500", "--seed", "7", "--out", str(b)).exit_code == 0
    assert runner.invoke("demo", "generate", "--count", "500", "--seed", "8", "--out", str(c)).exit_code == 0
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    rows = [json.loads(line) for line in a.read_text("utf-8").splitlines()]
    assert len(rows) == 500 and len({r["external_id"] for r in rows}) == 500
    assert {r["language"] for r in rows} == {"sv", "fi"}
    for row in rows:
        assert row["subject"] and row["problem"] and row["solution"] and row["general"] is True
        assert row["resolved_at"].endswith("+00:00")
    words = " ".join(r["problem"] for r in rows).split()
    assert len(set(words)) > 500  # a real vocabulary, not a handful of words
    lengths = sorted(len(r["problem"].split()) for r in rows)
    assert lengths[0] < lengths[len(lengths) // 2] < lengths[-1]


def test_demo_generate_reports_an_unwritable_file(tmp_path):
    result = run_kb("demo", "generate", "--count", "5", "--out", str(tmp_path / "no" / "such" / "f.jsonl"),
                    instance=tmp_path)
    assert_one_line_error(result)


def test_user_create_and_its_errors(runner, db, app):
    result = runner.invoke("user", "create", "nils", "--name", "Nils Nyström", "--organisation", "ekholm",
                           "--role", "customer_admin", "--language", "sv", "--password", "Hemligt-Lösen-42")
    assert result.exit_code == 0, result.output
    nils = db.scalar(select(User).where(User.username == "nils"))
    assert nils.role == Role.CUSTOMER_ADMIN and nils.organisation.key == "ekholm"
    assert nils.password_hash != "Hemligt-Lösen-42"
    for args, message in [
        (["nils", "--organisation", "ekholm"], "taken"),
        (["olle", "--organisation", "nowhere"], "No organisation"),
        (["Bad Name!", "--organisation", "ekholm"], "username"),
    ]:
        result = CliRunner().invoke(cli, ["user", "create", *args, "--name", "X", "--password", "Hemligt-Lösen-42"])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["user", "create", "x1", "--name", "X", "--organisation", "ekholm",
                                      "--role", "king", "--password", "Hemligt-Lösen-42"])
    assert result.exit_code == 2 and "king" in result.output


def test_new_user_can_log_in(runner, auth):
    runner.invoke("user", "create", "maija", "--name", "Maija Mehiläinen", "--organisation", "virtanen",
                  "--language", "fi", "--password", "Salasana-Kesä-2026")
    response = auth.login("maija", "Salasana-Kesä-2026")
    assert response.status_code == 302
    assert "Tervetuloa" in auth.client.get("/").get_data(as_text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_serves_the_login_page(instance):
    for production in (False, True):
        port = _free_port()
        args = ["serve", "--port", str(port)] + (["--production", "--workers", "1"] if production else [])
        proc = subprocess.Popen(KB + args, env={**os.environ, "KB_INSTANCE": str(instance),
                                                "KB_BASE_URL": f"http://127.0.0.1:{port}"},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            body = None
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2) as resp:
                        body = resp.read().decode()
                    break
                except OSError:
                    time.sleep(0.1)
            assert body and "Suomi" in body and "Svenska" in body
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_serve_without_schema_fails_cleanly(tmp_path):
    assert_one_line_error(run_kb("serve", "--port", str(_free_port()), instance=tmp_path / "none"))


def test_only_db_upgrade_creates_an_instance(tmp_path):
    typo = tmp_path / "typo"
    for args in (["search", "x"], ["index", "status"], ["mail", "outbox"], ["user", "unlock", "anna"],
                 ["grants", "expire"], ["worker", "--once"], ["demo", "load"]):
        result = run_kb(*args, instance=typo)
        assert_one_line_error(result)
        assert "No instance at" in result.stderr and "kb db upgrade" in result.stderr, args
        assert not typo.exists(), args


def test_db_upgrade_says_created_for_a_new_database_and_up_to_date_after(tmp_path):
    first = run_kb("db", "upgrade", instance=tmp_path / "new")
    assert first.returncode == 0 and "Database created" in first.stdout, first.stderr
    again = run_kb("db", "upgrade", instance=tmp_path / "new")
    assert again.returncode == 0 and "Database is up to date" in again.stdout


def test_every_command_on_the_database_checks_its_schema(tmp_path):
    from kb import config

    instance = tmp_path / "old"
    config.ensure_instance(instance)
    (instance / "kb.sqlite3").write_bytes(b"")  # an empty database: no schema at all
    for args in (["search", "x"], ["mail", "outbox"], ["mail", "retry", "1"], ["user", "unlock", "anna"],
                 ["user", "deactivate", "anna"], ["user", "reset-password", "anna"]):
        result = run_kb(*args, instance=instance)
        assert_one_line_error(result)
        assert "not up to date" in result.stderr and "kb db upgrade" in result.stderr, args
    (instance / "kb.sqlite3").unlink()
    result = run_kb("mail", "outbox", instance=instance)
    assert_one_line_error(result)
    assert "No database at" in result.stderr and not (instance / "kb.sqlite3").exists()


def test_usage_errors_are_one_line(tmp_path):
    result = run_kb("search", "--foo", "x", instance=tmp_path)
    assert_one_line_error(result)
    assert result.stderr.strip() == "Error: No such option '--foo' (see kb search --help)"
    for args in (["--foo"], ["nosuch"], ["mail", "retry"], ["search", "--lang", "xx", "x"], ["user", "create", "x"]):
        result = run_kb(*args, instance=tmp_path)
        assert_one_line_error(result)
        assert "--help)" in result.stderr, args


def test_the_command_is_assembled_in_one_place():
    import kb.cli
    import webapp.cli

    assert not hasattr(kb.cli, "cli")  # the domain defines its groups; webapp/cli.py puts them together
    assert sorted(webapp.cli.cli.commands) == ["admin", "backup", "db", "demo", "grants", "import", "index", "mail",
                                               "reindex", "restore", "search", "serve", "user", "worker"]
    assert sorted(webapp.cli.cli.commands["user"].commands) == ["create", "deactivate", "reset-password",
                                                                "totp-code", "two-factor-reset", "unlock"]
