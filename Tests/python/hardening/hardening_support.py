"""What the hardening suite shares (its fixtures are in conftest.py): an HTTP client that
reads whole answers, the error-shape check, superuser access to the test database, the
`rapport` binary's CLI, and a `rapport serve` process (restarted if a test brings it down).

Environment (set by scripts/test):
  RAPPORT_TEST_DATABASE_URL   Rapport's login role (not a superuser) on the test cluster
  RAPPORT_TEST_SUPERUSER_URL  the cluster's superuser (creates the database, checks rows)
  RAPPORT_BINARY              the binary (default .build/debug/rapport under the repo root)
  RAPPORT_HARDENING_KEEP_DB   set to keep the database after the run (for a post-mortem)

Everything here talks to Rapport the way an operator or an integration would: the CLI, HTTP
on 127.0.0.1, and (for checks only) the database as superuser.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

REPO = Path(__file__).resolve().parents[3]
SCOPES = ("ingest", "query", "privacy", "admin")


# --------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Answer:
    """One HTTP response, read whole."""

    method: str
    path: str
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def short(self, limit: int = 600) -> str:
        text = self.text
        if len(text) > limit:
            text = text[:limit] + f"… ({len(self.body)} bytes)"
        return f"{self.method} {self.path} -> {self.status} {text}"


class Client:
    """A thin requests wrapper that never raises on a status and never follows redirects."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        basic: str | None = None,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> Answer:
        sent = {}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        if basic is not None:
            sent["Authorization"] = "Basic " + base64.b64encode(f"{basic}:".encode()).decode()
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        elif body is not None:
            data = body.encode() if isinstance(body, str) else body
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        started = time.monotonic()
        response = self.session.request(
            method, self.base_url + path, data=data, headers=sent, timeout=timeout, allow_redirects=False
        )
        return Answer(method, path, response.status_code, response.headers, response.content, time.monotonic() - started)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Answer:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Answer:
        return self.call("DELETE", path, **kwargs)


ERROR_CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def error_shape_problem(answer: Answer) -> str | None:
    """Why `answer` is not `{"error": {"code": kebab, "message": text}}` as JSON, or None."""
    content_type = answer.headers.get("Content-Type", "")
    if not content_type.startswith("application/json"):
        return f"Content-Type is {content_type!r}, not application/json"
    try:
        document = answer.json()
    except ValueError:
        return "the body is not JSON"
    if not isinstance(document, dict) or not isinstance(document.get("error"), dict):
        return "the body has no `error` object"
    error = document["error"]
    if not isinstance(error.get("code"), str) or not ERROR_CODE.match(error["code"]):
        return f"error.code {error.get('code')!r} is not a kebab-case text"
    if not isinstance(error.get("message"), str) or not error["message"].strip():
        return "error.message is missing or empty"
    if not answer.headers.get("X-Request-Id"):
        return "there is no X-Request-Id header"
    return None


def expect_error(answer: Answer, status: int | set[int] | tuple[int, ...], code: str | set[str] | None = None, log: str = "") -> dict:
    """Asserts `answer` is an error of `status` (one or a set) in the shared shape; returns `error`."""
    allowed = {status} if isinstance(status, int) else set(status)
    assert answer.status in allowed, f"expected {sorted(allowed)}: {answer.short()}{log}"
    problem = error_shape_problem(answer)
    assert problem is None, f"{problem}: {answer.short()}"
    error = answer.json()["error"]
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert error["code"] in codes, f"expected code {sorted(codes)}: {answer.short()}"
    return error


# --------------------------------------------------------------------------------------------
# PostgreSQL


def with_database(url: str, name: str) -> str:
    """`url` (libpq URI form) naming database `name` instead of its own."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def url_user(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).username or "")


class Superuser:
    """Checks from outside Rapport: the database as the cluster's superuser (autocommit)."""

    def __init__(self, url: str):
        self.url = url
        self.connection = psycopg.connect(url, autocommit=True)

    def rows(self, sql: str, params: Any = None) -> list[tuple]:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except psycopg.OperationalError:
            self.connection = psycopg.connect(self.url, autocommit=True)
            raise

    def value(self, sql: str, params: Any = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def counts(self, slug: str) -> dict[str, int]:
        """Rows of the tenant's events, profiles and identities."""
        schema = f"t_{slug}"
        return {
            table: self.value(f'SELECT count(*) FROM "{schema}"."{table}"')
            for table in ("events", "profiles", "identities")
        }

    def close(self) -> None:
        self.connection.close()


# --------------------------------------------------------------------------------------------
# The binary and the server


@dataclass
class Tenant:
    slug: str
    keys: dict[str, str] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return f"t_{self.slug}"

    @property
    def source(self) -> str:
        return f"src_{self.slug}"


def key_id(key: str) -> str:
    """The id part of `rapport_<id>_<secret>`."""
    return key.split("_")[1]


def run_cli(binary: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout, env=cli_environment())
    if done.returncode != 0:
        raise RuntimeError(f"`rapport {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def cli_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RAPPORT_ADMIN_KEY")}
    env["LOG_LEVEL"] = "warning"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `rapport serve` process; restarted by the suite if a test brings it down."""

    def __init__(self, binary: str, database_url: str, admin_key: str, log_path: Path, row_cap: int, timeout_ms: int):
        self.binary = binary
        self.database_url = database_url
        self.admin_key = admin_key
        self.log_path = log_path
        self.row_cap = row_cap
        self.timeout_ms = timeout_ms
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.crashes: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            RAPPORT_ADMIN_KEY=self.admin_key,
            RAPPORT_QUERY_ROW_CAP=str(self.row_cap),
            RAPPORT_QUERY_TIMEOUT_MS=str(self.timeout_ms),
            LOG_LEVEL="info",
        )
        env.pop("RAPPORT_METRICS_TENANT_LABELS", None)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", self.database_url],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rapport serve exited {self.process.returncode} before it was ready:\n{self.log_tail()}")
            try:
                if requests.get(self.base_url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"rapport serve was not ready within 90 s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_for(self, request_id: str | None) -> str:
        """The server's log lines that carry `request_id`."""
        if not request_id:
            return ""
        try:
            return "\n".join(l for l in self.log_path.read_text(errors="replace").splitlines() if request_id in l)[-3000:]
        except OSError:
            return ""


@dataclass
class Rapport:
    """What the tests drive: the server, the operator key, tenants A and B, the database."""

    server: Server
    client: Client
    db: Superuser
    binary: str
    database_url: str
    admin_key: str
    a: Tenant
    b: Tenant
    run_id: str

    @property
    def row_cap(self) -> int:
        return self.server.row_cap

    def cli(self, *args: str) -> str:
        return run_cli(self.binary, *args, "--database-url", self.database_url)

    def create_tenant(self, slug: str, name: str | None = None) -> Tenant:
        """A tenant made over the operator API, with one key per scope."""
        body = {"slug": slug, **({"name": name} if name else {})}
        answer = self.client.post("/admin/v1/tenants", key=self.admin_key, json_body=body)
        assert answer.status == 201, answer.short()
        tenant = Tenant(slug)
        for scope in SCOPES:
            created = self.client.post(
                f"/admin/v1/tenants/{slug}/keys", key=self.admin_key,
                json_body={"scopes": [scope], "source": tenant.source, "name": f"hardening-{scope}"},
            )
            assert created.status == 201, created.short()
            tenant.keys[scope] = created.json()["key"]
            tenant.key_ids[scope] = created.json()["info"]["id"]
        return tenant

    def ingest(self, tenant: Tenant, messages: list[dict]) -> None:
        """Stores `messages` through /v1/batch (must succeed)."""
        answer = self.client.post("/v1/batch", basic=tenant.keys["ingest"], json_body={"batch": messages})
        assert answer.status == 200, answer.short()

    def query(self, tenant: Tenant, q: str, **kwargs: Any) -> Answer:
        return self.client.post("/v1/query", key=tenant.keys["query"], json_body={"q": q, **kwargs})


def _cli_tenant(binary: str, url: str, slug: str) -> Tenant:
    run_cli(binary, "tenants", "create", slug, "--name", f"Hardening {slug}", "--database-url", url)
    tenant = Tenant(slug)
    for scope in SCOPES:
        key = run_cli(
            binary, "keys", "create", "--tenant", slug, "--scopes", scope, "--source", tenant.source,
            "--name", f"hardening-{scope}", "--database-url", url,
        ).strip().splitlines()[-1].strip()
        assert key.startswith("rapport_"), key
        tenant.keys[scope] = key
        tenant.key_ids[scope] = key_id(key)
    return tenant


