"""The `kb` command line: what every command works on (Instance, `--instance`), one-line errors (KbGroup),
and the database and demo commands. webapp/cli.py assembles the whole command."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from . import config, corpus, demo, migrate
from .db import Database
from .errors import KbError, ValidationError
from .mail.settings import MailSettings


class Instance:
    """What every command works on: the instance folder, its settings and its database. Nothing here
    creates the instance: only `kb db upgrade` (and `kb restore`) do."""

    def __init__(self, path: Path | None = None):
        self.path = path or config.instance_path()

    @cached_property
    def settings(self) -> dict:
        return config.load(self.path)

    @cached_property
    def url(self) -> str:
        return self.settings["DATABASE_URL"]

    @cached_property
    def mail(self) -> MailSettings:
        return MailSettings.from_config(self.settings, self.path)

    @cached_property
    def db(self) -> Database:
        """The database, once the instance exists and its schema is the newest."""
        if not self.path.is_dir():
            raise KbError("No instance at %(path)s: `kb db upgrade` creates one.", path=self.path)
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).exists():
            raise KbError("No database at %(path)s: `kb db upgrade` creates it.", path=url.database)
        database = Database(self.url)
        if not migrate.is_current(database.engine):
            database.dispose()
            raise KbError("The database is not up to date: run `kb db upgrade` first.")
        return database

    def require_schema(self) -> None:
        """Refuse to go on unless the instance exists and its database has the newest schema."""
        self.db  # noqa: B018 (checks on first use)


class UsageError(click.UsageError):
    """A usage error in one line, with where to read more: "Error: No such option '--foo' (see kb search --help)"."""

    def show(self, file=None) -> None:
        hint = f" (see {self.ctx.command_path} --help)" if self.ctx else ""
        click.echo(f"Error: {self.format_message()}{hint}", file=file, err=file is None)


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # `kb db` alone: the group's help, as asked
        return exc
    return UsageError(exc.format_message().rstrip("."), exc.ctx)


class KbGroup(click.Group):
    """Turns any error into one clear line and a non-zero exit status, never a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ValidationError as exc:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
        except KbError as exc:
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:
            raise click.ClickException(f"database error: {exc.__class__.__name__}: "
                                       f"{str(exc.orig if hasattr(exc, 'orig') else exc).splitlines()[0]}") from None
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


pass_instance = click.make_pass_decorator(Instance)


def open_instance(ctx: click.Context, _param, instance: Path | None) -> None:
    """The root group's `--instance`: what every command works on (created by `kb db upgrade` only)."""
    ctx.obj = Instance(instance.resolve() if instance else None)


instance_option = click.option("--instance", type=click.Path(file_okay=False, path_type=Path), envvar="KB_INSTANCE",
                               expose_value=False, callback=open_instance,
                               help="Instance folder (database, index, attachments); default ./instance.")


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@pass_instance
def db_upgrade(inst: Instance) -> None:
    """Create the database or bring it to the newest schema."""
    config.ensure_instance(inst.path)
    before = migrate.current_revision(inst.url)
    migrate.upgrade(inst.url)
    click.echo(f"Database {'created' if before is None else 'is up to date'} ({inst.url}).")


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@pass_instance
def demo_load(inst: Instance) -> None:
    """Load the demo dataset (safe to run again: nothing is duplicated)."""
    inst.require_schema()
    data_dir = config.data_path()
    dataset = demo.read_dataset(data_dir)
    with inst.db.session() as session, click.progressbar(length=demo.count_items(dataset),
                                                         label="Loading demo data") as bar:
        added = demo.load_demo(session, data_dir, progress=bar.update)
    click.echo(f"Demo data loaded: {added} new tickets. Logins (password '{demo.DEMO_PASSWORD}'): "
               "anna, erik, mikko, liisa, partner, support, admin. Support and admin also type a code from an "
               "authenticator app: at their first login the portal shows a QR code and a key to add to one; "
               "without an app, `.venv/bin/kb user totp-code support` prints the code "
               "(`KB_STAFF_TWO_FACTOR=false make run` skips it for a demo).")


@demo_group.command("generate")
@click.option("--count", type=click.IntRange(1), default=10000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def demo_generate(count: int, seed: int, out: Path) -> None:
    """Write a synthetic corpus of resolved general tickets as JSON lines (the `kb import` format)."""
    dataset = demo.read_dataset(config.data_path())
    with out.open("w", encoding="utf-8") as fh, click.progressbar(length=count, label="Generating") as bar:
        corpus.write_corpus(fh, dataset["tickets"], dataset["catalogue"], count, seed, progress=bar.update)
    click.echo(f"Wrote {count} tickets to {out}.")
