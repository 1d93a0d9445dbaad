"""A throw-away PostgreSQL server for tests and benchmarks: Debian's binaries, a temporary data folder,
a free port on loopback, trust authentication, stopped and removed when done.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (Debian's package
creates it). `KB_TEST_POSTGRES_URL` names an existing server instead (a database URL whose user may
create databases); nothing is started then.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Durability is worth nothing in a server thrown away after the tests: no fsync, no full-page writes.
SETTINGS = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c listen_addresses=127.0.0.1")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server did not start."""


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable("PostgreSQL is not installed (Debian's package `postgresql`; "
                                  "`make test` installs it)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """One server; `create_database()` hands out empty databases (or copies of a template)."""

    def __init__(self):
        self.folder: Path | None = None
        self.url = os.environ.get("KB_TEST_POSTGRES_URL") or ""
        self._started = False

    def start(self) -> ThrowawayPostgres:
        if self.url:
            return self
        bin_dir = _binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="kb-postgres-"))
        data, port = self.folder / "data", _free_port()
        as_root = os.geteuid() == 0
        if as_root:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(self.folder, 0o700)

        def run(*args: str) -> None:
            command = [str(a) for a in args]
            if as_root:  # `runuser` keeps our environment out: the server's own user, its own home
                command = ["runuser", "-u", "postgres", "--", *command]
            done = subprocess.run(command, capture_output=True, text=True, cwd="/")
            if done.returncode:
                raise PostgresUnavailable(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")

        run(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
        run(bin_dir / "pg_ctl", "-D", data, "-l", self.folder / "server.log", "-w", "-t", "60",
            "-o", f"-p {port} -k {self.folder} {SETTINGS}", "start")
        self._started = True
        self._pg_ctl = (run, bin_dir / "pg_ctl", data)
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        return self

    def _admin(self):
        return create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=None)

    def create_database(self, template: str | None = None, name: str | None = None) -> str:
        """A new database (a copy of `template` when given); returns its URL."""
        name = name or f"kb_{uuid.uuid4().hex[:12]}"
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        finally:
            engine.dispose()
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_template(self, name: str) -> None:
        """Drop a database of this server by name, if it is there."""
        self.drop_database(make_url(self.url).set(database=name).render_as_string(hide_password=False))

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        engine = self._admin()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()

    def stop(self) -> None:
        if self._started:
            run, pg_ctl, data = self._pg_ctl
            try:
                run(pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")
            finally:
                self._started = False
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
