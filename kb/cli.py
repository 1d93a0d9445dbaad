"""The `kb` command line: domain commands (database, demo data, users)."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from . import config, corpus, demo, migrate, users
from .db import Database, writing
from .errors import KbError, ValidationError
from .mail.settings import MailSettings
from .models import Role


class Instance:
    """What every command works on: the instance folder and its database."""

    def __init__(self, path: Path | None = None):
        self.path = path or config.instance_path()

    @cached_property
    def url(self) -> str:
        return self.settings["DATABASE_URL"]

    @cached_property
    def db(self) -> Database:
        config.ensure_instance(self.path)
        return Database(self.url)

    @cached_property
    def settings(self) -> dict:
        return config.load(self.path)

    @cached_property
    def mail(self) -> MailSettings:
        return MailSettings.from_config(self.settings, self.path)

    def require_schema(self) -> None:
        if not migrate.is_current(self.db.engine):
            raise KbError("The database is not up to date: run `kb db upgrade` first.")


class KbGroup(click.Group):
    """Turns any error into one clear line and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
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



@click.group(cls=KbGroup)
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path), envvar="KB_INSTANCE",
              help="Instance folder (database, index, attachments); default ./instance.")
@click.pass_context
def cli(ctx: click.Context, instance: Path | None) -> None:
    """kb: the support portal and its experience database."""
    ctx.obj = Instance(instance.resolve() if instance else None)


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@pass_instance
def db_upgrade(inst: Instance) -> None:
    """Create the database or bring it to the newest schema."""
    config.ensure_instance(inst.path)
    migrate.upgrade(inst.url)
    click.echo(f"Database is up to date ({inst.url}).")


@cli.group("demo")
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
               "anna, erik, mikko, liisa, partner, support, admin.")


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


@cli.group("user")
def user_group() -> None:
    """Users."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="Full name.")
@click.option("--organisation", "org_key", required=True, help="Key of the user's organisation.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.CUSTOMER.value, show_default=True)
@click.option("--email")
@click.option("--phone")
@click.option("--language", type=click.Choice(config.LANGUAGES), default="sv", show_default=True)
@click.password_option(envvar="KB_PASSWORD", help="Password (asked for when not given).")
@pass_instance
def user_create(inst: Instance, username, name, org_key, role, email, phone, language, password) -> None:
    """Create a user who can log in."""
    inst.require_schema()
    with inst.db.session() as session, writing(session):
        org = users.organisation_by_key(session, org_key)
        user = users.create_user(session, username=username, password=password, name=name, organisation=org,
                                 role=Role(role), email=email, phone=phone, language=language)
    click.echo(f"Created user {user.username} ({role}) in {org.name}.")
