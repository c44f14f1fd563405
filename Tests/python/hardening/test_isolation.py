"""Tenant isolation from outside: with tenant A's keys of every scope, every route and many RQL
positions are aimed at tenant B's things (profile ids, segment, metric and funnel names,
privacy request and export ids, key ids, running query ids, schema-qualified names and
search_path tricks). Nothing of B (its marker strings, ids, slug, subject hashes) may appear in
any answer to A, and nothing A does may change B. Also: query ids are per tenant (A's cancel
never stops B's query, early or late), a reused slug starts with an empty privacy audit log,
and /metrics is the operator's.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import psycopg
import pytest

from hardening_support import SCOPES, Answer, Rapport, Tenant, error_shape_problem, expect_error


@dataclass
class World:
    a: Tenant
    b: Tenant
    mark: str  # in every text of B's data
    b_profile_ids: list[int]
    b_survivor: int
    b_merged: int
    a_max_profile: int
    b_segment: str
    b_metric: str
    b_funnel: str
    b_requests: list[str]
    b_export: str
    b_hashes: list[str]
    b_event: str
    b_email: str
    secrets: set[str] = field(default_factory=set)  # everything of B that A must never see

    def leaks(self, answer: Answer, sent: str) -> list[str]:
        text = answer.text.lower()
        return [s for s in self.secrets if s.lower() in text and s.lower() not in sent.lower()]


def wait_for_request(rapport: Rapport, tenant: Tenant, request_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        answer = rapport.client.get(f"/v1/privacy/requests/{request_id}", key=tenant.keys["privacy"])
        assert answer.status == 200, answer.short()
        if answer.json()["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return answer.json()
        time.sleep(0.3)


@pytest.fixture(scope="module")
def world(rapport: Rapport) -> World:
    a, b, run = rapport.a, rapport.b, rapport.run_id
    mark = f"bsecret{run}"
    # A: three people. B: twelve, so B's highest ids are no profile of A's.
    rapport.ingest(a, [{"type": "identify", "userId": f"a-user-{i}", "traits": {"email": f"a{i}@example.com", "plan": "free"}}
                       for i in range(3)])
    b_event = f"{mark} Purchase"
    b_email = f"{mark}-0@example.com"
    messages = []
    for i in range(12):
        messages.append({"type": "identify", "userId": f"{mark}-u{i}", "anonymousId": f"{mark}-anon{i}",
                         "traits": {"email": f"{mark}-{i}@example.com", "plan": f"{mark}-plan", "company": f"{mark} Company"}})
        messages.append({"type": "track", "userId": f"{mark}-u{i}", "event": b_event,
                         "properties": {"revenue": 10 + i, f"{mark}prop": f"{mark}-value-{i}"}})
    messages.append({"type": "track", "userId": f"{mark}-u0", "event": "Order Completed", "properties": {"revenue": 99}})
    rapport.ingest(b, messages)
    # A merge in B: a device seen alone, then with a user.
    rapport.ingest(b, [{"type": "page", "anonymousId": f"{mark}-device", "name": f"{mark} Page"}])
    rapport.ingest(b, [{"type": "identify", "userId": f"{mark}-u1", "anonymousId": f"{mark}-device"}])
    survivor = rapport.db.value(f'SELECT profile_id FROM "{b.schema}".identities WHERE value = %s', (f"{mark}-u1",))
    merged = rapport.db.value(f'SELECT id FROM "{b.schema}".profiles WHERE merged_into IS NOT NULL ORDER BY id LIMIT 1')
    b_ids = [r[0] for r in rapport.db.rows(f'SELECT id FROM "{b.schema}".profiles ORDER BY id')]
    a_max = rapport.db.value(f'SELECT max(id) FROM "{a.schema}".profiles')

    segment, metric, funnel = f"{mark}_seg", f"{mark}_metric", f"{mark}_funnel"
    defined = rapport.query(b, f"segment {segment} = profiles | where did `{b_event}`;\n"
                               f"metric {metric} = sum(`{b_event}`.revenue);\n"
                               f"funnel {funnel} = `{b_event}` -> `Order Completed` within 30 days;\n"
                               f"count segment {segment}")
    assert defined.status == 200, defined.short()
    settings = rapport.client.put("/v1/privacy/settings", key=b.keys["privacy"],
                                  json_body={"controller": f"{mark} Controller GmbH", "purposes": [f"{mark} purpose"]})
    assert settings.status == 204, settings.short()
    identity = rapport.client.put("/v1/identity", key=b.keys["admin"], json_body={"source_precedence": [f"{mark}src", b.source]})
    assert identity.status == 200, identity.short()

    # B's privacy requests: an export (completed, downloadable) and a suppression of someone else.
    filed = rapport.client.post("/v1/privacy/requests", key=b.keys["privacy"],
                                json_body={"type": "export", "subject": {"user_id": f"{mark}-u0"}})
    assert filed.status == 202, filed.short()
    export_id = filed.json()["id"]
    other = rapport.client.post("/v1/privacy/requests", key=b.keys["privacy"],
                                json_body={"type": "suppress", "subject": {"email": f"{mark}-gone@example.com"}})
    assert other.status == 202, other.short()
    done = wait_for_request(rapport, b, export_id)
    assert done["status"] == "completed", done
    wait_for_request(rapport, b, other.json()["id"])
    hashes = [filed.json()["subject_hash"], other.json()["subject_hash"]]

    world = World(a=a, b=b, mark=mark, b_profile_ids=b_ids, b_survivor=survivor, b_merged=merged, a_max_profile=a_max,
                  b_segment=segment, b_metric=metric, b_funnel=funnel, b_requests=[export_id, other.json()["id"]],
                  b_export=export_id, b_hashes=hashes, b_event=b_event, b_email=b_email)
    # Every text of B's, each on its own: one named in A's request excuses only itself.
    world.secrets = {
        b.slug, *world.b_requests, *hashes, *b.key_ids.values(), *b.keys.values(),
        *(f"{mark}-u{i}" for i in range(12)), *(f"{mark}-anon{i}" for i in range(12)),
        *(f"{mark}-{i}@example.com" for i in range(12)), *(f"{mark}-value-{i}" for i in range(12)),
        f"{mark}-plan", f"{mark} Company", b_event, f"{mark}prop", f"{mark}-device", f"{mark} Page",
        segment, metric, funnel, f"{mark} Controller GmbH", f"{mark} purpose", f"{mark}src", f"{mark}-gone@example.com",
    }
    return world


def b_counts(rapport: Rapport, world: World) -> dict:
    counts = rapport.db.counts(world.b.slug)
    counts["definitions"] = rapport.db.value(f'SELECT count(*) FROM "{world.b.schema}".definitions')
    counts["merged"] = rapport.db.value(f'SELECT count(*) FROM "{world.b.schema}".profiles WHERE merged_into IS NOT NULL')
    counts["keys"] = rapport.db.value(
        "SELECT count(*) FROM rapport.api_keys k JOIN rapport.tenants t ON t.id = k.tenant_id "
        "WHERE t.slug = %s AND k.revoked_at IS NULL", (world.b.slug,))
    return counts


def a_call(rapport: Rapport, world: World, scope: str, method: str, path: str, body: dict | None = None) -> Answer:
    """A request by A's `scope` key; asserts no 5xx, the error shape, and that nothing of B is in it."""
    key = world.a.keys[scope]
    answer = rapport.client.call(method, path, key=key, json_body=body)
    sent = path + (json.dumps(body) if body is not None else "")
    assert answer.status < 500, answer.short()
    if answer.status >= 400:
        problem = error_shape_problem(answer)
        assert problem is None, f"{problem}: {answer.short()}"
    leaked = world.leaks(answer, sent)
    assert not leaked, f"A's {scope} key saw B's {leaked}: {answer.short()}"
    return answer


def route_probes(world: World) -> list[tuple[str, str, dict | None, str, set[int]]]:
    """(method, path, body, scope that may call it, statuses A's key of that scope may get)."""
    probes: list[tuple[str, str, dict | None, str, set[int]]] = []
    beyond = [i for i in world.b_profile_ids if i > world.a_max_profile]
    for pid in beyond[-3:] + [world.b_merged]:
        for suffix in ("", "/identities", "/traits", "/events", "/graph"):
            probes.append(("GET", f"/v1/profiles/{pid}{suffix}", None, "query", {404}))
    for pid in world.b_profile_ids[:3]:  # ids A has too: A's own profiles, never B's
        probes.append(("GET", f"/v1/profiles/{pid}", None, "query", {200, 308, 404}))
    probes += [
        ("POST", f"/v1/profiles/{world.b_survivor}/unmerge", {"merged_id": world.b_merged}, "admin", {400, 404, 409}),
        ("GET", f"/v1/profiles/lookup?user_id={world.mark}-u0", None, "query", {404}),
        ("GET", f"/v1/profiles/lookup?email={world.b_email}", None, "query", {404}),
        ("GET", f"/v1/profiles/lookup?anonymous_id={world.mark}-device", None, "query", {404}),
        ("GET", f"/v1/segments/{world.b_segment}", None, "query", {404}),
        ("GET", f"/v1/segments/{world.b_segment}/members", None, "query", {404}),
        ("GET", "/v1/segments", None, "query", {200}),
        ("GET", "/v1/catalog", None, "query", {200}),
        ("GET", "/v1/whoami", None, "any", {200}),
        ("GET", "/v1/keys", None, "admin", {200}),
        ("GET", "/v1/identity", None, "admin", {200}),
        ("GET", "/v1/privacy/settings", None, "privacy", {200}),
        ("GET", "/v1/privacy/requests", None, "privacy", {200}),
        ("GET", "/v1/privacy/requests?status=completed", None, "privacy", {200}),
        ("GET", "/v1/privacy/audit", None, "privacy", {200}),
        ("GET", "/v1/privacy/audit?after=0&limit=10000", None, "privacy", {200}),
        ("POST", "/v1/query/cancel", {"id": world.b_export}, "query", {200}),
    ]
    for request_id in world.b_requests:
        probes += [
            ("GET", f"/v1/privacy/requests/{request_id}", None, "privacy", {404}),
            ("POST", f"/v1/privacy/requests/{request_id}/cancel", None, "privacy", {404}),
            ("GET", f"/v1/privacy/requests/{request_id}/export", None, "privacy", {404}),
        ]
    for key_id in world.b.key_ids.values():
        probes.append(("DELETE", f"/v1/keys/{key_id}", None, "admin", {404}))
    # Operator routes: a tenant's key is not the operator key, whatever it names.
    for method, path, body in [
        ("GET", "/admin/v1/tenants", None), ("GET", f"/admin/v1/tenants/{world.b.slug}", None),
        ("GET", f"/admin/v1/tenants/{world.b.slug}/keys", None), ("GET", f"/admin/v1/tenants/{world.b.slug}/identity", None),
        ("PUT", f"/admin/v1/tenants/{world.b.slug}/identity", {"source_precedence": ["a"]}),
        ("POST", f"/admin/v1/tenants/{world.b.slug}/keys", {"scopes": ["admin"]}),
        ("DELETE", f"/admin/v1/tenants/{world.b.slug}/keys/{world.b.key_ids['admin']}", None),
        ("DELETE", f"/admin/v1/tenants/{world.b.slug}", None),
    ]:
        probes.append((method, path, body, "operator", {401}))
    return probes


def test_a_reaches_nothing_of_b_on_any_route(rapport: Rapport, world: World) -> None:
    before = b_counts(rapport, world)
    problems = []
    for method, path, body, owner, allowed in route_probes(world):
        for scope in SCOPES:
            try:
                answer = a_call(rapport, world, scope, method, path, body)
            except AssertionError as failure:
                problems.append(f"[{scope}] {failure}")
                continue
            if owner == "operator":
                expected = {401}
            elif scope == owner or owner == "any":
                expected = allowed
            else:
                expected = {403}
            if answer.status not in expected:
                problems.append(f"[{scope}] expected {sorted(expected)}: {answer.short(300)}")
    after = b_counts(rapport, world)
    assert after == before, f"A changed B: {before} -> {after}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    # B's keys all still work.
    for scope, key in world.b.keys.items():
        assert rapport.client.get("/v1/whoami", key=key).status == 200, f"B's {scope} key stopped working"


def rql_probes(world: World) -> list[str]:
    b_schema = world.b.schema
    return [
        f'count profiles where email = "{world.b_email}"',
        f'count profiles where user_id = "{world.mark}-u0"',
        f'count profiles where plan = "{world.mark}-plan"',
        f'count events where name = "{world.b_event}"',
        f"events | where name = \"{world.b_event}\" | select ts, name, props.{world.mark}prop",
        f"count profiles where did `{world.b_event}`",
        f"profiles | where did `{world.b_event}` | select id, email, n = count(`{world.b_event}`)",
        f"segment {world.b_segment}",
        f"count profiles where in {world.b_segment}",
        f"describe {world.b_segment}",
        f"describe {world.b_metric}",
        f"profiles | select id, {world.b_metric}",
        f"show funnel {world.b_funnel}",
        f"funnel {world.b_funnel} dropped at 1",
        "show segments", "show metrics", "show traits", "show events", "show value settings", "show tiers",
        "show value chain", "show lifecycle", "show retention by month",
        "profiles | select id, email, user_id, plan, company",
        "events | select ts, name, type, source | limit 500",
        "explain analyze count events",
        "explain profiles | where plan = \"x\"",
        f"{b_schema}.events",
        f"{b_schema}.profiles | select id",
        f'"{b_schema}"."profiles"',
        f"`{b_schema}`.profiles",
        f"`{b_schema}.profiles`",
        f"count `{b_schema}.events`",
        f"profiles | where {b_schema}.profiles.id > 0",
        f"profiles | select x = {b_schema}.events.name",
        f"count profiles where `{b_schema}.profiles.traits` = 1",
        f"events | where props.`{b_schema}.events` = 1",
        f"count profiles where did `{b_schema}.events`",
        f'count profiles where email = "x\'; SET search_path = {b_schema}, public; --"',
        f'count profiles where email = "x\\"; SET LOCAL ROLE {b_schema}; SELECT * FROM {b_schema}.profiles; --"',
        f'count profiles where `"; SET LOCAL search_path TO {b_schema}; SELECT "` = 1',
        f"count profiles where plan = '{b_schema}' or company matches \"{b_schema}\"",
        f"profiles | where email matches \".*\" | select email | limit 500",
        f"segment {world.b_segment} = profiles | where plan = \"{b_schema}\"",
        f"count segment {world.b_segment}",
        f"drop segment {world.b_segment}",
        f"set value revenue = `{world.b_event}`.revenue; show tiers",
        f"events | group by props.{world.mark}prop select n = count()",
        f"profiles | group by plan select n = count()",
    ]


def test_a_reads_nothing_of_b_through_rql(rapport: Rapport, world: World) -> None:
    before = b_counts(rapport, world)
    problems = []
    for q in rql_probes(world):
        try:
            answer = a_call(rapport, world, "query", "POST", "/v1/query", {"q": q})
        except AssertionError as failure:
            problems.append(str(failure))
            continue
        if answer.status not in (200, 400, 409, 422):
            problems.append(f"status {answer.status}: {answer.short(300)}")
        elif answer.status == 200:
            rows = answer.json()["rows"]
            if q.startswith("count ") and rows and isinstance(rows[-1][0], (int, float)) and rows[-1][0] != 0 \
                    and world.mark in q:
                problems.append(f"A counted B's rows: q={q!r} -> {rows}")
            if q.startswith("events | where name") and rows:
                problems.append(f"A read B's events: {rows[:3]}")
    # The same probes through validate: diagnostics must not name B's things either.
    for q in rql_probes(world):
        try:
            answer = a_call(rapport, world, "query", "POST", "/v1/query/validate", {"q": q})
        except AssertionError as failure:
            problems.append(str(failure))
    after = b_counts(rapport, world)
    assert after == before, f"A changed B: {before} -> {after}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    # B still sees its own.
    mine = rapport.query(world.b, f"count segment {world.b_segment}")
    assert mine.status == 200 and mine.json()["rows"][0][0] == 12, mine.short()


def test_b_sees_nothing_of_a_either(rapport: Rapport, world: World) -> None:
    """The mirror image, briefly: B asks for A's people by their identifiers."""
    for q in ['count profiles where email = "a0@example.com"', 'count profiles where user_id = "a-user-1"']:
        answer = rapport.query(world.b, q)
        assert answer.status == 200 and answer.json()["rows"] == [[0]], answer.short()


# --------------------------------------------------------------------------------------------
# Query ids are per tenant


class TableLock:
    """Holds ACCESS EXCLUSIVE locks on a tenant's tables (as superuser), so its queries wait."""

    def __init__(self, rapport: Rapport, tenant: Tenant):
        self.rapport, self.tenant = rapport, tenant
        self.connection = psycopg.connect(rapport.db.url)

    def __enter__(self) -> "TableLock":
        with self.connection.cursor() as cursor:
            for table in ("profiles", "events"):
                cursor.execute(f'LOCK TABLE "{self.tenant.schema}"."{table}" IN ACCESS EXCLUSIVE MODE')
        return self

    def waiting(self) -> int:
        return self.rapport.db.value(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT l.granted AND n.nspname = %s", (self.tenant.schema,))

    def wait_for_waiter(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.waiting() == 0:
            assert time.monotonic() < deadline, "the tenant's query never reached the locked table"
            time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        self.connection.rollback()
        self.connection.close()


def query_thread(rapport: Rapport, tenant: Tenant, q: str, query_id: str) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        result["answer"] = rapport.client.post("/v1/query", key=tenant.keys["query"], json_body={"q": q, "id": query_id},
                                               timeout=60)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_cancel_by_another_tenant_does_not_cancel(rapport: Rapport, world: World) -> None:
    query_id = f"shared-running-{rapport.run_id}"
    with TableLock(rapport, world.b) as lock:
        thread, result = query_thread(rapport, world.b, "count profiles", query_id)
        lock.wait_for_waiter()
        # A may use the same id for its own query while B's runs,
        mine = a_call(rapport, world, "query", "POST", "/v1/query", {"q": "count profiles", "id": query_id})
        # and A's cancel of that id does not reach B's.
        cancel = a_call(rapport, world, "query", "POST", "/v1/query/cancel", {"id": query_id})
        still_waiting = lock.waiting()
    thread.join(timeout=60)
    b_answer: Answer = result["answer"]
    assert cancel.status == 200 and cancel.json().get("cancelled") is False, \
        f"A's cancel claims to have cancelled B's query: {cancel.short()}"
    assert mine.status == 200, f"A's query under the id B was using: {mine.short()}"
    assert still_waiting > 0, "B's query stopped waiting on its lock when A cancelled"
    assert b_answer.status == 200, f"B's query was stopped by A's cancel: {b_answer.short()}"
    live = rapport.db.value(f'SELECT count(*) FROM "{world.b.schema}".profiles WHERE merged_into IS NULL')
    assert b_answer.json()["rows"][0][0] == live, b_answer.short()


def test_cancel_by_the_same_tenant_cancels(rapport: Rapport, world: World) -> None:
    """The control for the test above: B's own cancel does stop B's query."""
    query_id = f"own-running-{rapport.run_id}"
    with TableLock(rapport, world.b) as lock:
        thread, result = query_thread(rapport, world.b, "count profiles", query_id)
        lock.wait_for_waiter()
        cancel = rapport.client.post("/v1/query/cancel", key=world.b.keys["query"], json_body={"id": query_id})
    thread.join(timeout=60)
    assert cancel.status == 200 and cancel.json()["cancelled"] is True, cancel.short()
    expect_error(result["answer"], 409, "query-cancelled")


def test_early_cancel_by_another_tenant_does_not_stop_a_later_query(rapport: Rapport, world: World) -> None:
    query_id = f"shared-early-{rapport.run_id}"
    cancel = a_call(rapport, world, "query", "POST", "/v1/query/cancel", {"id": query_id})
    assert cancel.status == 200 and cancel.json()["cancelled"] is False, cancel.short()
    later = rapport.client.post("/v1/query", key=world.b.keys["query"], json_body={"q": "count profiles", "id": query_id})
    assert later.status == 200, f"B's query was stopped by A's earlier cancel of the same id: {later.short()}"
    # And the early cancel still stops A's own later query (the documented behaviour).
    own = a_call(rapport, world, "query", "POST", "/v1/query", {"q": "count profiles", "id": query_id})
    expect_error(own, 409, "query-cancelled")


# --------------------------------------------------------------------------------------------
# A reused slug


def test_reused_slug_starts_with_an_empty_privacy_record(rapport: Rapport) -> None:
    slug = f"reuse_{rapport.run_id}"
    old = rapport.create_tenant(slug, name="Reuse (first)")
    rapport.ingest(old, [{"type": "identify", "userId": "reuse-person", "traits": {"email": "reuse@example.com"}}])
    filed = rapport.client.post("/v1/privacy/requests", key=old.keys["privacy"],
                                json_body={"type": "export", "subject": {"user_id": "reuse-person"}})
    assert filed.status == 202, filed.short()
    old_id, old_hash = filed.json()["id"], filed.json()["subject_hash"]
    assert wait_for_request(rapport, old, old_id)["status"] == "completed"
    settings = rapport.client.put("/v1/privacy/settings", key=old.keys["privacy"], json_body={"controller": "Old Controller"})
    assert settings.status == 204, settings.short()
    audit = rapport.client.get("/v1/privacy/audit", key=old.keys["privacy"])
    assert audit.status == 200 and audit.json()["entries"], f"the control: the first tenant's audit is empty: {audit.short()}"

    deleted = rapport.client.delete(f"/admin/v1/tenants/{slug}", key=rapport.admin_key)
    assert deleted.status == 204, deleted.short()
    assert rapport.client.get("/v1/whoami", key=old.keys["privacy"]).status == 401

    new = rapport.create_tenant(slug, name="Reuse (second)")
    problems = []
    audit = rapport.client.get("/v1/privacy/audit?limit=10000", key=new.keys["privacy"])
    if audit.status != 200 or audit.json()["entries"] != []:
        problems.append(f"the new tenant's audit log: {audit.short()}")
    for path in ("/v1/privacy/requests", "/v1/privacy/requests?status=completed"):
        listed = rapport.client.get(path, key=new.keys["privacy"])
        if listed.status != 200 or listed.json()["requests"] != []:
            problems.append(f"the new tenant's requests: {listed.short()}")
    for path in (f"/v1/privacy/requests/{old_id}", f"/v1/privacy/requests/{old_id}/export"):
        answer = rapport.client.get(path, key=new.keys["privacy"])
        if answer.status != 404:
            problems.append(f"the old request through the new tenant: {answer.short()}")
    settings = rapport.client.get("/v1/privacy/settings", key=new.keys["privacy"])
    if "Old Controller" in settings.text:
        problems.append(f"the old tenant's settings: {settings.short()}")
    for answer in [audit, settings]:
        for secret in (old_id, old_hash, "reuse-person"):
            if secret in answer.text:
                problems.append(f"{secret} in {answer.short()}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Metrics


def test_metrics_are_the_operators_and_name_no_tenant(rapport: Rapport, world: World) -> None:
    anonymous = rapport.client.get("/metrics")
    expect_error(anonymous, 401)
    for scope in SCOPES:
        answer = rapport.client.get("/metrics", key=world.a.keys[scope])
        expect_error(answer, {401, 403})
    operator = rapport.client.get("/metrics", key=rapport.admin_key)
    assert operator.status == 200, operator.short()
    assert operator.headers.get("Content-Type", "").startswith("text/plain"), operator.headers
    assert "# TYPE" in operator.text
    named = [line for line in operator.text.splitlines()
             if world.a.slug in line or world.b.slug in line or 'tenant="' in line]
    assert not named, "per-tenant labels without RAPPORT_METRICS_TENANT_LABELS=on:\n" + "\n".join(named[:5])


def metric_lines(rapport: Rapport, route: str, status: str) -> int:
    """The request counters of `route` with `status`, summed (read with the operator key)."""
    answer = rapport.client.get("/metrics", key=rapport.admin_key)
    assert answer.status == 200, answer.short()
    total = 0
    for line in answer.text.splitlines():
        if line.startswith("hb_requests{") and f'http_route="{route}"' in line and f'http_response_status_code="{status}"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def test_refusals_are_not_counted_as_server_errors(rapport: Rapport, world: World) -> None:
    """A tenant sending a wrong key to the operator API must not page the operator with 5xx."""
    before_500 = metric_lines(rapport, "/admin/v1/tenants", "500")
    before_401 = metric_lines(rapport, "/admin/v1/tenants", "401")
    for _ in range(3):
        expect_error(rapport.client.get("/admin/v1/tenants", key=world.a.keys["admin"]), 401)
    assert metric_lines(rapport, "/admin/v1/tenants", "500") == before_500, "401s were counted as 500s"
    assert metric_lines(rapport, "/admin/v1/tenants", "401") == before_401 + 3, "the 401s were not counted"
