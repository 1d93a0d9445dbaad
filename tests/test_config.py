"""One configuration for the web app and the `kb` command: the same keys, defaults and order of loading."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from kb import config
from kb.models import OutboxMessage
from webapp import create_app

from .conftest import AuthActions
from .test_cli import run_kb
from .test_mail import message

README = Path(__file__).resolve().parent.parent / "README.md"


def _outbox(db, recipient):
    db.expire_all()
    return db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                      .order_by(OutboxMessage.id)).all()


def _ingest(instance, tmp_path, **env):
    path = tmp_path / "m.eml"
    path.write_bytes(message("liisa.virtanen@kuljetusvirtanen.example", "Tilinpäätös jumittaa", "Kysymys"))
    result = run_kb("mail", "ingest", str(path), instance=instance, **env)
    assert result.returncode == 0 and result.stdout.startswith("created"), result.stderr
    return int(result.stdout.split()[1])


def test_kb_mail_ingest_tells_support_with_the_default_settings(app, instance, tmp_path, db):
    number = _ingest(instance, tmp_path)
    support = app.config["SUPPORT_EMAIL"]
    assert support == config.DEFAULTS["SUPPORT_EMAIL"] == "support@aurora.example"
    [mail] = _outbox(db, support)
    assert str(number) in mail.subject and f"http://127.0.0.1:5000/tickets/{number}" in mail.body_text


def test_without_base_url_the_cli_links_to_the_port_kb_serve_listens_on(app, instance, tmp_path, db):
    number = _ingest(instance, tmp_path, PORT="8123")
    [mail] = _outbox(db, "support@aurora.example")
    assert f"http://127.0.0.1:8123/tickets/{number}" in mail.body_text


def test_a_mail_link_uses_base_url_from_config_py_in_the_app_and_the_cli(instance, tmp_path, db):
    with (instance / "config.py").open("a", encoding="utf-8") as fh:
        fh.write('BASE_URL = "https://tuki.aurora.example/"\nSUPPORT_EMAIL = "tuki@aurora.example"\n')
    number = _ingest(instance, tmp_path)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "MAIL_SEND_AFTER_REQUEST": False})
    assert app.config["TRUSTED_HOSTS"] == ["tuki.aurora.example"]  # the host of BASE_URL, unless set
    app.config["TRUSTED_HOSTS"] = ["localhost"]  # the test client's
    try:
        client = app.test_client()
        assert AuthActions(client).login("liisa").status_code == 302
        response = AuthActions(client).post(f"/tickets/{number}/comments", data={"body": "Koskee kaikkia."})
        assert response.status_code == 302
        response.close()
    finally:
        app.extensions["kb_database"].dispose()
    from_cli, from_app = _outbox(db, "tuki@aurora.example")
    assert f"https://tuki.aurora.example/tickets/{number}" in from_cli.body_text
    assert "Koskee kaikkia." in from_app.body_text
    assert f"https://tuki.aurora.example/tickets/{number}" in from_app.body_text


def test_without_base_url_a_test_app_links_to_kb_serves_address_never_the_requests(app, instance, tmp_path, db):
    number = _ingest(instance, tmp_path)
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "evil.example"
    assert AuthActions(client).login("liisa").status_code == 302
    response = AuthActions(client).post(f"/tickets/{number}/comments", data={"body": "Koskee kaikkia."})
    assert response.status_code == 302
    response.close()
    from_cli, from_app = _outbox(db, "support@aurora.example")
    assert f"http://127.0.0.1:5000/tickets/{number}" in from_cli.body_text
    assert f"http://127.0.0.1:5000/tickets/{number}" in from_app.body_text
    assert "evil.example" not in from_app.body_text and "localhost" not in from_app.body_text


def test_the_environment_wins_over_config_py_and_is_typed(tmp_path):
    (tmp_path / "config.py").write_text("SMTP_PORT = 2525\nREOPEN_DAYS = 7\nSECRET_KEY = 'k'\n", encoding="utf-8")
    values = config.load(tmp_path, {"KB_SMTP_PORT": "587", "KB_SMTP_PASSWORD": "1234", "KB_MAIL_SEND_AFTER_REQUEST": "false"})
    assert values["SMTP_PORT"] == 587 and values["REOPEN_DAYS"] == 7 and values["SECRET_KEY"] == "k"
    assert values["SMTP_PASSWORD"] == "1234" and values["MAIL_SEND_AFTER_REQUEST"] is False
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path)})
    loaded = config.load(tmp_path)
    derived = {"TRUSTED_HOSTS", "SESSION_COOKIE_SECURE"}  # unset, the app works them out from BASE_URL
    assert {key: app.config[key] for key in set(config.DECLARED) - derived} == \
        {key: loaded[key] for key in set(config.DECLARED) - derived}
    assert app.config["TRUSTED_HOSTS"] is None and app.config["SESSION_COOKIE_SECURE"] is False


def test_every_setting_is_in_the_readme_table_as_declared():
    text = README.read_text(encoding="utf-8")
    assert config.markdown_table() in text, "README.md's Configuration table is not kb.config.markdown_table()"
    documented = set(re.findall(r"^\| `([A-Z_]+)`", text.split("## Configuration")[1].split("\n## ")[0], re.M))
    assert documented == {setting.name for setting in config.SETTINGS}


def test_languages_open_statuses_and_facets_are_defined_once():
    root = README.parent
    engine = {"codec.py", "ranking.py", "bulk.py", "postings.py", "storage.py"}  # moving to indexer/engine/
    rules = {
        r"""[(\[]\s*["']sv["'],\s*["']fi["']""": "kb/config.py",  # LANGUAGES
        r"Status\.RESOLVED,\s*Status\.CLOSED|Status\.NEW,\s*Status\.IN_PROGRESS": "kb/models/ticket.py",  # statuses
        r"""["']product["'],\s*["']category["'],\s*["']version["'],\s*["']language["']""": "indexer/schema.py",
    }
    files = [p for folder in ("kb", "indexer", "webapp") for p in (root / folder).rglob("*")
             if p.suffix in (".py", ".html") and "migrations" not in p.parts
             and not (p.parent.name == "indexer" and p.name in engine)]
    for pattern, home in rules.items():
        found = sorted(str(p.relative_to(root)) for p in files if re.search(pattern, p.read_text(encoding="utf-8")))
        assert found == [home], pattern
