"""Session fixtures for the hardening suite: a fresh database on the test PostgreSQL cluster,
the real `rapport` binary to migrate it and create two tenants (A and B, a key of every scope
each), and a real `rapport serve` with the operator key set, stopped at the end.
See hardening_support.py for the environment it reads.
"""

from __future__ import annotations

import os
import secrets

import psycopg
import pytest

from hardening_support import (
    REPO,
    Client,
    Rapport,
    Server,
    Superuser,
    _cli_tenant,
    run_cli,
    url_user,
    with_database,
)


@pytest.fixture(scope="session")
def rapport(tmp_path_factory: pytest.TempPathFactory) -> Rapport:
    app_url = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    super_url = os.environ.get("RAPPORT_TEST_SUPERUSER_URL")
    if not app_url or not super_url:
        pytest.fail(
            "RAPPORT_TEST_DATABASE_URL and RAPPORT_TEST_SUPERUSER_URL are not set: run the suite with scripts/test "
            "(or start a cluster with scripts/lib/cluster.sh and export them).", pytrace=False)
    binary = os.environ.get("RAPPORT_BINARY") or str(REPO / ".build/debug/rapport")
    if not os.path.isabs(binary):
        binary = str(REPO / binary)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"{binary} is not an executable: build it first (swift build).", pytrace=False)

    run_id = secrets.token_hex(3)
    name = f"hardening_{run_id}"
    with psycopg.connect(super_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{url_user(app_url)}"')
    database_url = with_database(app_url, name)
    db = Superuser(with_database(super_url, name))

    run_cli(binary, "migrate", "--database-url", database_url)
    # Tenant roles are cluster-wide, so slugs carry this run's id.
    a = _cli_tenant(binary, database_url, f"ha_{run_id}")
    b = _cli_tenant(binary, database_url, f"hb_{run_id}")

    admin_key = "op_" + secrets.token_urlsafe(24)
    log_path = tmp_path_factory.mktemp("serve") / "rapport-serve.log"
    server = Server(binary, database_url, admin_key, log_path, row_cap=500, timeout_ms=15_000)
    server.start()
    handle = Rapport(server=server, client=Client(server.base_url), db=db, binary=binary, database_url=database_url,
                     admin_key=admin_key, a=a, b=b, run_id=run_id)
    try:
        yield handle
    finally:
        server.stop()
        db.close()
        if not os.environ.get("RAPPORT_HARDENING_KEEP_DB"):
            try:
                with psycopg.connect(super_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error:
                pass
        print(f"\nrapport serve log: {log_path}")


@pytest.fixture(autouse=True)
def server_survives(request: pytest.FixtureRequest):
    """Fails a test during which the server process died, and starts a new one for the next."""
    if "rapport" not in request.fixturenames:
        yield
        return
    rapport: Rapport = request.getfixturevalue("rapport")
    yield
    if not rapport.server.alive():
        code = rapport.server.process.returncode if rapport.server.process else None
        tail = rapport.server.log_tail()
        rapport.server.crashes.append(request.node.nodeid)
        rapport.server.start()
        pytest.fail(f"rapport serve died (exit {code}) during this test; the end of its log:\n{tail}", pytrace=False)


@pytest.fixture(scope="session")
def client(rapport: Rapport) -> Client:
    return rapport.client
