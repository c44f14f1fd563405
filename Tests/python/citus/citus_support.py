"""What the Citus suite shares (its fixture is in conftest.py): the prepared cluster, and checks
from outside Rapport as the superuser on every node."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))
from hardening_support import Client, Server, run_cli  # noqa: E402

CITUS_URL = os.environ.get("RAPPORT_TEST_CITUS_URL", "")
ROLE, PASSWORD = "rapport", "rapport"


def node_url(url: str, node: str, database: str) -> str:
    """`url`'s credentials on `node` (HOST:PORT) and `database`."""
    parts = urllib.parse.urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urllib.parse.urlunsplit((parts.scheme, credentials + node, "/" + database, parts.query, ""))


@dataclass
class Cluster:
    """A Citus cluster prepared for Rapport, and the server on its coordinator."""

    superuser_url: str
    coordinator: str
    workers: list[str]
    database: str
    binary: str
    url: str
    server: Server | None = None
    client: Client | None = None
    admin_key: str = ""
    run_id: str = ""
    keys: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, timeout: float = 300) -> str:
        return run_cli(self.binary, *args, "--database-url", self.url, timeout=timeout)

    def on(self, node: str, sql: str, params=None) -> list[tuple]:
        """Rows of `sql` as the superuser on `node`, in the suite's database."""
        with psycopg.connect(node_url(self.superuser_url, node, self.database), autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, node: str, sql: str, params=None):
        rows = self.on(node, sql, params)
        return rows[0][0] if rows else None

    @property
    def nodes(self) -> list[str]:
        return [self.coordinator, *self.workers]

    def dump(self, node: str) -> str:
        """pg_dump of the suite's database on `node`, as the superuser: what is on that disk."""
        parts = urllib.parse.urlsplit(node_url(self.superuser_url, node, self.database))
        env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(parts.password or ""))
        bindir = os.environ.get("RAPPORT_TEST_PG_BINDIR", "/usr/lib/postgresql/15/bin")
        done = subprocess.run(
            [f"{bindir}/pg_dump", "-h", parts.hostname, "-p", str(parts.port), "-U", urllib.parse.unquote(parts.username or ""),
             "--no-owner", self.database],
            capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout
