"""The Citus suite's cluster: Rapport installed on an existing Citus cluster the way the README's
scale-out section says, as the non-superuser `rapport` role, with a `rapport serve` on the
coordinator.

Environment:
  RAPPORT_TEST_CITUS_URL  a superuser URL of a Citus coordinator (postgres://postgres@127.0.0.1:9700/postgres)
                          whose workers are registered in that database; without it the suite is
                          skipped (CI has no Citus).
  RAPPORT_BINARY          the binary (default .build/debug/rapport under the repo root)

It makes a database of its own on every node (scripts/citus-setup), and drops it on every node
at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import urllib.parse

import psycopg
import pytest

from citus_support import CITUS_URL, PASSWORD, ROLE, Cluster, node_url
from hardening_support import REPO


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    if not CITUS_URL:
        pytest.skip("RAPPORT_TEST_CITUS_URL is not set: no Citus coordinator to test against "
                    "(see the README's scale-out section to run this suite)")
    parts = urllib.parse.urlsplit(CITUS_URL)
    coordinator = f"{parts.hostname}:{parts.port or 5432}"
    with psycopg.connect(CITUS_URL, autocommit=True) as connection:
        has_citus = connection.execute("SELECT count(*) FROM pg_extension WHERE extname = 'citus'").fetchone()[0]
        if not has_citus:
            pytest.fail(f"{coordinator} has no citus extension in {parts.path.lstrip('/')}", pytrace=False)
        workers = [f"{h}:{p}" for h, p in connection.execute(
            "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY 1, 2")]
        version = connection.execute("SELECT citus_version()").fetchone()[0]
    if len(workers) < 2:
        pytest.fail(f"the suite needs a coordinator with two workers; {coordinator} has {workers}", pytrace=False)
    print(f"\nCitus suite against {version} ({coordinator}, workers {', '.join(workers)})")

    binary = os.environ.get("RAPPORT_BINARY") or str(REPO / ".build/debug/rapport")
    run_id = secrets.token_hex(3)
    database = f"rapport_citus_{run_id}"
    # The operator's step: the database on every node, the extension, the workers, the role.
    env = dict(os.environ, PGUSER=urllib.parse.unquote(parts.username or "postgres"),
               PGPASSWORD=urllib.parse.unquote(parts.password or ""))
    args = [str(REPO / "scripts/citus-setup"), "--coordinator", coordinator, "--database", database,
            "--role", ROLE, "--password", PASSWORD]
    for worker in workers:
        args += ["--worker", worker]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, f"citus-setup failed:\n{done.stdout}\n{done.stderr}"

    # Rapport's own URL: the login role, no sslmode (prefer), so TLS with Citus's self-signed certificate.
    url = f"postgres://{ROLE}:{PASSWORD}@{coordinator}/{database}"
    handle = Cluster(superuser_url=CITUS_URL, coordinator=coordinator, workers=workers, database=database,
                     binary=binary, url=url, run_id=run_id)
    try:
        yield handle
    finally:
        if handle.server:
            handle.server.stop()
            print(f"rapport serve log: {handle.server.log_path}")
        for node in reversed(handle.nodes):
            try:
                with psycopg.connect(node_url(CITUS_URL, node, "postgres"), autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            except psycopg.Error as error:
                print(f"could not drop {database} on {node}: {error}")
        # Tenant roles the tests made are cluster-wide; those the tests did not delete go too.
        for node in handle.nodes:
            try:
                with psycopg.connect(node_url(CITUS_URL, node, "postgres"), autocommit=True) as connection:
                    for (role,) in connection.execute(
                            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"t\\_c%\\_{run_id}",)).fetchall():
                        connection.execute(f'DROP ROLE IF EXISTS "{role}"')
            except psycopg.Error as error:
                print(f"could not drop the suite's roles on {node}: {error}")
