"""Backups of an instance: the database first, then the attachment files its rows point to, then a
manifest with counts and checksums; a restore checks the manifest before it touches anything.

Order matters: attachments are written to disk before their row commits, so every attachment in a
database snapshot has its file by the time the snapshot is taken. Copying the folder first and the
database after loses the files of the attachments added in between (seen under writes).

SQLite is copied with its online backup API (consistent while the app writes); PostgreSQL with
`pg_dump --format=custom` (a consistent snapshot), restored with `pg_restore --clean`. The search index
is not backed up: the restore rebuilds it (indexer/cli.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from .attachments import AttachmentStore
from .errors import KbError
from .models import Attachment, AttachmentContent, Comment, Organisation, Ticket, User

MANIFEST = "manifest.json"
FORMAT = 1
COUNTED = {"tickets": Ticket, "comments": Comment, "attachments": Attachment, "users": User,
           "organisations": Organisation}
CHUNK = 1 << 20


@dataclass
class Report:
    counts: dict[str, int]
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _pg_url(url: str) -> str:
    """A libpq URL for pg_dump and pg_restore (without SQLAlchemy's driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise KbError("%(program)s is needed for a PostgreSQL database; install PostgreSQL's client tools.",
                      program=args[0]) from None
    if done.returncode:
        raise KbError("%(program)s failed: %(error)s", program=args[0], error=done.stderr.strip()[-500:])


def _rows(conn) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    counts = {name: conn.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}
    # The files of the attachments folder; those kept in the database (ATTACHMENT_STORAGE) are in its copy.
    in_database = select(AttachmentContent.attachment_id).where(AttachmentContent.attachment_id == Attachment.id)
    files = [tuple(row) for row in conn.execute(
        select(Attachment.id, Attachment.sha256, Attachment.size).where(~in_database.exists()).order_by(Attachment.id))]
    return counts, files


def _counts(url: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Rows per table, and every attachment (id, sha256, size), of a database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _rows(conn)
    finally:
        engine.dispose()


def _snapshot(url: str, target: Path) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Copy the database into `target`; the counts and attachments of exactly that copy."""
    if _is_sqlite(url):
        source = sqlite3.connect(make_url(url).database)
        try:
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
        return _counts(f"sqlite:///{target}")
    # PostgreSQL: pg_dump reads the snapshot of a transaction held open here, which the counts read too.
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn, conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}",
                  _pg_url(url)])
            return _rows(conn)
    finally:
        engine.dispose()


def backup(url: str, instance: Path, target: Path, progress: Callable[[int], None] = lambda n: None,
           on_total: Callable[[int], None] = lambda n: None) -> Report:
    """Back up the database at `url` and the instance's attachments into the new folder `target`."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise KbError("%(folder)s is not empty: back up into a new folder.", folder=str(target))
    target.mkdir(parents=True, exist_ok=True)
    sqlite = _is_sqlite(url)
    database = target / ("kb.sqlite3" if sqlite else "kb.dump")
    # The attachments of the snapshot itself: a row committed after it is not asked for.
    counts, files = _snapshot(url, database)
    on_total(len(files))
    store, copy = AttachmentStore(Path(instance) / "attachments"), AttachmentStore(target / "attachments")
    total = 0
    for attachment_id, sha256, size in files:
        source, destination = store.path(attachment_id), copy.path(attachment_id)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(source, destination)
        except FileNotFoundError:
            raise KbError("The file of attachment %(id)s is missing from %(folder)s.", id=attachment_id,
                          folder=str(store.root)) from None
        if _sha256(destination) != sha256:
            raise KbError("The file of attachment %(id)s does not match its checksum.", id=attachment_id)
        total += size
        progress(1)
    manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "database": {"file": database.name, "kind": "sqlite" if sqlite else "postgresql",
                             "sha256": _sha256(database), "size": database.stat().st_size},
                "counts": counts,
                "attachments": [{"id": i, "sha256": s, "size": n} for i, s, n in files]}
    tmp = target / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, target / MANIFEST)  # written last: a folder without it is no finished backup
    return Report(counts, len(files), total)


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise KbError("%(folder)s holds no finished backup (no manifest.json).", folder=str(source))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise KbError("The manifest of %(folder)s cannot be read.", folder=str(source)) from None
    if manifest.get("format") != FORMAT:
        raise KbError("The backup in %(folder)s has an unknown format.", folder=str(source))
    return manifest


def verify(source: Path, progress: Callable[[int], None] = lambda n: None) -> dict:
    """Check a backup against its manifest: the database file and every attachment, by checksum."""
    source = Path(source)
    manifest = read_manifest(source)
    database = source / manifest["database"]["file"]
    if not database.is_file() or _sha256(database) != manifest["database"]["sha256"]:
        raise KbError("The database file of the backup is missing or damaged.")
    copy = AttachmentStore(source / "attachments")
    for item in manifest["attachments"]:
        path = copy.path(item["id"])
        if not path.is_file() or _sha256(path) != item["sha256"]:
            raise KbError("The file of attachment %(id)s is missing from the backup or damaged.", id=item["id"])
        progress(1)
    return manifest


def restore(source: Path, url: str, instance: Path, force: bool = False,
            progress: Callable[[int], None] = lambda n: None, on_total: Callable[[int], None] = lambda n: None) -> Report:
    """Restore a verified backup into the database at `url` and the instance's attachments folder. An
    instance that already holds tickets is refused unless `force`. The search index is left to rebuild."""
    source, instance = Path(source), Path(instance)
    manifest = read_manifest(source)
    on_total(2 * len(manifest["attachments"]))
    verify(source, progress)
    kind = manifest["database"]["kind"]
    sqlite = _is_sqlite(url)
    if (kind == "sqlite") != sqlite:
        raise KbError("The backup is of a %(kind)s database; restore it into one of the same kind.", kind=kind)
    if not force and _holds_tickets(url):
        raise KbError("The database already holds tickets: restore into a new instance, or use --force.")
    database = source / manifest["database"]["file"]
    if sqlite:
        path = Path(make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".restoring")
        shutil.copyfile(database, tmp)
        for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        os.replace(tmp, path)
    else:
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_pg_url(url)}", str(database)])
    store, copy = AttachmentStore(instance / "attachments"), AttachmentStore(source / "attachments")
    total = 0
    for item in manifest["attachments"]:
        destination = store.path(item["id"])
        destination.parent.mkdir(parents=True, exist_ok=True)
        tmp = destination.with_name(destination.name + ".tmp")
        shutil.copyfile(copy.path(item["id"]), tmp)
        os.replace(tmp, destination)
        total += item["size"]
        progress(1)
    counts, _files = _counts(url)
    if counts != manifest["counts"]:
        raise KbError("The restored database does not hold what the manifest counts.")
    return Report(counts, len(manifest["attachments"]), total)


def _holds_tickets(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                return bool(conn.scalar(text("SELECT count(*) FROM ticket")))
            except Exception:  # noqa: BLE001  (no schema yet: nothing to overwrite)
                return False
    finally:
        engine.dispose()
