"""Activation end to end (issue 17): a real `rapport serve`, real PostgreSQL, and real HTTP
receivers. Syncs run on demand (POST /v1/syncs/NAME/run); the server's worker delivers."""

from __future__ import annotations

import time
import uuid

import pytest

from receiver import Faults


def identify(user: str, **traits) -> dict:
    return {"type": "identify", "userId": user, "messageId": str(uuid.uuid4()),
            "traits": {"email": f"{user}@example.com", **traits}}


def add_webhook(api, tenant, receiver, name="hook", **settings) -> str:
    created = api.ok("POST", "/v1/destinations", tenant.key,
                     {"name": name, "kind": "webhook", "url": receiver.url, "settings": settings})
    secret = created["secret"]
    assert secret.startswith("whsec_")
    receiver.secret = secret
    return secret


def run(api, tenant, sync: str) -> dict:
    return api.ok("POST", f"/v1/syncs/{sync}/run", tenant.key)


def by_user(records) -> dict:
    return {(r["user_id"], r["kind"]): r for r in records}


def test_entered_changed_exited_across_runs(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.batch(tenant.key, [identify("u1", plan="pro", seats=3), identify("u2", plan="free", seats=1),
                           identify("u3", plan="pro", seats=5)])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" | select email, seats manually send events and traits')

    first = run(api, tenant, "pros")
    assert (first["run"], first["members"], first["entered"], first["queued"]) == (1, 2, 2, 2)
    hook.wait_for(lambda: len(hook.delivered()) == 2)
    records = by_user(hook.delivered())
    assert set(records) == {("u1", "entered"), ("u3", "entered")}
    assert records[("u1", "entered")]["fields"] == {"email": "u1@example.com", "seats": 3}
    arrival = hook.arrivals[0]
    assert arrival.signature_ok is True
    assert arrival.headers.get("Idempotency-Key") == arrival.body["idempotency_key"]

    # A second run with nothing changed queues nothing.
    assert run(api, tenant, "pros")["queued"] == 0

    # u1 leaves, u2 joins, u3's selected field changes.
    api.batch(tenant.key, [identify("u1", plan="free"), identify("u2", plan="pro"), identify("u3", seats=6)])
    third = run(api, tenant, "pros")
    assert (third["entered"], third["changed"], third["exited"]) == (1, 1, 1)
    hook.wait_for(lambda: len(hook.delivered()) == 5)
    later = by_user(hook.delivered()[2:])
    assert set(later) == {("u1", "exited"), ("u2", "entered"), ("u3", "changed")}
    assert later[("u3", "changed")]["fields"]["seats"] == 6
    assert later[("u1", "exited")]["fields"]["seats"] == 3  # the fields last sent
    ids = [r["message_id"] for r in hook.delivered()]
    assert len(set(ids)) == len(ids)
    assert all(a.signature_ok for a in hook.arrivals)

    info = api.ok("GET", "/v1/syncs/pros", tenant.key)
    assert info["members"] == 2 and info["runs"] == 3 and info["pending"] == 0


def test_send_modes_and_no_backfill(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.batch(tenant.key, [identify("a1", plan="pro", seats=1), identify("a2", plan="pro", seats=1)])
    api.query(tenant.key, 'sync later to hook = profiles | where plan = "pro" | select seats manually no backfill send events')
    assert run(api, tenant, "later")["queued"] == 0  # the first run only records who is in
    api.batch(tenant.key, [identify("a1", seats=2), identify("a3", plan="pro", seats=1), identify("a2", plan="free")])
    second = run(api, tenant, "later")
    assert (second["entered"], second["changed"], second["exited"], second["queued"]) == (1, 1, 1, 2)
    hook.wait_for(lambda: len(hook.delivered()) == 2)
    assert set(by_user(hook.delivered())) == {("a3", "entered"), ("a2", "exited")}  # no `changed` in events mode


def test_a_merge_is_not_an_exit_and_an_entry(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    anonymous = {"type": "identify", "anonymousId": "anon-1", "messageId": str(uuid.uuid4()), "traits": {"plan": "pro"}}
    api.batch(tenant.key, [anonymous, identify("m1", plan="pro")])
    api.query(tenant.key, 'sync members to hook = profiles | where plan = "pro" manually')
    assert run(api, tenant, "members")["entered"] == 2
    # The anonymous visitor logs in as m1: the two profiles merge.
    api.batch(tenant.key, [{"type": "identify", "anonymousId": "anon-1", "userId": "m1", "messageId": str(uuid.uuid4())}])
    after = run(api, tenant, "members")
    assert (after["members"], after["entered"], after["exited"]) == (1, 0, 0), after
    hook.wait_for(lambda: len(hook.delivered()) == 2)
    time.sleep(1.5)
    assert [r["kind"] for r in hook.delivered()] == ["entered", "entered"]


def test_diagnostics_and_admin_scope(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    cases = {
        "sync a to nowhere = profiles": "unknown-destination",
        "sync a to hook = events": "not-an-audience",
        "sync a to hook = profiles | group by plan": "not-an-audience",
        "sync a to hook = profiles every 1 minute": "too-often",
        "sync a to hook = profiles manually every 1 hour": "duplicate-option",
        "sync a to hook = profiles | select profile_id = id": "name-taken",
        "sync a to hook = profiles sometimes": "expected",
    }
    for text, code in cases.items():
        answer = api.ok("POST", "/v1/query/validate", tenant.key, {"q": text})
        assert not answer["valid"] and code in [d["code"] for d in answer["diagnostics"]], (text, answer)
    # The catalogue names destinations and syncs for completion, to a query key too, and nothing more of them.
    api.query(tenant.key, "sync listed to hook = profiles manually")
    catalog = api.ok("GET", "/v1/catalog", tenant.query_key)
    assert (catalog["destinations"], catalog["syncs"]) == (["hook"], ["listed"]), catalog
    assert hook.url not in str(catalog) and "whsec_" not in str(catalog)
    # Without the admin scope: 403 on every destination and sync route, and on saving a sync.
    for method, path in [("GET", "/v1/destinations"), ("POST", "/v1/destinations"), ("GET", "/v1/destinations/hook"),
                         ("PATCH", "/v1/destinations/hook"), ("DELETE", "/v1/destinations/hook"),
                         ("GET", "/v1/destinations/hook/dead-letters"), ("POST", "/v1/destinations/hook/dead-letters/replay"),
                         ("GET", "/v1/syncs"), ("GET", "/v1/syncs/x"), ("POST", "/v1/syncs/x/run")]:
        status, answer = api.call(method, path, tenant.query_key, {} if method in ("POST", "PATCH") else None)
        assert status == 403, (method, path, status, answer)
    status, _ = api.call("POST", "/v1/query", tenant.query_key, {"q": "sync a to hook = profiles manually"})
    assert status == 403
    status, _ = api.call("POST", "/v1/query", tenant.query_key, {"q": "drop sync a"})
    assert status == 403


def test_a_private_address_is_refused_without_the_operator_setting(servers, make_tenant, monkeypatch, api_at):
    monkeypatch.delenv("RAPPORT_ALLOW_PRIVATE_DESTINATIONS", raising=False)
    s = servers("strict")
    s.start()
    tenant = make_tenant()
    api = api_at(s.url)
    for url in ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://169.254.169.254/latest",
                "http://[::1]/", "http://192.168.0.1/"]:
        status, answer = api.call("POST", "/v1/destinations", tenant.key, {"name": "x", "kind": "webhook", "url": url})
        assert status == 400 and "private" in answer["error"]["message"], (url, answer)
    status, answer = api.call("POST", "/v1/destinations", tenant.key, {"name": "x", "kind": "webhook", "url": "ftp://example.com/"})
    assert status == 400


def test_faults_retry_and_dead_letters(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    hook.faults = Faults(fail=3, fail_status=503, retry_after="1")
    add_webhook(api, tenant, hook, batch_size=10)
    api.batch(tenant.key, [identify(f"f{i}", plan="pro") for i in range(25)])
    api.query(tenant.key, 'sync all_pros to hook = profiles | where plan = "pro" manually')
    assert run(api, tenant, "all_pros")["queued"] == 25
    hook.wait_for(lambda: len(hook.delivered()) == 25, timeout=60)
    failed = [a for a in hook.arrivals if a.status == 503]
    assert len(failed) == 3
    # A batch tried again carries the same Idempotency-Key as its first try.
    keys_ok = {a.headers["Idempotency-Key"] for a in hook.arrivals if a.status == 200}
    assert {a.headers["Idempotency-Key"] for a in failed} <= keys_ok
    # Retry-After: 1 was honoured.
    first_fail = failed[0]
    retried = [a for a in hook.arrivals if a.headers["Idempotency-Key"] == first_fail.headers["Idempotency-Key"] and a.at > first_fail.at]
    assert retried and retried[0].at - first_fail.at >= 0.9
    assert sorted(r["user_id"] for r in hook.delivered()) == sorted(f"f{i}" for i in range(25))

    # One malformed record sinks only itself: the batch is split until it stands alone.
    hook.faults = Faults(refuse=lambda r: r.get("user_id") == "g3")
    api.batch(tenant.key, [identify(f"g{i}", plan="pro") for i in range(8)])
    assert run(api, tenant, "all_pros")["queued"] == 8
    hook.wait_for(lambda: len(hook.delivered()) == 25 + 7, timeout=60)
    status = api.ok("GET", "/v1/destinations/hook", tenant.key)
    hook.wait_for(lambda: api.ok("GET", "/v1/destinations/hook", tenant.key)["dead_letters"] == 1, what="a dead letter")
    letters = api.ok("GET", "/v1/destinations/hook/dead-letters", tenant.key)["dead_letters"]
    assert len(letters) == 1 and letters[0]["last_status"] == 400
    # Fixed at the receiver, replayed: it arrives with the same message id.
    hook.faults = Faults()
    assert api.ok("POST", "/v1/destinations/hook/dead-letters/replay", tenant.key, {})["replayed"] == 1
    hook.wait_for(lambda: any(r["user_id"] == "g3" for r in hook.delivered()))
    assert [r["message_id"] for r in hook.delivered() if r["user_id"] == "g3"] == [letters[0]["message_id"]]
    assert status["destination"]["name"] == "hook"

    # Per-record rejections are honoured: only the rejected record is a dead letter.
    hook.faults = Faults(reject=lambda r: r.get("user_id") == "h1")
    api.batch(tenant.key, [identify(f"h{i}", plan="pro") for i in range(3)])
    run(api, tenant, "all_pros")
    hook.wait_for(lambda: api.ok("GET", "/v1/destinations/hook", tenant.key)["dead_letters"] == 1, what="the rejected record")
    assert [l["kind"] for l in api.ok("GET", "/v1/destinations/hook/dead-letters", tenant.key)["dead_letters"]] == ["entered"]


def test_the_retry_window_ends_in_dead_letters(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    hook.faults = Faults(fail=10_000, fail_status=500)
    add_webhook(api, tenant, hook, retry_window=5)
    api.batch(tenant.key, [identify("w1", plan="pro"), identify("w2", plan="pro")])
    api.query(tenant.key, 'sync w to hook = profiles | where plan = "pro" manually')
    run(api, tenant, "w")
    hook.wait_for(lambda: api.ok("GET", "/v1/destinations/hook", tenant.key)["dead_letters"] == 2, timeout=40, what="dead letters")
    assert api.ok("GET", "/v1/destinations/hook", tenant.key)["pending"] == 0
    hook.faults = Faults()
    assert api.ok("POST", "/v1/destinations/hook/dead-letters/replay", tenant.key, {})["replayed"] == 2
    hook.wait_for(lambda: len(hook.delivered()) == 2)


def test_a_dead_destination_delays_no_other(api, make_tenant, receivers):
    tenant = make_tenant()
    slow, fast = receivers(), receivers()
    slow.faults = Faults(delay=20)
    add_webhook(api, tenant, slow, name="slow", batch_size=1, concurrency=1, timeout=30)
    add_webhook(api, tenant, fast, name="fast", batch_size=5)
    api.batch(tenant.key, [identify(f"d{i}", plan="pro") for i in range(20)])
    api.query(tenant.key, 'sync to_slow to slow = profiles | where plan = "pro" manually')
    api.query(tenant.key, 'sync to_fast to fast = profiles | where plan = "pro" manually')
    run(api, tenant, "to_slow")
    started = time.time()
    run(api, tenant, "to_fast")
    fast.wait_for(lambda: len(fast.delivered()) == 20, timeout=15)
    assert time.time() - started < 15
    assert len(slow.delivered()) == 0


def test_the_rate_limit_spaces_the_requests(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    # 6 batches of 5 records at 10 records a second: each batch waits for half a second of the
    # rate, so the last one cannot go out less than 2.5 s after the first (a lower bound: a slow
    # machine only makes it later).
    add_webhook(api, tenant, hook, batch_size=5, concurrency=4, rate=10)
    api.batch(tenant.key, [identify(f"r{i}", plan="pro") for i in range(30)])
    api.query(tenant.key, 'sync rated to hook = profiles | where plan = "pro" manually')
    assert run(api, tenant, "rated")["entered"] == 30
    hook.wait_for(lambda: len(hook.delivered()) == 30, timeout=30)
    times = [a.at for a in hook.arrivals if 200 <= a.status < 300]
    assert len(times) == 6 and times[-1] - times[0] >= 2.4, times
    assert sorted(r["user_id"] for r in hook.delivered()) == sorted(f"r{i}" for i in range(30))


def test_rapport_to_rapport_through_a_segment_destination(api, make_tenant):
    a, b = make_tenant("src"), make_tenant("dst")
    api.ok("POST", "/v1/destinations", a.key, {"name": "other", "kind": "segment", "url": api.url, "write_key": b.key})
    listed = api.ok("GET", "/v1/destinations", a.key)["destinations"]
    assert "write_key" not in str(listed) and b.key not in str(listed)  # the secret is never returned
    api.batch(a.key, [identify("r1", plan="pro", seats=2), identify("r2", plan="free")])
    api.query(a.key, 'sync vip to other = profiles | where plan = "pro" | select seats manually')
    run(api, a, "vip")
    def ask(q):
        status, answer = api.call("POST", "/v1/query", b.key, {"q": q})
        return answer["rows"] if status == 200 else None  # the traits are unknown until they arrive

    deadline = time.time() + 30
    while time.time() < deadline:
        rows = ask("profiles | where user_id = 'r1' | select vip = traits.vip, seats = traits.seats")
        if rows and rows[0][0] is True:
            break
        time.sleep(0.3)
    assert rows == [[True, 2]], rows
    events = api.query(b.key, "events | where name = 'Audience Entered' | select audience = props.audience, seats = props.seats")["rows"]
    assert events == [["vip", 2]], events
    r1 = api.query(b.key, "profiles | where user_id = 'r1' | select id")["rows"][0][0]
    entered_by = api.query(b.key, "events | where name = 'Audience Entered' | select profile_id")["rows"]
    assert entered_by == [[r1]]
    # The exit sets the trait to false.
    api.batch(a.key, [identify("r1", plan="free")])
    run(api, a, "vip")
    deadline = time.time() + 30
    while time.time() < deadline:
        rows = ask("profiles | where user_id = 'r1' | select vip = traits.vip")
        if rows == [[False]]:
            break
        time.sleep(0.3)
    assert rows == [[False]]


def wait_request(api, tenant, request_id: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        request = api.ok("GET", f"/v1/privacy/requests/{request_id}", tenant.key)
        if request["status"] in ("completed", "failed", "cancelled"):
            return request
        time.sleep(0.2)
    raise AssertionError(f"privacy request {request_id} did not end")


def test_an_erasure_sends_an_exit_then_nothing(api, make_tenant, receivers, database):
    tenant = make_tenant()
    hook, other = receivers(), receivers()
    add_webhook(api, tenant, hook)
    add_webhook(api, tenant, other, name="other")
    api.batch(tenant.key, [identify("e1", plan="pro", city="Zanzibar-e1-only"), identify("e2", plan="pro")])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" | select email, city manually')
    api.query(tenant.key, 'sync never to other = profiles | where plan = "enterprise" manually')
    run(api, tenant, "pros")
    run(api, tenant, "never")
    hook.wait_for(lambda: len(hook.delivered()) == 2)
    # A record for e1 waiting behind a dead receiver must never go out after the erasure.
    filed = api.ok("POST", "/v1/privacy/requests", tenant.key, {"type": "erasure", "subject": {"email": "e1@example.com"}})
    done = wait_request(api, tenant, filed["id"])
    assert done["status"] == "completed", (done.get("error"), done)
    assert done["counts"].get("exits_queued.hook") == 1 and "exits_queued.other" not in done["counts"], done["counts"]
    hook.wait_for(lambda: len(hook.delivered()) == 3, what="the erasure's exit")
    exit_record = hook.delivered()[2]
    assert (exit_record["kind"], exit_record["user_id"], exit_record["email"]) == ("exited", "e1", "e1@example.com")
    # Once delivered, nothing of e1 is left in the outbox, the state, the log or the dead letters.
    schema = "t_" + tenant.slug
    deadline = time.time() + 10
    while time.time() < deadline and database.query(f"SELECT count(*) FROM {schema}.sync_outbox")[0][0] != "0":
        time.sleep(0.2)
    for table in ("sync_outbox", "sync_batches", "sync_state", "sync_dead_letters"):
        hits = database.query(f"SELECT count(*) FROM {schema}.{table} t WHERE t::text ILIKE '%e1@example.com%' OR t::text ILIKE '%Zanzibar%'")
        assert hits == [["0"]], table
    assert database.query(f"SELECT count(*) FROM {schema}.sync_state") == [["1"]]
    # Later runs send nothing for e1, and e2 is untouched.
    again = run(api, tenant, "pros")
    assert (again["entered"], again["exited"], again["changed"]) == (0, 0, 0)


def test_entries_wait_in_the_state_until_delivery_moves_them(api, make_tenant, receivers, database):
    """Grammar/README.md, "Syncs", step 6: a run's entries are kept in S until a take moves
    them to the outbox; the next run moves what is left first, so a profile's records keep
    their order; an erasure tells a destination nothing of an entry it was never sent."""
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.ok("PATCH", "/v1/destinations/hook", tenant.key, {"paused": True})
    schema = "t_" + tenant.slug
    api.batch(tenant.key, [identify("k1", plan="pro", seats=1), identify("k2", plan="pro", seats=1), identify("k3", plan="pro", seats=1)])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" | select seats manually')
    first = run(api, tenant, "pros")
    assert (first["entered"], first["queued"]) == (3, 3)
    assert database.query(f"SELECT count(*) FROM {schema}.sync_outbox") == [["0"]]
    assert api.ok("GET", "/v1/syncs/pros", tenant.key)["pending"] == 3
    assert api.ok("GET", "/v1/destinations/hook", tenant.key)["pending"] == 3

    # k1 changes, k2 leaves, k4 joins: the second run first moves run 1's entries.
    api.batch(tenant.key, [identify("k1", seats=2), identify("k2", plan="free"), identify("k4", plan="pro", seats=1)])
    second = run(api, tenant, "pros")
    assert (second["entered"], second["changed"], second["exited"], second["queued"]) == (1, 1, 1, 3)
    outbox = database.query(f"SELECT run, kind, payload->>'user_id' FROM {schema}.sync_outbox ORDER BY id")
    assert outbox == [["1", "entered", "k1"], ["1", "entered", "k2"], ["1", "entered", "k3"],
                      ["2", "changed", "k1"], ["2", "exited", "k2"]], outbox
    assert api.ok("GET", "/v1/syncs/pros", tenant.key)["pending"] == 6

    # k4's entry is still kept: erased now, no destination is told.
    filed = api.ok("POST", "/v1/privacy/requests", tenant.key, {"type": "erasure", "subject": {"email": "k4@example.com"}})
    done = wait_request(api, tenant, filed["id"])
    assert done["status"] == "completed", (done.get("error"), done)
    assert "exits_queued.hook" not in done["counts"], done["counts"]
    assert api.ok("GET", "/v1/syncs/pros", tenant.key)["pending"] == 5

    api.ok("PATCH", "/v1/destinations/hook", tenant.key, {"paused": False})
    hook.wait_for(lambda: len(hook.delivered()) == 5)
    time.sleep(0.5)
    records = hook.delivered()
    assert len(records) == 5 and not any(r["user_id"] == "k4" for r in records), records
    order = [(r["user_id"], r["kind"]) for r in records]
    assert order.index(("k1", "entered")) < order.index(("k1", "changed"))
    assert order.index(("k2", "entered")) < order.index(("k2", "exited"))
    entered = by_user(records)[("k1", "entered")]
    # The record run 1 would have queued: its fields and its T, not the later run's.
    assert entered["fields"] == {"seats": 1} and entered["at"] != by_user(records)[("k1", "changed")]["at"]
    assert len({r["message_id"] for r in records}) == 5
    assert api.ok("GET", "/v1/syncs/pros", tenant.key)["pending"] == 0


def test_a_kept_entry_goes_as_its_run_queued_it_to_the_person_as_now(api, make_tenant, receivers, database):
    """A kept entry moved after a merge carries the person's identities (the live profile's);
    after a suppression it is dropped, never sent; after the sync is saved again with another
    send mode it keeps its run's."""
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.ok("PATCH", "/v1/destinations/hook", tenant.key, {"paused": True})
    anonymous = {"type": "identify", "anonymousId": "anon-9", "messageId": str(uuid.uuid4()), "traits": {"plan": "pro"}}
    api.batch(tenant.key, [anonymous, identify("m9", plan="pro"), identify("s9", plan="pro")])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" manually send events and traits')
    assert run(api, tenant, "pros")["entered"] == 3
    # The visitor logs in as m9 (the profiles merge); s9 is suppressed; the sync's mode changes.
    api.batch(tenant.key, [{"type": "identify", "anonymousId": "anon-9", "userId": "m9", "messageId": str(uuid.uuid4())}])
    filed = api.ok("POST", "/v1/privacy/requests", tenant.key, {"type": "suppress", "subject": {"user_id": "s9"}})
    assert wait_request(api, tenant, filed["id"])["status"] == "completed"
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" manually send events')
    schema = "t_" + tenant.slug
    assert database.query(f"SELECT count(*) FROM {schema}.sync_outbox") == [["0"]]

    api.ok("PATCH", "/v1/destinations/hook", tenant.key, {"paused": False})
    hook.wait_for(lambda: len(hook.delivered()) >= 2)
    time.sleep(1)
    records = hook.delivered()
    assert [r["kind"] for r in records] == ["entered", "entered"], records
    # Both of m9's profiles' entries go as m9, with the mode of the run that queued them.
    assert [(r["user_id"], r["email"], r["send"]) for r in records] == [("m9", "m9@example.com", "events and traits")] * 2, records
    # s9 was never sent: no entry, and no exit at the next run.
    assert database.query(f"SELECT count(*) FROM {schema}.sync_state") == [["2"]]
    after = run(api, tenant, "pros")
    assert (after["entered"], after["exited"]) == (0, 0), after


def test_a_first_run_of_many_is_delivered_whole_and_in_order(api, make_tenant, receivers, database):
    """Kept entries moved by many takes (batches of 50, 3 in flight): every member arrives
    once, and the takes move them in profile id order."""
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook, batch_size=50, concurrency=3)
    api.batch(tenant.key, [identify(f"n{i:04}", plan="pro") for i in range(1200)])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" manually')
    assert run(api, tenant, "pros")["entered"] == 1200
    hook.wait_for(lambda: len(hook.delivered()) >= 1200, timeout=60)
    records = hook.delivered()
    assert sorted(r["user_id"] for r in records) == [f"n{i:04}" for i in range(1200)]
    # Each request at most 50 records, in profile id order (they were moved in that order).
    batches = [hook.records_of(a.body) for a in hook.arrivals if 200 <= a.status < 300]
    assert len(batches) >= 24 and all(0 < len(b) <= 50 for b in batches)
    assert all([r["profile_id"] for r in b] == sorted(r["profile_id"] for r in b) for b in batches)
    schema = "t_" + tenant.slug
    assert database.query(f"SELECT count(*), count(*) FILTER (WHERE pending_run IS NULL) FROM {schema}.syncs") == [["1", "1"]]


def test_a_suppressed_person_exits_and_is_not_sent_again(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.batch(tenant.key, [identify("s1", plan="pro"), identify("s2", plan="pro")])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" manually')
    run(api, tenant, "pros")
    filed = api.ok("POST", "/v1/privacy/requests", tenant.key, {"type": "suppress", "subject": {"user_id": "s1"}})
    assert wait_request(api, tenant, filed["id"])["status"] == "completed"
    after = run(api, tenant, "pros")
    assert (after["members"], after["exited"], after["entered"]) == (1, 1, 0), after
    hook.wait_for(lambda: len(hook.delivered()) == 3)
    assert (hook.delivered()[2]["user_id"], hook.delivered()[2]["kind"]) == ("s1", "exited")
    assert run(api, tenant, "pros")["queued"] == 0
    # Lifted: s1 is a member again.
    filed = api.ok("POST", "/v1/privacy/requests", tenant.key, {"type": "unsuppress", "subject": {"user_id": "s1"}})
    assert wait_request(api, tenant, filed["id"])["status"] == "completed"
    assert run(api, tenant, "pros")["entered"] == 1


def test_a_server_killed_mid_delivery_loses_nothing(api, server, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    hook.faults = Faults(delay=0.5)
    add_webhook(api, tenant, hook, batch_size=4, concurrency=1, timeout=2)
    api.batch(tenant.key, [identify(f"k{i}", plan="pro") for i in range(24)])
    api.query(tenant.key, 'sync pros to hook = profiles | where plan = "pro" manually')
    hook.faults = Faults(delay=10)  # hold the first batches until the kill
    run(api, tenant, "pros")
    api.batch(tenant.key, [identify(f"k{i}", plan="free") for i in range(0, 24, 2)])
    assert run(api, tenant, "pros")["exited"] == 12
    time.sleep(1.0)  # the first batch is in flight, held at the receiver
    server.kill()
    hook.faults = Faults(delay=0.05)
    server.start()
    hook.wait_for(lambda: len({r["message_id"] for r in hook.delivered()}) == 36, timeout=90, what="all 36 records")
    # Duplicates only under one Idempotency-Key: a record sent twice went in the same batch.
    keys: dict[str, set] = {}
    for arrival in hook.arrivals:
        if 200 <= arrival.status < 300:
            for record in arrival.body["records"]:
                keys.setdefault(record["message_id"], set()).add(arrival.headers["Idempotency-Key"])
    assert all(len(k) == 1 for k in keys.values()), keys
    # Each profile's records in the order they were queued: entered before exited.
    seen: dict[str, list[str]] = {}
    done = set()
    for record in hook.delivered():
        if record["message_id"] not in done:
            done.add(record["message_id"])
            seen.setdefault(record["user_id"], []).append(record["kind"])
    for i in range(24):
        assert seen[f"k{i}"] == (["entered", "exited"] if i % 2 == 0 else ["entered"]), (i, seen[f"k{i}"])


def test_the_command_line(api, make_tenant, receivers, database):
    from durability_harness import run_rapport as rapport
    import subprocess
    from durability_harness import rapport_binary, rapport_env
    tenant = make_tenant()
    hook = receivers()
    db = ["--tenant", tenant.slug, "--database-url", database.url]
    added = rapport(["destinations", "add", "hook", "--kind", "webhook", "--url", hook.url, "--batch-size", "7", *db])
    hook.secret = added.stdout.strip()
    assert hook.secret.startswith("whsec_") and "not shown again" in added.stderr
    listed = rapport(["destinations", "list", *db]).stdout
    assert "hook" in listed and "webhook" in listed and hook.secret not in listed
    api.batch(tenant.key, [identify("c1", plan="pro"), identify("c2", plan="pro")])
    rapport(["query", "--tenant", tenant.slug, "--database-url", database.url,
             'sync pros to hook = profiles | where plan = "pro" | select email manually'])
    ran = rapport(["syncs", "run", "pros", *db]).stdout
    assert "run 1 of pros: 2 members; 2 entered, 0 changed, 0 exited; 2 record(s) queued" in ran, ran
    hook.wait_for(lambda: len(hook.delivered()) == 2)  # the running server delivers
    assert all(a.signature_ok for a in hook.arrivals)
    status = rapport(["destinations", "status", *db]).stdout
    assert "hook" in status and "pros" in status
    assert '"members" : 2' in rapport(["syncs", "show", "pros", *db]).stdout.replace('": ', '" : ')
    assert "pros" in rapport(["syncs", "list", *db]).stdout
    # Mistakes are named.
    wrong = subprocess.run([rapport_binary(), "syncs", "run", "prso", *db], capture_output=True, text=True, env=rapport_env())
    assert wrong.returncode != 0 and "no sync `prso`" in wrong.stderr.lower(), wrong.stderr
    used = subprocess.run([rapport_binary(), "destinations", "remove", "hook", *db], capture_output=True, text=True, env=rapport_env())
    assert used.returncode != 0 and "used by sync `pros`" in used.stderr, used.stderr
    rapport(["query", "--tenant", tenant.slug, "--database-url", database.url, "drop sync pros"])
    rapport(["destinations", "remove", "hook", *db])
    assert "hook" not in rapport(["destinations", "list", *db]).stdout


def test_fields_of_every_type_go_out_as_json(api, make_tenant, receivers):
    tenant = make_tenant()
    hook = receivers()
    add_webhook(api, tenant, hook)
    api.batch(tenant.key, [{"type": "identify", "userId": "j1", "messageId": str(uuid.uuid4()), "timestamp": "2024-05-01T12:00:00.123456Z",
                            "traits": {"email": "j1@example.com", "plan": "pro", "seats": 2.5, "vip": True}}])
    api.query(tenant.key, 'sync typed to hook = profiles | select plan, seats = traits.seats, vip = traits.vip, '
                          'first_seen, gone = null, age = now - first_seen manually')
    run(api, tenant, "typed")
    hook.wait_for(lambda: len(hook.delivered()) == 1)
    fields = hook.delivered()[0]["fields"]
    assert fields["plan"] == "pro" and fields["seats"] == 2.5 and fields["vip"] is True, fields
    assert fields["first_seen"] == "2024-05-01T12:00:00.123456Z", fields
    assert fields["gone"] is None and isinstance(fields["age"], (int, float)) and fields["age"] > 0, fields
