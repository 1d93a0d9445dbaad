"""`kb admin import-csv` and `kb user create|deactivate|reset-password|unlock|totp-code|two-factor-reset`:
one-liners over kb.admin, kb.users and kb.two_factor."""
from __future__ import annotations

from pathlib import Path

import click

from . import admin, config, demo, two_factor, users
from .cli import Instance, pass_instance
from .db import writing
from .errors import KbError
from .models import Role
from .users import find_user


@click.group("admin")
def admin_group() -> None:
    """Administration."""


@admin_group.command("import-csv")
@click.argument("kind", type=click.Choice(sorted(admin.COLUMNS)))
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@pass_instance
def import_csv_command(inst: Instance, kind: str, file: Path) -> None:
    """Import organisations, users or licences from a CSV file with a header row."""
    inst.require_schema()
    text = file.read_text(encoding="utf-8-sig")
    with inst.db.session() as session, writing(session):
        report = admin.import_csv(session, kind, text)
    for line, errors in report.errors:
        click.echo(f"line {line}: " + "; ".join(f"{column}: {message}" for column, message in errors.items()), err=True)
    for username, password in report.passwords:
        click.echo(f"new user {username}: first password {password}")
    click.echo(f"Imported {report.created} new and {report.updated} updated {kind}; {len(report.errors)} bad lines.")
    if report.errors and not (report.created or report.updated):
        raise SystemExit(1)


@click.group("user")
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


def _change_user(inst: Instance, username: str, change):
    """`change(session, user)` in one write transaction, for the user with that username."""
    with inst.db.session() as session, writing(session):
        user = find_user(session, username)
        if user is None:
            raise KbError("No user with the username %(username)s.", username=username)
        return change(session, user)


@user_group.command("deactivate")
@click.argument("username")
@pass_instance
def deactivate_command(inst: Instance, username: str) -> None:
    """Stop a user from logging in and end every session of theirs at once."""
    _change_user(inst, username, lambda session, user: admin.deactivate_user(session, None, user))
    click.echo(f"Deactivated {username}; their sessions have ended.")


@user_group.command("reset-password")
@click.argument("username")
@pass_instance
def reset_password_command(inst: Instance, username: str) -> None:
    """Give a user a new random password (printed once) and end their sessions."""
    password = _change_user(inst, username, lambda session, user: admin.reset_password(session, None, user))
    click.echo(f"New password for {username}: {password}")


@user_group.command("unlock")
@click.argument("username")
@pass_instance
def unlock_command(inst: Instance, username: str) -> None:
    """Lift the lock that wrong passwords put on a username's logins."""
    with inst.db.session() as session, writing(session):
        lifted = admin.unlock_user(session, None, username)
    click.echo(f"Lifted the login lock of {username}." if lifted else f"{username} had no login lock.")


@user_group.command("totp-code")
@click.argument("username")
@pass_instance
def totp_code_command(inst: Instance, username: str) -> None:
    """For a demo: the code a demo login's authenticator app would show now (support, admin), so no app is
    needed to try the portal. Refused for any user whose password is not the demo's."""
    with inst.db.session() as session:
        user = find_user(session, username)
        if user is None:
            raise KbError("No user with the username %(username)s.", username=username)
        click.echo(two_factor.demo_code(session, user, demo.DEMO_PASSWORD))


@user_group.command("two-factor-reset")
@click.argument("username")
@pass_instance
def two_factor_reset_command(inst: Instance, username: str) -> None:
    """Remove a user's second factor (a lost phone): where it is required, they set it up again at their
    next login. Their sessions end."""
    _change_user(inst, username, lambda session, user: admin.remove_two_factor(session, None, user))
    click.echo(f"Removed the two-factor login of {username}; they set it up again at their next login if required.")
