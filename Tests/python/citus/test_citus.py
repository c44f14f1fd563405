"""Rapport on a Citus cluster, as an operator and the integrations would use it: the CLI and
`rapport serve` as the non-superuser `rapport` role against the coordinator; checks from
outside as the superuser on every node. The tests run in order and build on each other.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
import time
from pathlib import Path

import pytest

from citus_support import Cluster
from hardening_support import Client, Server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "activation"))
from receiver import Faults, Receiver  # noqa: E402

ANN = {"email": "ann.citus@example.com", "user": "ann-citus-7731", "phone": "phone-ann-5521",
       "laptop": "laptop-ann-9914", "plan": "ann-plan-0xa11ce"}


def slug(cluster: Cluster, name: str) -> str:
    return f"c{name}_{cluster.run_id}"


def key_for(cluster: Cluster, tenant: str) -> str:
    if tenant not in cluster.keys:
        out = cluster.cli("keys", "create", "--tenant", tenant, "--scopes", "ingest,query,privacy", "--source", "citus-suite")
        cluster.keys[tenant] = out.strip().splitlines()[-1].strip()
    return cluster.keys[tenant]


def batch(cluster: Cluster, tenant: str, messages: list[dict], timeout: float = 120):
    return cluster.client.post("/v1/batch", basic=key_for(cluster, tenant), json_body={"batch": messages}, timeout=timeout)


def query(cluster: Cluster, tenant: str, q: str):
    answer = cluster.client.post("/v1/query", key=key_for(cluster, tenant), json_body={"q": q}, timeout=120)
    assert answer.status == 200, f"{q!r}: {answer.short()}"
    return answer.json()


def placement(cluster: Cluster, tenant: str) -> set[str]:
    """The nodes that hold the tenant's tables, from Citus's metadata."""
    rows = cluster.on(cluster.coordinator, """
        SELECT DISTINCT n.nodename || ':' || n.nodeport FROM pg_dist_partition p
        JOIN pg_class c ON c.oid = p.logicalrelid JOIN pg_namespace ns ON ns.oid = c.relnamespace
        JOIN pg_dist_shard s ON s.logicalrelid = p.logicalrelid JOIN pg_dist_placement pl ON pl.shardid = s.shardid
        JOIN pg_dist_node n ON n.groupid = pl.groupid WHERE ns.nspname = %s""", (f"t_{tenant}",))
    return {row[0] for row in rows}


def test_migrate_says_it_is_citus(cluster: Cluster) -> None:
    cluster.cli("migrate")
    status = cluster.cli("migrate", "--status")
    assert re.search(r"Database: PostgreSQL \S+ with Citus \S+ \(2 workers\)", status), status
    for worker in cluster.workers:
        assert worker in status, status
    assert "All migrations are applied." in status
    # The control schema stays a plain local schema on the coordinator.
    assert cluster.value(cluster.coordinator, "SELECT count(*) FROM pg_dist_schema WHERE schemaid = 'rapport'::regnamespace") == 0
    assert cluster.value(cluster.coordinator,
                         "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'rapport.%%'") == 0


def test_tenants_are_made_distributed_on_workers(cluster: Cluster) -> None:
    for name in ("a", "b"):
        cluster.cli("tenants", "create", slug(cluster, name), "--name", f"Citus {name.upper()}")
    for name in ("a", "b"):
        tenant = slug(cluster, name)
        distributed = cluster.value(cluster.coordinator,
                                    "SELECT count(*) FROM pg_dist_schema WHERE schemaid::regnamespace::text = %s", (f"t_{tenant}",))
        assert distributed == 1, f"t_{tenant} is not a distributed schema"
        nodes = placement(cluster, tenant)
        assert len(nodes) == 1 and nodes <= set(cluster.workers), f"t_{tenant} lives on {nodes}"
        tables = cluster.value(cluster.coordinator, "SELECT count(*) FROM pg_tables WHERE schemaname = %s", (f"t_{tenant}",))
        shards = cluster.value(cluster.coordinator, """
            SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
            WHERE c.relnamespace = %s::regnamespace""", (f"t_{tenant}",))
        assert tables == shards > 10, f"{tables} tables, {shards} distributed"
        # The role logs in (Citus opens the worker connection as it), has no password, and is in the group.
        role = cluster.on(cluster.workers[0], """
            SELECT rolcanlogin, rolpassword IS NULL, pg_has_role(oid, 'rapport_tenants', 'MEMBER')
            FROM pg_authid WHERE rolname = %s""", (f"t_{tenant}",))
        assert role == [(True, True, True)], role
    listed = cluster.cli("tenants", "list")
    for name in ("a", "b"):
        line = next(l for l in listed.splitlines() if l.startswith(slug(cluster, name)))
        assert "ready" in line and any(worker in line for worker in cluster.workers), listed


def test_ingest_over_http_with_merges(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> None:
    cluster.admin_key = "op_" + secrets.token_urlsafe(16)
    cluster.server = Server(cluster.binary, cluster.url, cluster.admin_key,
                            tmp_path_factory.mktemp("citus") / "rapport-serve.log", row_cap=10_000, timeout_ms=30_000)
    with pytest.MonkeyPatch.context() as patch:
        # The activation test below sends to a receiver on 127.0.0.1.
        patch.setenv("RAPPORT_ALLOW_PRIVATE_DESTINATIONS", "1")
        cluster.server.start()
    cluster.client = Client(cluster.server.base_url)
    ready = cluster.client.get("/readyz").json()
    assert ready["status"] == "ready" and "with Citus" in ready["database"], ready

    a = slug(cluster, "a")
    messages = [
        {"type": "track", "anonymousId": ANN["phone"], "event": "Product Viewed", "properties": {"sku": "A1"},
         "timestamp": "2026-11-02T10:00:00Z"},
        {"type": "identify", "userId": ANN["user"], "anonymousId": ANN["phone"],
         "traits": {"email": ANN["email"], "plan": ANN["plan"]}, "timestamp": "2026-11-02T10:01:00Z"},
        {"type": "page", "anonymousId": ANN["laptop"], "name": "Pricing", "timestamp": "2026-11-02T11:00:00Z"},
        {"type": "identify", "anonymousId": ANN["laptop"], "traits": {"email": ANN["email"].upper()},
         "timestamp": "2026-11-02T11:01:00Z"},
        {"type": "track", "userId": ANN["user"], "event": "Added to Cart", "timestamp": "2026-11-02T11:05:00Z"},
        {"type": "track", "userId": ANN["user"], "event": "Order Completed", "properties": {"revenue": 42},
         "timestamp": "2026-11-02T11:10:00Z"},
        {"type": "group", "userId": ANN["user"], "groupId": "acme-citus", "traits": {"name": "Acme"},
         "timestamp": "2026-11-02T11:11:00Z"},
        {"type": "alias", "userId": "ann-new-id-3391", "previousId": ANN["user"], "timestamp": "2026-11-02T11:12:00Z"},
    ]
    # Others, so that reports have a population: 30 people, a third of whom buy.
    for i in range(30):
        person = f"citus-person-{i}"
        messages.append({"type": "identify", "userId": person, "traits": {"email": f"{person}@example.com", "plan": "free"},
                         "timestamp": f"2026-10-{1 + i % 28:02d}T09:00:00Z"})
        messages.append({"type": "track", "userId": person, "event": "Product Viewed",
                         "timestamp": f"2026-10-{1 + i % 28:02d}T09:05:00Z"})
        if i % 3 == 0:
            messages.append({"type": "track", "userId": person, "event": "Added to Cart",
                             "timestamp": f"2026-10-{1 + i % 28:02d}T09:06:00Z"})
            messages.append({"type": "track", "userId": person, "event": "Order Completed", "properties": {"revenue": 10 + i},
                             "timestamp": f"2026-10-{1 + i % 28:02d}T09:07:00Z"})
    answer = batch(cluster, a, messages)
    assert answer.status == 200, answer.short()
    for name in ("phone", "laptop"):
        lookup = cluster.client.get(f"/v1/profiles/lookup?anonymous_id={ANN[name]}", basic=key_for(cluster, a))
        assert lookup.status == 200, lookup.short()
        profile = lookup.json()
        assert profile["groups"] == ["acme-citus"], profile
        kinds = sorted({i["kind"] for i in profile["identities"]})
        assert {"anonymous_id", "email", "user_id"} <= set(kinds), kinds
    phone = cluster.client.get(f"/v1/profiles/lookup?anonymous_id={ANN['phone']}", basic=key_for(cluster, a)).json()["id"]
    laptop = cluster.client.get(f"/v1/profiles/lookup?anonymous_id={ANN['laptop']}", basic=key_for(cluster, a)).json()["id"]
    assert phone == laptop, "the laptop's profile did not merge into Ann's"
    # The other tenant has none of it.
    b = slug(cluster, "b")
    assert query(cluster, b, "count profiles")["rows"] == [[0]]


def test_definitions_and_every_report(cluster: Cluster) -> None:
    a = slug(cluster, "a")
    saved = query(cluster, a, """
        segment buyers = profiles | where did `Order Completed`;
        funnel shop = `Product Viewed` -> `Added to Cart` within 1 day -> `Order Completed` within 7 days;
        set value discount = 10%""")
    assert saved["rows"], saved
    members = cluster.client.get("/v1/segments/buyers", basic=key_for(cluster, a))
    assert members.status == 200 and members.json()["members"] == 11, members.short()
    funnel = query(cluster, a, "show funnel shop")
    assert [row[3] for row in funnel["rows"]] == [31, 11, 11], funnel["rows"]
    for report in ("show tiers", "show pareto", "show lifecycle", "show retention by month", "show value chain",
                   "show value settings", "profiles | where tier = \"platinum\" | select email, clv, rfm, stage | limit 5",
                   "profiles | group by rfm select n = count()",
                   "events | group by name select n = count()", "funnel shop dropped at 1 | select id | limit 5"):
        answer = query(cluster, a, report)
        assert answer["rows"], f"{report}: {answer}"
    explained = query(cluster, a, "explain count profiles where did `Order Completed`")
    assert "SELECT" in str(explained["rows"])
    analysed = query(cluster, a, "explain analyze count profiles where did `Order Completed`")
    # Citus runs the whole query as one task on the tenant's worker.
    plan = "\n".join(str(row[0]) for row in analysed["rows"])
    assert "Task Count: 1" in plan, plan
    worker = next(iter(placement(cluster, a)))
    assert f"port={worker.split(':')[1]}" in plan, plan


def test_a_top_by_aggregates_is_the_slice_of_the_whole_order(cluster: Cluster) -> None:
    """Profiles ordered by aggregates with a limit are found as two small tops (the pass as a
    materialized CTE; from the summaries, whose rows are live profiles', its first rows in
    order): on Citus too, the rows are those of the same order taken at a second level, which
    is written plainly."""
    a = slug(cluster, "a")
    buyers = query(cluster, a, "count segment buyers")["rows"][0][0]
    assert buyers >= 5, buyers
    for condition in ("", " | where email is not null"):
        for order in ("spent desc", "spent", "orders desc"):
            # The slice straddles the buyers and the others, so both tops give rows.
            slice_ = f"limit 12 offset {buyers - 6}"
            base = f"profiles{condition} | select email, orders = count(`Order Completed`), spent = sum(`Order Completed`.revenue)"
            top = query(cluster, a, f"{base} | order by {order} | {slice_}")["rows"]
            whole = query(cluster, a, f"{base} | select email, orders, spent | order by {order} | {slice_}")["rows"]
            assert len(top) == 12 and top == whole, (condition, order, top, whole)
            if order != "spent":
                assert {row[2] == 0 for row in top} == {True, False}, top
    plan = "\n".join(str(row[0]) for row in query(
        cluster, a, "explain profiles | select email, spent = sum(`Order Completed`.revenue) | order by spent desc | limit 5")["rows"])
    assert "UNION ALL" in plan and "FROM event_summaries" in plan and "LATERAL" not in plan, plan


def test_a_value_setting_rebuilds_the_summaries_on_the_worker(cluster: Cluster) -> None:
    """A change of the revenue flows makes the summaries inexact: the server's summary worker
    rebuilds them on the tenant's worker, and once it is done the same questions read the
    summaries again and answer as before (the revenue events are the same ones)."""
    a = slug(cluster, "a")
    question = "count profiles where sum(`Order Completed`.revenue) > 20"
    before = [query(cluster, a, q)["rows"] for q in ("show tiers", question)]
    query(cluster, a, "set value revenue = `Order Completed`.revenue")
    deadline = time.time() + 60
    while True:
        plan = "\n".join(str(row[0]) for row in query(cluster, a, "explain " + question)["rows"])
        if "FROM event_summaries" in plan:
            break
        assert time.time() < deadline, f"the summaries were not rebuilt within a minute: {plan}"
        time.sleep(0.5)
    after = [query(cluster, a, q)["rows"] for q in ("show tiers", question)]
    assert after == before, (before, after)


def test_an_erasure_leaves_nothing_on_any_node(cluster: Cluster) -> None:
    a = slug(cluster, "a")
    done = cluster.cli("privacy", "erase", "--tenant", a, "--email", ANN["email"])
    assert "completed" in done, done
    assert "verification_hits           0" in done or re.search(r"verification_hits\s+0", done), done
    for node in cluster.nodes:
        dump = cluster.dump(node).lower()
        for value in ANN.values():
            assert value.lower() not in dump, f"{value} is still on {node}"
    assert query(cluster, a, "count profiles where email = \"" + ANN["email"] + "\"")["rows"] == [[0]]


def test_an_unmerge_splits_the_profiles_and_their_summaries(cluster: Cluster) -> None:
    """A merge combines two people's summaries on the tenant's worker; an unmerge recomputes
    the two from their events, so the questions the summaries answer see them apart again."""
    a = slug(cluster, "a")
    run = cluster.run_id
    left, right = f"tablet-{run}", f"kiosk-{run}"
    answer = batch(cluster, a, [
        {"type": "track", "anonymousId": left, "event": "Order Completed", "properties": {"revenue": 5},
         "timestamp": "2026-11-03T10:00:00Z"},
        {"type": "track", "anonymousId": right, "event": "Order Completed", "properties": {"revenue": 7},
         "timestamp": "2026-11-03T10:05:00Z"},
        {"type": "identify", "userId": f"pair-{run}", "anonymousId": left, "timestamp": "2026-11-03T10:10:00Z"},
        {"type": "identify", "userId": f"pair-{run}", "anonymousId": right, "timestamp": "2026-11-03T10:11:00Z"},
    ])
    assert answer.status == 200, answer.short()
    question = f'profiles | where user_id = "pair-{run}" | select orders = count(`Order Completed`), spent = sum(`Order Completed`.revenue)'
    assert query(cluster, a, question)["rows"] == [[2, 12]]
    survivor = cluster.client.get(f"/v1/profiles/lookup?anonymous_id={left}", basic=key_for(cluster, a)).json()["id"]
    worker = next(iter(placement(cluster, a)))
    merged = cluster.value(worker, f"SELECT id FROM t_{a}.profiles WHERE merged_into = %s", (survivor,))
    assert merged is not None
    cluster.cli("profiles", "unmerge", "--tenant", a, str(survivor), str(merged))
    kept = query(cluster, a, f"profiles | where id = {survivor} | select orders = count(`Order Completed`), spent = sum(`Order Completed`.revenue)")
    back = query(cluster, a, f"profiles | where id = {merged} | select orders = count(`Order Completed`), spent = sum(`Order Completed`.revenue)")
    assert sorted(kept["rows"] + back["rows"]) == [[1, 5], [1, 7]], (kept, back)
    # Read from the summaries, the same.
    plan = "\n".join(str(row[0]) for row in query(cluster, a, f"explain count profiles where count(`Order Completed`) = 1 and id = {merged}")["rows"])
    assert "event_summaries" in plan, plan
    assert query(cluster, a, f"count profiles where count(`Order Completed`) = 1 and id in ({survivor}, {merged})")["rows"] == [[2]]
    # Each profile's own summary row (written by ingestion's one statement, combined by the
    # merge, recomputed by the unmerge) is the sum of its summary rows, on the worker too.
    sums = "SELECT profile_id, sum(events), sum(revenue), sum(orders), min(first_order), max(last_order), min(first_ts), max(last_ts)," \
           f" count(DISTINCT source) FILTER (WHERE source <> '') FROM t_{a}.event_summaries GROUP BY 1"
    rows = f"SELECT profile_id, events, revenue, orders, first_order, last_order, first_ts, last_ts, sources FROM t_{a}.profile_summaries"
    differ = cluster.value(worker, f"SELECT count(*) FROM (({sums} EXCEPT ALL {rows}) UNION ALL ({rows} EXCEPT ALL {sums})) d")
    assert differ == 0, differ
    assert cluster.value(worker, f"SELECT count(*) FROM t_{a}.profile_summaries WHERE profile_id IN (%s, %s)", (survivor, merged)) == 2
    plan = "\n".join(str(row[0]) for row in query(cluster, a, "explain show lifecycle")["rows"])
    assert "profile_summaries" in plan, plan
    # The orders by day add up to the orders the summaries count, and retention reads them.
    days = cluster.value(worker, f"SELECT sum(orders) FROM t_{a}.order_days")
    assert days == cluster.value(worker, f"SELECT sum(orders) FROM t_{a}.event_summaries") and days > 0, days
    plan = "\n".join(str(row[0]) for row in query(cluster, a, "explain show retention by month")["rows"])
    assert "order_days" in plan, plan


def test_a_sync_delivers_its_audience_and_an_erasure_its_exit(cluster: Cluster) -> None:
    """Activation on Citus: a run keeps its entries in the sync's state on the tenant's worker,
    delivery takes move them to the outbox and send them to a real receiver, each member once;
    an erasure then sends that person's exit."""
    a = slug(cluster, "a")
    admin = cluster.cli("keys", "create", "--tenant", a, "--scopes", "ingest,query,admin,privacy").strip().splitlines()[-1].strip()
    hook = Receiver()
    try:
        created = cluster.client.post("/v1/destinations", key=admin, json_body={
            "name": "hook", "kind": "webhook", "url": hook.url, "settings": {"batch_size": 4, "concurrency": 2}})
        assert created.status == 201, created.short()
        hook.secret = created.json()["secret"]
        buyers = query(cluster, a, "count segment buyers")["rows"][0][0]
        assert buyers >= 5, buyers
        # A timestamp field, and one person the receiver refuses: a batch holding them is
        # refused whole, split in halves until they are a dead letter alone.
        refused = "citus-person-3@example.com"
        hook.faults = Faults(refuse=lambda r: r.get("email") == refused)
        saved = cluster.client.post("/v1/query", key=admin, json_body={
            "q": "sync buyers_out to hook = segment buyers | select email, first_seen manually"})
        assert saved.status == 200, saved.short()
        ran = cluster.client.post("/v1/syncs/buyers_out/run", key=admin)
        assert ran.status == 200 and ran.json()["entered"] == buyers, ran.short()
        # The entries wait in the sync's state until a take moves them.
        schema = f"t_{a}"
        worker = next(iter(placement(cluster, a)))
        kept = cluster.value(worker, f"SELECT count(*) FROM {schema}.sync_state WHERE entry_run IS NOT NULL")
        assert kept is not None
        hook.wait_for(lambda: len(hook.delivered()) >= buyers - 1, timeout=60)
        destination = lambda: cluster.client.get("/v1/destinations/hook", key=admin).json()  # noqa: E731
        deadline = time.time() + 60
        while destination()["dead_letters"] != 1:
            assert time.time() < deadline, destination()
            time.sleep(0.2)
        records = hook.delivered()
        assert len(records) == buyers - 1 and {r["kind"] for r in records} == {"entered"}, records
        assert len({r["profile_id"] for r in records}) == buyers - 1 and refused not in {r["email"] for r in records}
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", r["fields"]["first_seen"]) for r in records), records[0]
        leaving = next(r for r in records if r.get("email"))
        done = cluster.cli("privacy", "erase", "--tenant", a, "--email", leaving["email"])
        assert "completed" in done, done
        hook.wait_for(lambda: any(r["kind"] == "exited" for r in hook.delivered()), timeout=60, what="the exit")
        exits = [r for r in hook.delivered() if r["kind"] == "exited"]
        assert [r["profile_id"] for r in exits] == [leaving["profile_id"]], exits
        assert query(cluster, a, "count segment buyers")["rows"][0][0] == buyers - 1
    finally:
        hook.close()


def test_a_sync_of_a_top_by_aggregates_runs_on_the_worker(cluster: Cluster) -> None:
    """A sync's audience may be a top by aggregates (a CTE and a LATERAL probe inside the run's
    own statements): on Citus it runs on the tenant's worker and sends those profiles."""
    a = slug(cluster, "a")
    admin = cluster.cli("keys", "create", "--tenant", a, "--scopes", "ingest,query,admin,privacy").strip().splitlines()[-1].strip()
    hook = Receiver()
    try:
        created = cluster.client.post("/v1/destinations", key=admin, json_body={
            "name": "tops", "kind": "webhook", "url": hook.url, "settings": {"batch_size": 10}})
        assert created.status == 201, created.short()
        hook.secret = created.json()["secret"]
        audience = "profiles | select email, spent = sum(`Order Completed`.revenue) | order by spent desc | limit 5"
        saved = cluster.client.post("/v1/query", key=admin, json_body={"q": f"sync top_out to tops = {audience} manually"})
        assert saved.status == 200, saved.short()
        ran = cluster.client.post("/v1/syncs/top_out/run", key=admin)
        assert ran.status == 200 and ran.json()["entered"] == 5, ran.short()
        expected = query(cluster, a, "profiles | select email, spent = sum(`Order Completed`.revenue) | select email, spent "
                                     "| order by spent desc | limit 5")["rows"]
        hook.wait_for(lambda: len(hook.delivered()) >= 5, timeout=60)
        assert sorted(r.get("email") or r["fields"]["email"] for r in hook.delivered()) == sorted(row[0] for row in expected), hook.delivered()
    finally:
        hook.close()


def test_a_tenant_moves_between_workers_while_a_client_writes(cluster: Cluster) -> None:
    a = slug(cluster, "a")
    before = placement(cluster, a)
    target = next(w for w in cluster.workers if w not in before)
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set() or n < 5:
            ids = [f"move-{cluster.run_id}-{n}-{i}" for i in range(20)]
            messages = [{"type": "track", "userId": f"mover-{n % 7}", "event": "Heartbeat", "messageId": mid,
                         "properties": {"n": n}} for mid in ids]
            answer = batch(cluster, a, messages)
            if answer.status == 200:
                acknowledged.extend(ids)
            else:
                failures.append(answer.short())
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(1)
        out = cluster.cli("tenants", "move", a, "--to", target)
    finally:
        time.sleep(1)
        stop.set()
        writer.join(timeout=300)
    assert placement(cluster, a) == {target}
    assert acknowledged, f"no batch was acknowledged: {failures[:3]}"
    rows = cluster.on(cluster.coordinator,
                      f'SELECT message_id, count(*) FROM "t_{a}".events WHERE message_id LIKE %s GROUP BY 1',
                      (f"move-{cluster.run_id}-%",))
    stored = dict(rows)
    missing = [mid for mid in acknowledged if mid not in stored]
    doubled = [mid for mid, n in stored.items() if n != 1]
    assert not missing and not doubled, f"{len(missing)} missing, {len(doubled)} twice; failures {failures[:3]}"
    # Refused batches (none expected) stored nothing of theirs.
    assert set(stored) == set(acknowledged), f"{len(set(stored) - set(acknowledged))} stored but not acknowledged"
    print(f"moved while writing: {len(acknowledged)} messages acknowledged, {len(failures)} batches refused; {out.strip()}")
    # And the tenant answers from its new worker.
    assert query(cluster, a, "count events where name = \"Heartbeat\"")["rows"] == [[len(acknowledged)]]


def test_deleting_a_tenant_leaves_nothing_on_any_node(cluster: Cluster) -> None:
    b = slug(cluster, "b")
    batch(cluster, b, [{"type": "identify", "userId": "bea", "traits": {"email": "bea@example.com"}}])
    cluster.cli("tenants", "delete", b, "--yes")
    for node in cluster.nodes:
        assert cluster.on(node, "SELECT 1 FROM pg_roles WHERE rolname = %s", (f"t_{b}",)) == [], node
        assert cluster.on(node, "SELECT 1 FROM pg_namespace WHERE nspname = %s", (f"t_{b}",)) == [], node
        assert cluster.on(node, "SELECT 1 FROM pg_class WHERE relname LIKE %s", (f"%{b}%",)) == [], node
    assert cluster.on(cluster.coordinator, "SELECT 1 FROM rapport.tenants WHERE slug = %s", (b,)) == []
    assert placement(cluster, b) == set()
    a = slug(cluster, "a")
    cluster.cli("tenants", "delete", a, "--yes")
    assert cluster.on(cluster.coordinator, "SELECT count(*) FROM pg_dist_schema")[0][0] == 0
