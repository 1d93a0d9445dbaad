"""The `kb` entry point: the one place that assembles the command from every layer's groups and commands
(kb/cli.py, kb/admin_cli.py, kb/grants_cli.py, kb/mail/cli.py, indexer/cli.py), with `kb serve` and `kb worker`."""
from __future__ import annotations

import os
import sys
import time

import click

from indexer import cli as indexer_cli
from indexer.cli import desk_index, experience_index
from kb import admin_cli, config, grants_cli, service_levels
from kb import cli as kb_cli
from kb.cli import Instance, KbGroup, instance_option, pass_instance
from kb.mail import cli as mail_cli
from kb.db import writing
from kb.errors import KbError
from kb.mail.delivery import deliver


@click.command()
@click.option("--host", envvar="HOST", default=config.BY_NAME["HOST"].default, show_default=True)
@click.option("--port", envvar="PORT", type=click.IntRange(1, 65535), default=config.BY_NAME["PORT"].default,
              show_default=True)
@click.option("--production", is_flag=True, help="Serve with gunicorn instead of the development server.")
@click.option("--workers", type=click.IntRange(1), default=lambda: 2 * (os.cpu_count() or 1),
              show_default="2 per core", help="gunicorn worker processes.")
@click.option("--threads", type=click.IntRange(1), default=8, show_default=True,
              help="Threads per worker: a client that is slow to send its request holds one thread, not a worker.")
@click.option("--debug", is_flag=True, help="Development server with the debugger and reloader.")
@pass_instance
def serve(inst: Instance, host: str, port: int, production: bool, workers: int, threads: int, debug: bool) -> None:
    """Serve the portal."""
    inst.require_schema()
    problem = config.base_url_problem(inst.settings["BASE_URL"])
    if problem and (inst.settings["BASE_URL"] or not debug):
        from . import base_url_refusal
        raise KbError(base_url_refusal(problem, inst.path))
    if production:
        env_instance = ["--env", f"KB_INSTANCE={inst.path}"]
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
               "--worker-class", "gthread", "--threads", str(threads), *env_instance, "webapp:create_app()"]
        click.echo(f"Serving with gunicorn on http://{host}:{port}/ (instance {inst.path})")
        sys.stdout.flush()
        os.execv(sys.executable, cmd)  # gunicorn takes this process's place: signals reach it directly
    from . import create_app

    app = create_app({"INSTANCE_PATH": str(inst.path), "DEBUG": debug} if debug else
                     {"INSTANCE_PATH": str(inst.path)})
    click.echo(f"Serving on http://{host}:{port}/ (instance {inst.path})")
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


@click.command()
@click.option("--once", is_flag=True, help="One round, then exit.")
@click.option("--interval", type=click.FloatRange(0.1), default=2.0, show_default=True, help="Seconds between rounds.")
@pass_instance
def worker(inst: Instance, once: bool, interval: float) -> None:
    """Send the outbox, close tickets resolved CLOSE_RESOLVED_DAYS ago, and bring the search indexes up to
    date, over and over."""
    inst.require_schema()
    from . import log_to_stderr
    log_to_stderr()  # each mail sent or failed
    indexes = experience_index(inst), desk_index(inst)
    close_after = max(inst.settings["CLOSE_RESOLVED_DAYS"], inst.settings["REOPEN_DAYS"])  # the reopen window stays
    while True:
        result = deliver(inst.db, inst.mail)
        with inst.db.session() as session, writing(session):
            closed = service_levels.close_resolved(session, close_after)
        synced = sum(index.sync(inst.db) for index in indexes)
        if result.sent or result.failed or result.dead or synced or closed or once:
            click.echo(f"sent {result.sent}, failed {result.failed}, dead {result.dead}; "
                       f"{synced} index documents brought up to date; {closed} resolved tickets closed")
        if once:
            return
        time.sleep(interval)


@click.group(cls=KbGroup, commands=[
    kb_cli.db, kb_cli.demo_group, admin_cli.user_group, admin_cli.admin_group, grants_cli.grants_group,
    mail_cli.mail_group, indexer_cli.import_command, indexer_cli.reindex, indexer_cli.index, indexer_cli.search,
    indexer_cli.backup_command, indexer_cli.restore_command, serve, worker,
])
@instance_option
def cli() -> None:
    """kb: the support portal and its experience database."""


def main() -> None:
    sys.exit(cli.main(prog_name="kb"))
