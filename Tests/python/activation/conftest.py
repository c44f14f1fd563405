"""Fixtures of the activation tests: a fresh database on scripts/test's PostgreSQL, a
`rapport serve` that may send to 127.0.0.1 (RAPPORT_ALLOW_PRIVATE_DESTINATIONS=1), tenants
with keys made by the binary, and real HTTP receivers."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "durability"))

import importlib.util  # noqa: E402

# The durability suite's fixtures (a database of its own, server processes killed at the end).
_spec = importlib.util.spec_from_file_location("durability_fixtures", HERE.parent / "durability" / "conftest.py")
_durability = importlib.util.module_from_spec(_spec)
sys.modules["durability_fixtures"] = _durability
_spec.loader.exec_module(_durability)
pg, database, log_dir, servers = _durability.pg, _durability.database, _durability.log_dir, _durability.servers

from durability_harness import run_rapport  # noqa: E402
from receiver import Receiver  # noqa: E402


@dataclass
class Tenant:
    slug: str
    key: str  # ingest, query, admin
    query_key: str  # query only


class API:
    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, key: str | None, body=None, basic: bool = False, timeout: float = 60):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            if basic:
                request.add_header("Authorization", "Basic " + base64.b64encode((key + ":").encode()).decode())
            else:
                request.add_header("Authorization", "Bearer " + key)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, text

    def ok(self, method: str, path: str, key: str, body=None, expect=(200, 201, 202, 204)):
        status, answer = self.call(method, path, key, body)
        assert status in expect, f"{method} {path} -> {status}: {answer}"
        return answer

    def query(self, key: str, q: str):
        return self.ok("POST", "/v1/query", key, {"q": q})

    def batch(self, key: str, messages: list[dict]):
        status, answer = self.call("POST", "/v1/batch", key, {"batch": messages}, basic=True)
        assert status == 200, f"batch -> {status}: {answer}"


@pytest.fixture
def make_tenant(database):
    def make(prefix: str = "act") -> Tenant:
        slug = prefix + "_" + secrets.token_hex(3)
        run_rapport(["tenants", "create", slug, "--database-url", database.url])
        key = run_rapport(["keys", "create", "--tenant", slug, "--scopes", "ingest,query,admin,privacy",
                           "--database-url", database.url]).stdout.strip()
        query_key = run_rapport(["keys", "create", "--tenant", slug, "--scopes", "query,ingest",
                                 "--database-url", database.url]).stdout.strip()
        return Tenant(slug, key, query_key)
    return make


@pytest.fixture
def server(servers, monkeypatch):
    monkeypatch.setenv("RAPPORT_ALLOW_PRIVATE_DESTINATIONS", "1")
    s = servers("server")
    s.start()
    return s


@pytest.fixture
def api_at():
    """API for a server of a test's own (the module name `conftest` is not this file's once
    several suites run in one pytest)."""
    return API


@pytest.fixture
def api(server) -> API:
    return API(server.url)


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(secret: str | None = None) -> Receiver:
        r = Receiver(secret)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()
