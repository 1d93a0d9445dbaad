"""Files in the web pages: the files a form sends (held while the user corrects the form), and an
attachment sent back as a download."""
from __future__ import annotations

import io

from flask import abort, current_app, request, send_file

from kb.attachments import AttachmentStore, Staged, Upload, check
from kb.models import User


def attachment_store() -> AttachmentStore:
    return current_app.extensions["kb_attachments"]


def uploads() -> list[Upload]:
    """The files sent with the form (pasted and dropped screenshots arrive as files too)."""
    return [Upload(f.filename or "", f.read()) for f in request.files.getlist("attachments") if f and f.filename]


def held_files(user: User) -> tuple[list[Staged], list[Upload]]:
    """Files held from an earlier try of the same form (less those the user removed), plus the ones sent
    now, held too; and every file to attach. A file that can never be attached (wrong type, too large,
    empty) is not held, so it cannot keep the form from being sent: the domain's check says why."""
    store = attachment_store()
    removed = set(request.form.getlist("unstage"))
    held = store.staged(user, request.form.getlist("staged"))
    store.discard([s.id for s, _u in held if s.id in removed])
    held = [(s, u) for s, u in held if s.id not in removed]
    refused = []
    for upload in uploads():
        if check([upload]):
            refused.append(upload)
        else:
            held.append((store.stage(user, upload), upload))
    return [s for s, _u in held], [u for _s, u in held] + refused


def download(found):
    """Always a download, never shown inline: no uploaded HTML or SVG can run in the portal."""
    data = attachment_store().read(found)
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
