"""Fixtures for the web console's end-to-end tests: a fresh database, a real `rapport serve`,
two tenants with data (some of it hostile), and a real headless Chromium driven by Selenium.

The browser is Debian's `chromium` with its `chromedriver` (scripts/setup-machine installs
both). Screenshots of each page go to the folder in RAPPORT_CONSOLE_SCREENSHOTS, by default
`.build-console-screenshots/` at the repository's root (outside git); the run prints it.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hardening"))

from hardening_support import REPO, SCOPES, Client, Server, Tenant, key_id, run_cli, url_user, with_database  # noqa: E402
from console_support import Console, seed  # noqa: E402


def tenant(binary: str, url: str, slug: str, name: str) -> Tenant:
    """A tenant made with the CLI, with one key per scope."""
    run_cli(binary, "tenants", "create", slug, "--name", name, "--database-url", url)
    made = Tenant(slug)
    for scope in SCOPES:
        key = run_cli(binary, "keys", "create", "--tenant", slug, "--scopes", scope, "--source", made.source,
                      "--name", f"console-{scope}", "--database-url", url).strip().splitlines()[-1].strip()
        made.keys[scope] = key
        made.key_ids[scope] = key_id(key)
    return made


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory):
    app_url = os.environ.get("RAPPORT_TEST_DATABASE_URL")
    super_url = os.environ.get("RAPPORT_TEST_SUPERUSER_URL")
    if not app_url or not super_url:
        pytest.fail("RAPPORT_TEST_DATABASE_URL and RAPPORT_TEST_SUPERUSER_URL are not set: run scripts/test.", pytrace=False)
    binary = os.environ.get("RAPPORT_BINARY") or str(REPO / ".build/debug/rapport")
    if not os.path.isabs(binary):
        binary = str(REPO / binary)

    run_id = secrets.token_hex(3)
    name = f"console_{run_id}"
    with psycopg.connect(super_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{url_user(app_url)}"')
    database_url = with_database(app_url, name)
    run_cli(binary, "migrate", "--database-url", database_url)
    a = tenant(binary, database_url, f"ca_{run_id}", "Acme Shop")
    b = tenant(binary, database_url, f"cb_{run_id}", "Other Company")
    # A key for a person who does everything: query, privacy and admin.
    for made in (a, b):
        made.keys["all"] = run_cli(
            binary, "keys", "create", "--tenant", made.slug, "--scopes", "query,privacy,admin",
            "--name", "console-all", "--database-url", database_url,
        ).strip().splitlines()[-1].strip()

    admin_key = "op_" + secrets.token_urlsafe(24)
    log_path = tmp_path_factory.mktemp("serve") / "rapport-serve.log"
    server = Server(binary, database_url, admin_key, log_path, row_cap=1000, timeout_ms=15_000)
    server.start()
    shots = Path(os.environ.get("RAPPORT_CONSOLE_SCREENSHOTS") or REPO / ".build-console-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    handle = Console(server=server, client=Client(server.base_url), a=a, b=b, screenshots=shots,
                     database_url=database_url, binary=binary, superuser_url=with_database(super_url, name))
    seed(handle)
    try:
        yield handle
    finally:
        handle.quit_browsers()
        server.stop()
        try:
            with psycopg.connect(super_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass
        print(f"\nrapport serve log: {log_path}\nconsole screenshots: {shots}")
