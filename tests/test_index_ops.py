"""Import, rebuild (atomic, exclusive, killable), and query robustness."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from indexer.searching import SearchRequest
from kb.db import writing
from kb.models import Ticket

from .test_cli import KB, assert_one_line_error, run_kb


def write_lines(path, items):
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in items) + "\n",
                    encoding="utf-8")
    return path


def test_import_reports_bad_lines_and_updates_by_external_id(tmp_path, instance, db, app):
    good = {"language": "sv", "subject": "Importerat ärende om kvittoskanning", "problem": "Kvittona skannas inte.",
            "solution": "Uppdatera appen.", "product": "bookkeeping", "resolved_at": "2025-03-01T10:00:00Z",
            "general": True, "external_id": "old-1"}
    lines = [good,
             "{not json",
             {"language": "en", "subject": "x", "problem": "y"},
             {"language": "fi", "subject": "", "problem": "y"},
             {"language": "fi", "subject": "Vain otsikko"},
             {"language": "fi", "subject": "Tuote puuttuu", "problem": "p", "product": "nope"},
             {"language": "fi", "subject": "Päivä väärin", "problem": "p", "resolved_at": "yesterday"},
             {"language": "fi", "subject": "Kuittien skannaus", "solution": "Päivitä sovellus.", "external_id": "old-2"}]
    result = run_kb("import", str(write_lines(tmp_path / "a.jsonl", lines)), instance=instance)
    assert result.returncode == 0, result.stderr
    for line in (2, 3, 4, 5, 6, 7):
        assert f"line {line}:" in result.stderr
    assert "line 1:" not in result.stderr and "line 8:" not in result.stderr
    assert "Imported 2 new and 0 updated" in result.stdout
    ix = app.extensions["kb_index"]
    assert [h.title for h in ix.search(SearchRequest(text="kvittoskanning", as_you_type=False)).hits] == \
        ["Importerat ärende om kvittoskanning"]
    good["solution"] = "Installera om appen från början."
    result = run_kb("import", str(write_lines(tmp_path / "b.jsonl", [good])), instance=instance)
    assert "Imported 0 new and 1 updated" in result.stdout
    assert db.scalar(select(func.count(Ticket.id)).where(Ticket.external_id == "old-1")) == 1
    assert ix.search(SearchRequest(text="installera början", mode="solution", as_you_type=False)).total == 1


def test_import_of_only_bad_lines_fails(tmp_path, instance):
    result = run_kb("import", str(write_lines(tmp_path / "bad.jsonl", ["[]", "{}"])), instance=instance)
    assert result.returncode == 1 and "line 1:" in result.stderr and "Traceback" not in result.stderr


def test_import_missing_file_is_one_line(tmp_path, instance):
    result = run_kb("import", str(tmp_path / "missing.jsonl"), instance=instance)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_rebuild_is_refused_while_another_runs(app, instance):
    ix = app.extensions["kb_index"]
    with ix.generations.rebuild_lock() as free:
        assert free
        result = run_kb("reindex", instance=instance)
    assert_one_line_error(result)
    assert "already running" in result.stderr


def running(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie waiting for its parent has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_killed_rebuild_leaves_the_live_index_untouched(tmp_path, app, instance):
    corpus = tmp_path / "corpus.jsonl"
    assert run_kb("demo", "generate", "--count", "3000", "--out", str(corpus), instance=instance).returncode == 0
    assert run_kb("import", str(corpus), instance=instance).returncode == 0
    ix = app.extensions["kb_index"]
    before_generation = ix.generation()
    before = ix.search(SearchRequest(text="", page_size=20)).total
    proc = subprocess.Popen(KB + ["reindex", "--procs", "2"], env={**os.environ, "KB_INSTANCE": str(instance)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.time() + 60
    while time.time() < deadline and not (len(list((instance / "index").glob("gen-*"))) >= 2
                                          and len(children.read_text().split()) >= 2):  # the writer processes
        time.sleep(0.05)
    time.sleep(0.5)
    writers = [int(pid) for pid in children.read_text().split()]
    during = ix.search(SearchRequest(text="", page_size=20)).total  # the live index answers during a rebuild
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20  # the writer processes notice that the rebuild is gone, and end
    while time.time() < deadline and any(map(running, writers)):
        time.sleep(0.1)
    assert writers and not any(map(running, writers))
    assert during == before
    assert ix.generation() == before_generation
    assert ix.search(SearchRequest(text="", page_size=20)).total == before
    result = run_kb("reindex", instance=instance)  # the next rebuild cleans up and succeeds
    assert result.returncode == 0, result.stderr
    assert ix.generation() != before_generation
    assert len(list((instance / "index").glob("gen-*"))) == 1
    assert ix.search(SearchRequest(text="", page_size=20)).total == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120),
       mode=st.sampled_from(["free", "problem", "solution"]), language=st.sampled_from(["sv", "fi", "all"]),
       typing=st.booleans())
def test_no_query_raises_or_hangs(index, text, mode, language, typing):
    ix = index
    started = time.monotonic()
    result = ix.search(SearchRequest(text=text, mode=mode, language=language, as_you_type=typing))
    ix.suggest(text)
    assert result.total >= 0
    assert time.monotonic() - started < 5.0  # a guard against runaway expansion, not a speed measure


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(['"', "-", "OR", "*", "?", ":", "(", ")", "~", "^", "\\", "AND", "NOT",
                                       "problem_sv:x", "title:", "moms", "ärende", "palkka"]), max_size=12))
def test_query_syntax_soup_never_raises(index, words):
    ix = index
    for mode in ("free", "problem", "solution"):
        ix.search(SearchRequest(text=" ".join(words), mode=mode))
        ix.search(SearchRequest(text="".join(words), mode=mode))


def test_the_after_request_work_takes_no_write_lock_when_there_is_nothing_to_do(app, instance):
    """The index drain and the mail delivery run after every write request: with nothing to apply, send
    or forget, they only read, so they neither wait for nor hold up a writer."""
    import sqlite3
    import threading

    from kb.mail.delivery import deliver
    from kb.mail.settings import MailSettings

    database, index = app.extensions["kb_database"], app.extensions["kb_index"]
    index.rebuild(database)
    deliver(database, MailSettings(base_url="http://x", maildir=instance / "maildir"))  # the demo's mail, sent
    index.sync(database)
    writer = sqlite3.connect(instance / "kb.sqlite3", timeout=0.1)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        done = []
        work = threading.Thread(target=lambda: done.append(
            (index.sync(database), deliver(database, MailSettings(base_url="http://x", maildir=instance / "maildir")))))
        work.start()
        work.join(timeout=10)
        assert done, "the drain waited for the write lock with nothing to do"
    finally:
        writer.rollback()
        writer.close()
        work.join()


def test_the_health_endpoint_reports_this_nodes_place_in_the_index_feed(app, client, db):
    starting = client.get("/health")
    assert starting.status_code == 503 and starting.json["status"] == "starting"  # no index yet
    app.extensions["kb_index"].rebuild(app.extensions["kb_database"])
    ready = client.get("/health")
    assert ready.status_code == 200 and ready.json["index"]["behind"] == 0
    head = ready.json["index"]["head"]
    ticket = db.scalar(select(Ticket).where(Ticket.is_published))
    with writing(db):
        ticket.published_title = "Ny rubrik"
    behind = client.get("/health").json["index"]
    assert behind["head"] == head + 1 and behind["behind"] == 1  # written by another process: not applied yet
