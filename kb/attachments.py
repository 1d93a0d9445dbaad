"""Attachments: which files are allowed, where they are kept, and files held while a form is corrected."""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .db import Database, writing
from .errors import N_, KbError, ValidationError
from .models import Attachment, AttachmentContent, Comment, StagedFile, Ticket, User

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
# Images (screenshots), PDF, Office documents, text and logs, zip. Never HTML or SVG: nothing a browser runs.
CONTENT_TYPES = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".bmp": "image/bmp",
    ".pdf": "application/pdf",
    ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text", ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".txt": "text/plain", ".log": "text/plain", ".csv": "text/csv", ".xml": "text/plain", ".json": "text/plain",
    ".zip": "application/zip",
}
ALLOWED_EXTENSIONS = tuple(sorted(CONTENT_TYPES))
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_STAGED_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class Upload:
    """A file as it arrived: its name as the user had it and its bytes."""

    filename: str
    data: bytes


@dataclass
class Staged:
    """A file kept for a form that is being corrected, so nothing attached is lost."""

    id: str
    filename: str
    size: int


def clean_filename(name: str) -> str:
    """The file's own name without any path, control or shell characters; never empty."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200] or "file"


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def check(uploads: list[Upload], already: int = 0) -> dict[str, str]:
    """Errors for the attachments field, or an empty dict when every file may be attached."""
    if len(uploads) + already > MAX_FILES:
        return {"attachments": N_("You can attach at most 10 files.")}
    for upload in uploads:
        if extension(upload.filename) not in CONTENT_TYPES:
            return {"attachments": N_("This type of file cannot be attached. Allowed: images, PDF, Office "
                                      "documents, text and log files, zip.")}
        if len(upload.data) > MAX_FILE_BYTES:
            return {"attachments": N_("A file can be at most 10 MB.")}
        if not upload.data:
            return {"attachments": N_("The file is empty.")}
    return {}


class AttachmentStore:
    """Where attachments and held files are kept: in the instance's attachments folder (this class; the
    default), or in the database (`DatabaseStore`, for several app nodes). Files are named by their
    unguessable ids, written once, and checked against their SHA-256 when read."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, attachment_id: str) -> Path:
        return self.root / attachment_id[:2] / attachment_id

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def attach(self, session: Session, ticket: Ticket, user: User, uploads: list[Upload],
               comment: Comment | None = None) -> list[Attachment]:
        """Save checked files on a ticket (and a comment); the change log records each."""
        errors = check(uploads)
        if errors:
            raise ValidationError(errors)
        saved = []
        for upload in uploads:
            name = clean_filename(upload.filename)
            attachment = Attachment(ticket=ticket, comment=comment, uploaded_by_id=user.id, filename=name,
                                    content_type=CONTENT_TYPES[extension(name)], size=len(upload.data),
                                    sha256=hashlib.sha256(upload.data).hexdigest())
            session.add(attachment)
            session.flush()
            self._put(session, attachment, upload.data)
            saved.append(attachment)
        return saved

    def _put(self, session: Session, attachment: Attachment, data: bytes) -> None:
        self._write(self.path(attachment.id), data)

    def read(self, attachment: Attachment) -> bytes | None:
        """The attachment's bytes; None when they are missing or do not match the checksum."""
        try:
            data = self.path(attachment.id).read_bytes()
        except FileNotFoundError:
            return None
        return data if hashlib.sha256(data).hexdigest() == attachment.sha256 else None

    # -- files held for a form being corrected --------------------------------------------------------
    def stage(self, user: User, upload: Upload) -> Staged:
        return self._stage(user, upload)

    def stage_for_later(self, upload: Upload) -> Staged:
        """Hold a file sent by someone whose session had ended, until they log in again (`claim`)."""
        return self._stage(None, upload)

    def _stage(self, user: User | None, upload: Upload) -> Staged:
        staged_id = secrets.token_urlsafe(24)
        meta = {"user": user.id if user is not None else None, "filename": clean_filename(upload.filename),
                "size": len(upload.data)}
        self._put_staged(staged_id, meta, upload.data)
        return Staged(staged_id, meta["filename"], meta["size"])

    def staged(self, user: User, staged_ids: list[str]) -> list[tuple[Staged, Upload]]:
        """The user's own held files; ids of other users' files, or made up, are ignored."""
        found = []
        for staged_id in dict.fromkeys(staged_ids):
            held = self._get_staged(staged_id) if _STAGED_ID.match(staged_id or "") else None
            if held is not None and held[0].get("user") == user.id:
                meta, data = held
                found.append((Staged(staged_id, meta["filename"], len(data)), Upload(meta["filename"], data)))
        return found

    def claim(self, user: User, staged_ids: list[str]) -> None:
        """Files held without an owner (`stage_for_later`) become the user's: the ids came back with their
        login, and an id is unguessable."""
        for staged_id in staged_ids:
            if _STAGED_ID.match(staged_id or ""):
                self._claim_staged(staged_id, user.id)

    def discard(self, staged_ids: list[str]) -> None:
        for staged_id in staged_ids:
            if _STAGED_ID.match(staged_id or ""):
                self._delete_staged(staged_id)

    def _staged_path(self, staged_id: str) -> Path:
        return self.root / "staged" / staged_id

    def _put_staged(self, staged_id: str, meta: dict, data: bytes) -> None:
        path = self._staged_path(staged_id)
        self._write(path, data)
        self._write(path.with_suffix(".json"), json.dumps(meta).encode())

    def _get_staged(self, staged_id: str) -> tuple[dict, bytes] | None:
        path = self._staged_path(staged_id)
        try:
            return json.loads(path.with_suffix(".json").read_text()), path.read_bytes()
        except (OSError, ValueError):
            return None

    def _claim_staged(self, staged_id: str, user_id: int) -> None:
        meta_path = self._staged_path(staged_id).with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            return
        if meta.get("user") is None:
            meta["user"] = user_id
            self._write(meta_path, json.dumps(meta).encode())

    def _delete_staged(self, staged_id: str) -> None:
        for path in (self._staged_path(staged_id), self._staged_path(staged_id).with_suffix(".json")):
            path.unlink(missing_ok=True)


class DatabaseStore(AttachmentStore):
    """Attachments and held files in the database, which every app node reads: an upload is committed
    with its row or not at all, and a backup of the database holds them. Attachments written to the
    folder before the switch are still read from it (`root`)."""

    def __init__(self, root: Path, database: Database):
        super().__init__(root)
        self.database = database

    def _put(self, session: Session, attachment: Attachment, data: bytes) -> None:
        session.add(AttachmentContent(attachment_id=attachment.id, data=data))

    def read(self, attachment: Attachment) -> bytes | None:
        with self.database.session() as session:
            data = session.scalar(select(AttachmentContent.data).where(AttachmentContent.attachment_id == attachment.id))
        if data is None:
            return super().read(attachment)
        return data if hashlib.sha256(data).hexdigest() == attachment.sha256 else None

    def _put_staged(self, staged_id: str, meta: dict, data: bytes) -> None:
        with self.database.session() as session, writing(session):
            session.add(StagedFile(id=staged_id, user_id=meta["user"], filename=meta["filename"], data=data))

    def _get_staged(self, staged_id: str) -> tuple[dict, bytes] | None:
        with self.database.session() as session:
            row = session.get(StagedFile, staged_id)
            return None if row is None else ({"user": row.user_id, "filename": row.filename}, row.data)

    def _claim_staged(self, staged_id: str, user_id: int) -> None:
        with self.database.session() as session, writing(session):
            session.execute(update(StagedFile).where(StagedFile.id == staged_id, StagedFile.user_id.is_(None))
                            .values(user_id=user_id))

    def _delete_staged(self, staged_id: str) -> None:
        with self.database.session() as session, writing(session):
            session.execute(delete(StagedFile).where(StagedFile.id == staged_id))


STORAGES = ("folder", "database")


def store_for(storage: str, instance: Path, database: Database) -> AttachmentStore:
    """The store an ATTACHMENT_STORAGE setting names (kb/config.py)."""
    if storage not in STORAGES:
        raise KbError("ATTACHMENT_STORAGE must be one of %(names)s, not %(name)s.", names=", ".join(STORAGES),
                      name=str(storage))
    root = Path(instance) / "attachments"
    return DatabaseStore(root, database) if storage == "database" else AttachmentStore(root)
