"""Fixtures of the durability tests: a fresh database on scripts/test's PostgreSQL cluster, a
tenant with an ingest key made by the real `rapport` binary, and `rapport serve` processes
that are all killed when the test ends, whatever happened.

Environment (as scripts/test and scripts/soak set it):
  RAPPORT_TEST_DATABASE_URL   the non-superuser login role, postgres://rapport@/rapport?host=/tmp/...
  RAPPORT_TEST_SUPERUSER_URL  the cluster's superuser, postgres://postgres@/postgres?host=/tmp/...
  RAPPORT_TEST_PG_BINDIR      PostgreSQL's programs (default: what scripts/pg-bindir prints)
  RAPPORT_BINARY              the binary (default: .build/debug/rapport)
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from durability_harness import Postgres, Server, free_port, pg_bindir, rapport_binary, run_rapport, with_database  # noqa: E402


@dataclass
class Database:
    name: str
    url: str  # as the rapport login role
    pg: Postgres

    def query(self, sql: str) -> list[list[str]]:
        return self.pg.run(sql, self.name)


@dataclass
class Tenant:
    slug: str
    schema: str
    key: str


@pytest.fixture(scope="session")
def pg() -> Postgres:
    login = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    superuser = os.environ.get("RAPPORT_TEST_SUPERUSER_URL")
    if not login or not superuser:
        pytest.skip("needs scripts/test's PostgreSQL: RAPPORT_TEST_DATABASE_URL and RAPPORT_TEST_SUPERUSER_URL")
    binary = rapport_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"no rapport binary at {binary} (build it, or set RAPPORT_BINARY)")
    return Postgres(superuser, pg_bindir())


@pytest.fixture
def database(pg: Postgres):
    """A database of its own, owned by the rapport login role; dropped afterwards."""
    login = os.environ["RAPPORT_TEST_DATABASE_URL"]
    role = urllib.parse.unquote(urllib.parse.urlsplit(login).username or "rapport")
    name = "durability_" + secrets.token_hex(4)
    pg.run(f'CREATE DATABASE {name} OWNER "{role}"')
    try:
        yield Database(name, with_database(login, name), pg)
    finally:
        try:
            pg.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception as error:  # noqa: BLE001 - leaving a database behind is not a test failure
            print(f"could not drop {name}: {error}", file=sys.stderr)


@pytest.fixture
def tenant(database: Database) -> Tenant:
    """A tenant and an ingest key, made with the binary as an operator would."""
    slug = "dur_" + secrets.token_hex(3)
    run_rapport(["tenants", "create", slug, "--database-url", database.url])
    key = run_rapport(["keys", "create", "--tenant", slug, "--scopes", "ingest", "--source", "durability",
                       "--database-url", database.url]).stdout.strip()
    assert key and "\n" not in key, f"unexpected key output {key!r}"
    return Tenant(slug, "t_" + slug, key)


@pytest.fixture
def log_dir(request):
    folder = Path(tempfile.mkdtemp(prefix="rapport-durability-"))
    yield folder
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or os.environ.get("RAPPORT_DURABILITY_KEEP_LOGS"):
        print(f"\nserver logs kept in {folder}", file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def servers(database: Database, log_dir: Path):
    """A factory of `rapport serve` processes on this database; every one is killed at the end."""
    made: list[Server] = []

    def make(name: str = "server") -> Server:
        server = Server(database.url, free_port(), log_dir / f"{name}.log", name)
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            try:
                server.stop(timeout=10)
            finally:
                server.kill()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
