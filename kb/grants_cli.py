"""`kb grants list|expire`: one-liners over kb.grants."""
from __future__ import annotations

import click
from sqlalchemy import select

from . import grants
from .cli import Instance, pass_instance
from .db import writing
from .models import Organisation, RemoteAccessGrant, utcnow


@click.group("grants")
def grants_group() -> None:
    """Remote-access grants (Neuvontaoikeudet)."""


@grants_group.command("list")
@click.option("--organisation", "key", help="Only this organisation's (its key).")
@click.option("--active", is_flag=True, help="Only the grants whose window is open now.")
@pass_instance
def list_command(inst: Instance, key: str | None, active: bool) -> None:
    """Grants, newest first: id, organisation, status, window, areas."""
    inst.require_schema()
    now = utcnow()
    with inst.db.session() as session:
        query = select(RemoteAccessGrant).order_by(RemoteAccessGrant.id.desc())
        if key:
            organisation = session.scalar(select(Organisation).where(Organisation.key == key))
            if organisation is None:
                raise click.ClickException(f"no organisation with the key {key!r}")
            query = query.where(RemoteAccessGrant.organisation_id == organisation.id)
        for grant in session.scalars(query):
            if active and not grant.is_active(now):
                continue
            state = "active" if grant.is_active(now) else grant.status.value
            click.echo(f"{grant.id}\t{grant.organisation.key}\t{state}\t{grant.starts_at:%Y-%m-%d %H:%M}"
                       f"–{grant.ends_at:%Y-%m-%d %H:%M}\t{','.join(grant.area_codes)}")


@grants_group.command("expire")
@pass_instance
def expire_command(inst: Instance) -> None:
    """Mark requests that were never answered before their window ended as expired."""
    inst.require_schema()
    with inst.db.session() as session, writing(session):
        count = grants.expire(session)
    click.echo(f"{count} requests expired.")
