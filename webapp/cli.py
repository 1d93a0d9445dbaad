"""`kb serve`, and the `kb` entry point that joins the command groups of every layer."""
from __future__ import annotations

import os
import sys
import time

import click

from indexer import cli as _indexer_commands  # noqa: F401  (registers import, reindex, index, search)
from indexer.cli import experience_index
from kb import admin_cli as _admin_commands  # noqa: F401  (registers admin import-csv, user deactivate)
from kb import grants_cli as _grants_commands  # noqa: F401  (registers grants list, expire)
from kb.mail import cli as _mail_commands  # noqa: F401  (registers mail ingest, serve, outbox, retry)
from kb.mail.delivery import deliver
from kb.cli import Instance, cli, pass_instance


@cli.command()
@click.option("--host", envvar="HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="PORT", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--production", is_flag=True, help="Serve with gunicorn instead of the development server.")
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True, help="gunicorn workers.")
@click.option("--debug", is_flag=True, help="Development server with the debugger and reloader.")
@pass_instance
def serve(inst: Instance, host: str, port: int, production: bool, workers: int, debug: bool) -> None:
    """Serve the portal."""
    inst.require_schema()
    if production:
        env_instance = ["--env", f"KB_INSTANCE={inst.path}"]
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
               *env_instance, "webapp:create_app()"]
        click.echo(f"Serving with gunicorn on http://{host}:{port}/ (instance {inst.path})")
        sys.stdout.flush()
        os.execv(sys.executable, cmd)  # gunicorn takes this process's place: signals reach it directly
    from . import create_app

    app = create_app({"INSTANCE_PATH": str(inst.path), "DEBUG": debug} if debug else
                     {"INSTANCE_PATH": str(inst.path)})
    click.echo(f"Serving on http://{host}:{port}/ (instance {inst.path})")
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


@cli.command()
@click.option("--once", is_flag=True, help="One round, then exit.")
@click.option("--interval", type=click.FloatRange(0.1), default=2.0, show_default=True, help="Seconds between rounds.")
@pass_instance
def worker(inst: Instance, once: bool, interval: float) -> None:
    """Send the outbox and bring the search index up to date, over and over."""
    inst.require_schema()
    index = experience_index(inst)
    while True:
        result = deliver(inst.db, inst.mail)
        synced = index.sync(inst.db)
        if result.sent or result.failed or result.dead or synced or once:
            click.echo(f"sent {result.sent}, failed {result.failed}, dead {result.dead}; "
                       f"{synced} index documents brought up to date")
        if once:
            return
        time.sleep(interval)


def main() -> None:
    sys.exit(cli.main(prog_name="kb"))
