"""`kb import`, `kb reindex`, `kb index ...`, `kb search`, `kb backup` and `kb restore` (which rebuilds the
index): one-liners over ExperienceIndex and kb.backup."""
from __future__ import annotations

import json
from pathlib import Path

import click

from kb import backup, config, importer, migrate
from kb.cli import Instance, pass_instance

from .searching import SearchRequest, as_json
from .experience import DeskIndex, ExperienceIndex

ENTRY_URL = "/experience/{}"


def experience_index(inst: Instance) -> ExperienceIndex:
    return ExperienceIndex.from_settings(inst.path, inst.settings)


def desk_index(inst: Instance) -> DeskIndex:
    return DeskIndex.from_settings(inst.path, inst.settings)


@click.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@pass_instance
def import_command(inst: Instance, file) -> None:
    """Import resolved tickets from a JSON-lines file (`-` for standard input), then update the index."""
    inst.require_schema()
    size = Path(file.name).stat().st_size if file.name != "<stdin>" else 0
    lines = file.readlines() if size else list(file)
    with inst.db.session() as session, click.progressbar(length=len(lines), label="Importing") as bar:
        report = importer.import_tickets(session, lines, progress=bar.update)
    for line, message in report.errors:
        click.echo(f"line {line}: {message}", err=True)
    synced = experience_index(inst).sync(inst.db, wait=True)
    click.echo(f"Imported {report.created} new and {report.updated} updated tickets; "
               f"{len(report.errors)} bad lines; {synced} index documents brought up to date.")
    if report.errors and not (report.created or report.updated):
        raise click.exceptions.Exit(1)


@click.command()
@click.option("--procs", type=click.IntRange(1, 16), default=1, show_default=True, help="Writer processes.")
@click.option("--limitmb", type=click.IntRange(32, 4096), default=512, show_default=True,
              help="Postings a writer process holds, in MB, before it starts another segment.")
@click.option("--only", type=click.Choice(["experience", "desk"]),
              help="Rebuild one index: the experience database, or support's desk index of every ticket.")
@pass_instance
def reindex(inst: Instance, procs: int, limitmb: int, only: str | None) -> None:
    """Rebuild the search indexes (the experience database and support's desk index), each into a new
    folder, and switch to them atomically."""
    inst.require_schema()
    indexes = {"experience": ("Experience database", experience_index), "desk": ("Desk index", desk_index)}
    for name, (label, open_index) in indexes.items():
        if only in (None, name):
            count = _rebuild(inst, open_index(inst), label, procs=procs, limitmb=limitmb)
            click.echo(f"{label}: indexed {count} tickets.")


def _rebuild(inst: Instance, replica, label: str, **options) -> int:
    bar, total = _bar(label)
    with bar:
        return replica.rebuild(inst.db, progress=bar.update, on_total=total, **options)


@click.group()
def index() -> None:
    """The experience database index."""


@index.command("status")
@pass_instance
def index_status(inst: Instance) -> None:
    """Documents in the index, published tickets in the database, and what is waiting."""
    inst.require_schema()
    status = experience_index(inst).status(inst.db)
    click.echo(f"generation: {status['generation'] or 'none'}")
    click.echo(f"documents:  {status['documents']}")
    click.echo(f"published:  {status['published']}")
    click.echo(f"node:       {status['node']} (applied {status['applied']} of {status['head']}; "
               f"{status['behind']} behind{', must rebuild' if status['must_rebuild'] else ''})")
    click.echo(f"pending:    {status['pending']}"
               + (f" (oldest since {status['oldest_pending']:%Y-%m-%d %H:%M:%S} UTC)" if status["pending"] else ""))
    click.echo(f"rebuilding: {'yes' if status['rebuilding'] else 'no'}")
    for other in status["nodes"]:
        click.echo(f"  {other['node']:<40} applied {other['applied']:>8}  behind {other['behind']:>6}  "
                   f"seen {other['seen_at']:%Y-%m-%d %H:%M:%S} UTC")


@index.command("sync")
@pass_instance
def index_sync(inst: Instance) -> None:
    """Apply every waiting change to the index."""
    inst.require_schema()
    count = experience_index(inst).sync(inst.db, wait=True)
    click.echo(f"{count} tickets brought up to date.")


@click.command()
@click.argument("text", nargs=-1)
@click.option("--mode", type=click.Choice(["free", "problem", "solution"]), default="free", show_default=True)
@click.option("--lang", "language", type=click.Choice([*config.LANGUAGES, "all"]), default="all", show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--product", help="Only this product (code).")
@click.option("--json", "as_json_output", is_flag=True, help="Print the API's JSON.")
@pass_instance
def search(inst: Instance, text, mode, language, limit, page, product, as_json_output) -> None:
    """Search the experience database."""
    inst.require_schema()
    request = SearchRequest(text=" ".join(text), mode=mode, language=language, page_size=limit, page=page,
                            product=product, as_you_type=False)
    result = experience_index(inst).search(request)
    if as_json_output:
        click.echo(json.dumps(as_json(result, ENTRY_URL.format), ensure_ascii=False, indent=2))
        return
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    click.echo(f"{result.total} tickets" + ("" if result.matched_all else " (matching some of the words)"))
    for hit in result.hits:
        click.echo(f"{hit.number:>8}  {hit.title}  [{hit.product}{'/' + hit.category if hit.category else ''}, "
                   f"{hit.language}, {hit.resolved_at:%Y-%m-%d}]" if hit.resolved_at else f"{hit.number:>8}  {hit.title}")


def _bar(label: str):
    bar = click.progressbar(length=0, label=label)
    bar.length = None

    def total(n: int) -> None:
        bar.length = n

    return bar, total


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_instance
def backup_command(inst: Instance, folder: Path) -> None:
    """Back up the database, then the attachments its rows point to, into a new FOLDER, with a manifest
    of counts and checksums. Safe while the portal runs."""
    inst.require_schema()
    bar, total = _bar("Backing up")
    with bar:
        report = backup.backup(inst.url, inst.path, folder, progress=bar.update, on_total=total)
    click.echo(f"Backed up {report.counts['tickets']} tickets and {report.files} attachments "
               f"({report.bytes / 1e6:.1f} MB) into {folder}.")


@click.command("restore")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore over a database that already holds tickets.")
@pass_instance
def restore_command(inst: Instance, folder: Path, force: bool) -> None:
    """Check a backup (FOLDER) against its manifest, restore the database and the attachments, bring the
    schema up to date and rebuild the search index. Stop the portal first."""
    config.ensure_instance(inst.path)
    bar, total = _bar("Restoring")
    with bar:
        report = backup.restore(folder, inst.url, inst.path, force=force, progress=bar.update, on_total=total)
    migrate.upgrade(inst.url)
    count = _rebuild(inst, experience_index(inst), "Experience database")
    _rebuild(inst, desk_index(inst), "Desk index")
    click.echo(f"Restored {report.counts['tickets']} tickets and {report.files} attachments; indexed {count} tickets.")
