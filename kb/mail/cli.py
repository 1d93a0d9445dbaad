"""`kb mail ingest|serve|outbox|retry`: one-liners over kb.mail."""
from __future__ import annotations

import asyncio
import mailbox
import sys
import time
from pathlib import Path

import click

from ..attachments import AttachmentStore, store_for
from ..cli import Instance, pass_instance
from . import delivery
from .ingest import ingest


def _store(inst: Instance) -> AttachmentStore:
    return store_for(inst.settings["ATTACHMENT_STORAGE"], inst.path, inst.db)


def _ingest_one(inst: Instance, raw: bytes) -> str:
    with inst.db.session() as session:
        result = ingest(session, raw, _store(inst), inst.mail)
    note = f" (not attached: {', '.join(result.skipped_files)})" if result.skipped_files else ""
    return f"{result.action}{' ' + str(result.number) if result.number else ''}{note}"


@click.group("mail")
def mail_group() -> None:
    """E-mail to and from support."""


@mail_group.command("ingest")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--maildir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Read every message of a maildir (and remove each once it is registered).")
@pass_instance
def ingest_command(inst: Instance, file: Path | None, maildir: Path | None) -> None:
    """Register RFC 822 messages sent to support: a FILE, standard input (-) or a --maildir."""
    inst.require_schema()
    if maildir is not None:
        box = mailbox.Maildir(str(maildir), create=False)
        keys, failed = list(box.keys()), 0
        with click.progressbar(keys, label="Reading mail") as bar:
            for key in bar:
                try:
                    outcome = _ingest_one(inst, box.get_bytes(key))
                except Exception as exc:  # one bad message does not stop the rest; it stays in the maildir
                    failed += 1
                    click.echo(f"{key}: error: {exc}", err=True)
                    continue
                box.remove(key)
                click.echo(f"{key}: {outcome}", err=True)
        click.echo(f"Read {len(keys) - failed} messages.")
        if failed:
            raise click.ClickException(f"{failed} messages could not be read and were left in {maildir}.")
        return
    raw = sys.stdin.buffer.read() if file in (None, Path("-")) else file.read_bytes()
    click.echo(_ingest_one(inst, raw))


@mail_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=2525, show_default=True)
@pass_instance
def serve_command(inst: Instance, host: str, port: int) -> None:
    """Accept mail to support over SMTP and register each message as it arrives."""
    from aiosmtpd.controller import Controller

    inst.require_schema()

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            try:
                outcome = await asyncio.to_thread(_ingest_one, inst, envelope.original_content or envelope.content)
            except Exception as exc:  # the sender keeps the message and tries again
                click.echo(f"error: {exc}", err=True)
                return "451 Requested action aborted: error in processing"
            click.echo(f"{envelope.mail_from}: {outcome}")
            return "250 Message accepted"

    controller = Controller(Handler(), hostname=host, port=port)
    controller.start()
    click.echo(f"Receiving mail on {host}:{port} (instance {inst.path}); Ctrl+C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@mail_group.command("outbox")
@pass_instance
def outbox_command(inst: Instance) -> None:
    """List the messages that could not be sent (dead letters)."""
    for item in delivery.dead_letters(inst.db):
        click.echo(f"{item.id}\t{item.recipient}\t{item.subject}\t{item.last_error}")


@mail_group.command("retry")
@click.argument("message_id", type=int)
@pass_instance
def retry_command(inst: Instance, message_id: int) -> None:
    """Send a dead letter again."""
    if not delivery.retry(inst.db, message_id):
        raise click.ClickException(f"message {message_id} is not a dead letter")
    click.echo(f"Message {message_id} will be sent again.")
