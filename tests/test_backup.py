"""`kb backup` and `kb restore`: a backup taken while tickets with attachments are written restores
everything it holds, byte for byte; a damaged backup is refused before anything is touched."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
from sqlalchemy import func, select

from indexer.searching import SearchRequest
from indexer.experience import ExperienceIndex
from kb import tickets as workflow
from kb.attachments import AttachmentStore, Upload
from kb.db import Database, writing
from kb.models import Attachment, Ticket, User

from .test_cli import assert_one_line_error, run_kb


def _writer(app, stop: threading.Event, written: list[int]) -> None:
    """Tickets with a file each, as fast as they go, until stopped."""
    store = app.extensions["kb_attachments"]
    with app.extensions["kb_database"].session() as session:
        anna = session.scalar(select(User).where(User.username == "anna"))
        n = 0
        while not stop.is_set():
            with writing(session):
                ticket = workflow.create_ticket(session, anna, subject=f"Under backup {n}",
                                                description="Skrivs under säkerhetskopieringen.", product="payroll")
                store.attach(session, ticket, anna, [Upload(f"logg{n}.txt", os.urandom(4000).hex().encode())])
            written.append(ticket.number)
            n += 1


@pytest.fixture
def empty_database(database_kind, request) -> dict:
    """The environment of `kb` for a new instance: SQLite in its folder, or a new empty PostgreSQL database."""
    if database_kind == "sqlite":
        return {}
    return {"KB_DATABASE_URL": request.getfixturevalue("postgres").create_database()}


def test_a_backup_under_writes_restores_every_attachment_byte_for_byte(app, instance, tmp_path, empty_database):
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(app, stop, written))
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        result = run_kb("backup", str(tmp_path / "backup"), instance=instance)
        before = len(written)
        while len(written) < before + 20:  # the writes go on after the backup too
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert "Backing up" in result.stderr or "Backing up" in result.stdout  # the progress bar
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["counts"]["attachments"] == len(manifest["attachments"]) >= 20

    restored = tmp_path / "restored"
    result = run_kb("restore", str(tmp_path / "backup"), instance=restored, **empty_database)
    assert result.returncode == 0, result.stderr
    database = Database(empty_database.get("KB_DATABASE_URL") or f"sqlite:///{restored / 'kb.sqlite3'}")
    try:
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == manifest["counts"]["tickets"]
            rows = list(session.scalars(select(Attachment)))
            assert len(rows) == manifest["counts"]["attachments"]
            original, copy = AttachmentStore(instance / "attachments"), AttachmentStore(restored / "attachments")
            for row in rows:  # every file a restored row points to is there, the same bytes
                assert copy.read(row) == original.read(row)
            numbers = set(session.scalars(select(Ticket.number)))
            assert written[0] in numbers and written[-1] not in numbers  # the snapshot, not what came after
    finally:
        database.dispose()
    found = ExperienceIndex(restored / "index").search(SearchRequest(text="semesterlöneskuld", as_you_type=False))
    assert found.total > 0  # the index was rebuilt


def test_a_damaged_backup_or_a_full_instance_is_refused(app, instance, tmp_path, empty_database):
    assert run_kb("backup", str(tmp_path / "backup"), instance=instance).returncode == 0
    assert_one_line_error(run_kb("backup", str(tmp_path / "backup"), instance=instance))  # not over a backup
    assert_one_line_error(run_kb("restore", str(tmp_path / "backup"), instance=instance))  # holds tickets
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    if manifest["attachments"]:
        item = manifest["attachments"][0]
        path = AttachmentStore(tmp_path / "backup" / "attachments").path(item["id"])
        path.write_bytes(b"x" + path.read_bytes()[1:])
    else:
        with (tmp_path / "backup" / manifest["database"]["file"]).open("r+b") as f:
            f.seek(100)
            f.write(b"\0")
    fresh = tmp_path / "fresh"
    result = run_kb("restore", str(tmp_path / "backup"), instance=fresh, **empty_database)
    assert_one_line_error(result)
    assert "damaged" in result.stderr and not (fresh / "kb.sqlite3").exists()
    assert_one_line_error(run_kb("restore", str(tmp_path / "nothing-here"), instance=fresh, **empty_database))
