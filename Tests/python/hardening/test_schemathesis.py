"""Schemathesis against the running server, from openapi.yaml.

Every operation is generated in positive and negative mode and each generated request is sent
with each of the tenant's keys (one per scope: ingest, query, privacy, admin) and with the
operator key, and must pass: no 5xx, a documented status code, a body that conforms to the
documented schema, and the documented content type.

Bounded: RAPPORT_SCHEMATHESIS_EXAMPLES examples per operation and mode (default 75), a fixed
seed (RAPPORT_SCHEMATHESIS_SEED), no shrinking (the server is stateful, so a shrunk example
would not reproduce anyway). Failures are collected per operation (deduplicated by
who sent it, check and status) rather than stopping at the first, so one run lists every
disagreement between the spec and the server. RAPPORT_SCHEMATHESIS_REPORT=FILE writes them
as JSON too.

Destructive operations run on throwaway targets: `DELETE /admin/v1/tenants/{slug}` deletes a
tenant made for it (and random slugs), key revocations revoke a key made for them (and random
ids). Everything else runs on a tenant of its own (`hs_…`), so what the fuzzer files or
suppresses does not disturb the other files' tenants.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hardening_support import REPO, Rapport, Tenant

EXAMPLES = int(os.environ.get("RAPPORT_SCHEMATHESIS_EXAMPLES", "75"))
SEED = int(os.environ.get("RAPPORT_SCHEMATHESIS_SEED", "20240601"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]

SCHEMA = schemathesis.openapi.from_path(str(REPO / "openapi.yaml"))
_OPS = [result.ok() for result in SCHEMA.get_all_operations()]
# Negative mode needs something to make invalid: a path or query parameter or a body.
CASES = sorted(
    [(op.method.upper(), op.path, schemathesis.GenerationMode.POSITIVE) for op in _OPS]
    + [(op.method.upper(), op.path, schemathesis.GenerationMode.NEGATIVE) for op in _OPS
       if len(op.path_parameters) + len(op.query) + len(op.body) > 0],
    key=lambda case: (case[1], case[0], str(case[2])),
)
THROWAWAYS = itertools.count(1)
# Every failure of the run, for the JSON report.
ALL_FAILURES: list[dict] = []
# The statuses seen, per operation and sender, for the JSON report.
STATUSES: dict[str, dict[str, dict[int, int]]] = {}


@pytest.fixture(scope="module")
def fuzz(rapport: Rapport):
    """The tenant the fuzzer works on, and a session with keep-alive."""
    tenant = rapport.create_tenant(f"hs_{rapport.run_id}", name="Schemathesis")
    # Something to find: a merged pair of profiles, an event, a segment.
    rapport.ingest(tenant, [
        {"type": "track", "anonymousId": "st-anon", "event": "Order Completed", "properties": {"revenue": 10}},
        {"type": "identify", "userId": "st-user", "traits": {"email": "st@example.com", "plan": "pro"}},
        {"type": "identify", "userId": "st-user", "anonymousId": "st-anon"},
    ])
    answer = rapport.query(tenant, "segment st_buyers = profiles | where did `Order Completed`")
    assert answer.status == 200, answer.short()
    session = requests.Session()
    yield tenant, session
    session.close()
    report = os.environ.get("RAPPORT_SCHEMATHESIS_REPORT")
    if report:
        Path(report).write_text(json.dumps({"failures": ALL_FAILURES, "statuses": STATUSES}, indent=2))


def credentials(rapport: Rapport, tenant: Tenant) -> list[tuple[str, dict[str, str]]]:
    who = [(f"key:{scope}", {"Authorization": f"Bearer {key}"}) for scope, key in tenant.keys.items()]
    return who + [("operator", {"Authorization": f"Bearer {rapport.admin_key}"})]


def strategy_for(rapport: Rapport, tenant: Tenant, method: str, path: str, mode: schemathesis.GenerationMode):
    """The cases of one operation; destructive ones aimed at throwaway targets as well as random ones."""
    operation = SCHEMA[path][method]
    fixed: dict[str, str] = {}
    if "{slug}" in path:
        if method == "DELETE" and path == "/admin/v1/tenants/{slug}":
            throwaway = rapport.create_tenant(f"hx_{rapport.run_id}_{next(THROWAWAYS)}")
            return st.one_of(operation.as_strategy(mode, path_parameters={"slug": throwaway.slug}), operation.as_strategy(mode))
        fixed["slug"] = tenant.slug
    if method == "DELETE" and path.endswith("/keys/{id}"):
        created = rapport.client.post(
            f"/admin/v1/tenants/{tenant.slug}/keys", key=rapport.admin_key, json_body={"scopes": ["query"], "name": "throwaway"})
        assert created.status == 201, created.short()
        throwaway_id = created.json()["info"]["id"]
        return st.one_of(
            operation.as_strategy(mode, path_parameters={**fixed, "id": throwaway_id}),
            operation.as_strategy(mode, path_parameters=fixed or None),
        )
    if fixed:
        # Mostly the fuzz tenant, sometimes a random slug.
        return st.one_of(operation.as_strategy(mode, path_parameters=fixed), operation.as_strategy(mode))
    return operation.as_strategy(mode)


def failure_summary(who: str, failure, response) -> dict:
    return {
        "who": who,
        "check": getattr(failure, "title", type(failure).__name__),
        "status": getattr(response, "status_code", None),
        "message": str(getattr(failure, "message", failure))[:1500],
    }


@pytest.mark.parametrize("method,path,mode", CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES])
def test_operation_conforms(rapport: Rapport, fuzz, method: str, path: str, mode) -> None:
    tenant, session = fuzz
    who_list = credentials(rapport, tenant)
    found: dict[tuple, dict] = {}
    seen = STATUSES.setdefault(f"{method} {path} {mode}", {})

    @seed(SEED)
    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=strategy_for(rapport, tenant, method, path, mode))
    def run(case) -> None:
        for who, headers in who_list:
            try:
                response = case.call(base_url=rapport.server.base_url, session=session, headers=headers, timeout=60)
            except requests.RequestException as error:
                key = (who, "transport", type(error).__name__)
                found.setdefault(key, {"who": who, "check": "transport error", "status": None,
                                       "message": f"{type(error).__name__}: {error}"})
                continue
            counts = seen.setdefault(who, {})
            counts[response.status_code] = counts.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    summary = failure_summary(who, failure, response)
                    summary["request"] = case.as_curl_command(headers=headers, base_url=rapport.server.base_url)[:1500]
                    summary["response"] = response.text[:800] if hasattr(response, "text") else ""
                    found.setdefault((who, summary["check"], summary["status"]), summary)

    try:
        run()
    except Unsatisfiable:
        pytest.skip("openapi.yaml leaves nothing of this operation that negative mode can make invalid")
    if found:
        failures = [{"operation": f"{method} {path}", "mode": str(mode), **f} for f in found.values()]
        ALL_FAILURES.extend(failures)
        lines = [
            f"- [{f['who']}] {f['check']} (status {f['status']}): {f['message'][:400]}\n    {f.get('request', '')[:400]}\n    -> {f.get('response', '')[:300]}"
            for f in failures
        ]
        pytest.fail(f"{method} {path} ({mode}) disagrees with openapi.yaml:\n" + "\n".join(lines), pytrace=False)
