"""A throwaway PostgreSQL server for the tests, from Debian's packages (`pg_config --bindir`)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def server_missing() -> str | None:
    """Why no server can be started here, or None."""
    if _bindir() is None:
        return (
            "PostgreSQL's server is not installed"
            " (no initdb beside `pg_config --bindir`; .ci/run installs the postgresql package)"
        )
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        return "running as root, but there is no 'postgres' user to run the server as"
    return None


def _bindir() -> Path | None:
    """The folder of initdb and pg_ctl: `pg_config --bindir`, else Debian's newest server."""
    found = []
    if shutil.which("pg_config"):
        done = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        found.append(Path(done.stdout.strip()))
    found += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    return next((b for b in found if (b / "initdb").is_file()), None)


class PostgresServer:
    """initdb + pg_ctl in a temporary folder, listening only on a unix socket inside it."""

    PASSWORD = "s3cret-Pa55"

    def __init__(self) -> None:
        # initdb refuses root, and pytest's tmp_path is not reachable by the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="bot-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self._names = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._as_server("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def _as_server(self, tool: str, *args: str) -> None:
        bindir = _bindir()
        assert bindir is not None
        command = [str(bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """Start (or start again) and wait until it accepts connections."""
        options = f"-k {self.root} -c listen_addresses='' -c fsync=off -c max_connections=200"
        self._as_server(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop; mode "immediate" is a crash (no shutdown checkpoint, clients cut off)."""
        self._as_server("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A DATABASE_URL for `database` (with a password, to show it is masked; trust ignores it)."""
        return f"postgresql://postgres:{self.PASSWORD}@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A fresh empty database's URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        """Stop and delete everything."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)
