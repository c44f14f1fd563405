"""The per-profile summaries kept by real servers: two `rapport serve` processes on one
database, each with its summary worker. People send purchases through both; the value
settings change (which starts a rebuild of the summaries) while one server keeps ingesting;
once the summaries are ready again, each person's revenue and number of orders over HTTP equal
what the messages sent give (worked out here, from the README's value rules, not from the
compiler), and `event_summaries` holds exactly the raw events' counts and times (checked in SQL).

A second test kills a server in the middle of a rebuild (its step waiting on a lock the test
holds) and starts it again: the killed step leaves nothing, the steps before it stay as they
were, and the rebuild goes on from there to exact summaries.

Sizes (environment): RAPPORT_SUMMARY_PEOPLE people (300); RAPPORT_SUMMARY_KILL_PEOPLE people
for the killed rebuild (40000: enough for several steps).
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import psycopg

from durability_harness import env_int, iso, run_rapport, wait_for_no_sessions, with_database


def call(server, key: str, path: str, body: dict, basic: bool = False):
    request = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if basic:
        request.add_header("Authorization", "Basic " + base64.b64encode((key + ":").encode()).decode())
    else:
        request.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def summaries(server, key: str) -> dict:
    """GET /v1/summaries: whether the summaries are ready, or how far their rebuild has come."""
    request = urllib.request.Request(server.url + "/v1/summaries")
    request.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def send(server, key: str, messages: list[dict]) -> None:
    for start in range(0, len(messages), 50):
        status, answer = call(server, key, "/v1/batch", {"batch": messages[start:start + 50]}, basic=True)
        assert status == 200, f"batch -> {status}: {answer}"


def ask(server, key: str, text: str):
    status, answer = call(server, key, "/v1/query", {"q": text})
    assert status == 200, f"{text} -> {status}: {answer}"
    return answer


def purchases(rng: random.Random, people: int, run: str, first: int) -> list[dict]:
    """Purchases with an amount and sometimes a tip (a number, a string, or missing)."""
    messages = []
    for n in range(first, first + people * 4):
        person = rng.randrange(people)
        properties = {"amount": rng.choice([round(rng.uniform(1, 300), 2), 0, -5, "n/a"])}
        tip = rng.choice([None, "none", round(rng.uniform(0, 20), 2)])
        if tip is not None:
            properties["tip"] = tip
        messages.append({"type": "track", "event": "purchase", "userId": f"{run}-u{person}", "messageId": f"{run}-m{n}",
                         "properties": properties, "timestamp": iso(time.time() - rng.uniform(0, 86_400 * 300))})
    return messages


def expected(messages: list[dict], flows: list[str]) -> dict[str, tuple[Decimal, int]]:
    """Revenue and orders per user: an event's value is the sum of its flow properties that are
    numbers (none: no value); an order is an event whose value is above 0."""
    out: dict[str, tuple[Decimal, int]] = {}
    for message in messages:
        numbers = [Decimal(str(message["properties"][p])) for p in flows
                   if isinstance(message["properties"].get(p), (int, float))]
        revenue, orders = out.get(message["userId"], (Decimal(0), 0))
        if numbers:
            value = sum(numbers)
            revenue += value
            orders += 1 if value > 0 else 0
        out[message["userId"]] = (revenue, orders)
    return out


def answered(server, key: str) -> dict[str, tuple[Decimal, int]]:
    rows = ask(server, key, "profiles | where did purchase | select user_id, revenue, orders")["rows"]
    return {row[0]: (Decimal(str(row[1])), int(row[2])) for row in rows}


def reads(server, key: str) -> str:
    return ask(server, key, "explain profiles | select revenue").get("reads", "")


def test_two_servers_rebuild_the_summaries_while_ingesting(database, tenant, servers):
    people = env_int("RAPPORT_SUMMARY_PEOPLE", 300)
    seed = random.SystemRandom().randrange(1_000_000)
    print(f"\n[durability] summaries: seed={seed} people={people}")
    rng = random.Random(seed)
    run = f"s{seed}"
    key = run_rapport(["keys", "create", "--tenant", tenant.slug, "--scopes", "ingest,query", "--source", "summaries",
                       "--database-url", database.url]).stdout.strip()
    one, two = servers("one"), servers("two")
    one.start()
    two.start()

    sent = purchases(rng, people, run, 0)
    send(one, key, sent[: len(sent) // 2])
    send(two, key, sent[len(sent) // 2:])
    assert reads(one, key).startswith("per-profile summaries"), reads(one, key)
    assert answered(two, key) == expected(sent, ["amount"])

    status = summaries(one, key)
    assert status["ready"] and status["profiles_done"] == status["profiles"] == len({m["userId"] for m in sent}), status

    # The settings change; ingestion goes on through the other server while the workers rebuild.
    ask(one, key, "set value revenue = purchase.amount, purchase.tip")
    more = purchases(rng, people, run, len(sent))
    sender = threading.Thread(target=send, args=(two, key, more))
    sender.start()
    during = answered(one, key)  # from the raw events, or the summaries if already rebuilt
    sender.join(timeout=300)
    assert not sender.is_alive()
    deadline = time.monotonic() + 120
    while not reads(one, key).startswith("per-profile summaries"):
        assert time.monotonic() < deadline, f"the summaries are not ready again: {reads(one, key)}\n{one.log_tail()}"
        time.sleep(0.5)
    rebuilt = summaries(two, key)
    assert rebuilt["ready"] and rebuilt["generation"] > status["generation"], (status, rebuilt)
    assert rebuilt["profiles_done"] == rebuilt["profiles"] == len({m["userId"] for m in sent + more}), rebuilt

    truth = expected(sent + more, ["amount", "tip"])
    assert answered(one, key) == truth
    assert answered(two, key) == truth
    # What was answered while the rebuild ran was exact for what had arrived by then.
    assert set(during) <= set(truth)
    before = expected(sent, ["amount"])
    assert any(during[user] != before.get(user) for user in during), "the tip counts from the change on"

    # Row for row: the summaries' counts and times are the raw events'.
    schema = tenant.schema
    differ = database.query(f"""
        WITH truth AS (SELECT e.profile_id, e.type, CASE WHEN e.type = 'track' THEN coalesce(e.name, '') ELSE '' END AS name,
                              count(*) AS events, min(e.ts) AS first_ts, max(e.ts) AS last_ts
                         FROM {schema}.events e GROUP BY 1, 2, 3),
             kept AS (SELECT profile_id, type, name, events, first_ts, last_ts FROM {schema}.event_summaries)
        SELECT (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM kept) a),
               (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM truth) b),
               (SELECT count(*) FROM kept)
        """)
    assert differ == [["0", "0", str(len(truth))]], differ
    one.stop()
    two.stop()


def test_a_server_killed_mid_rebuild_resumes_it(database, tenant, servers, tmp_path):
    people = env_int("RAPPORT_SUMMARY_KILL_PEOPLE", 40_000)
    rng = random.Random(people)
    key = run_rapport(["keys", "create", "--tenant", tenant.slug, "--scopes", "query", "--database-url", database.url]).stdout.strip()
    sent = purchases(rng, people, "k", 0)[:people]
    workload = tmp_path / "purchases.ndjson"
    workload.write_text("".join(json.dumps(message) + "\n" for message in sent))
    run_rapport(["import", "--tenant", tenant.slug, str(workload), "--database-url", database.url], timeout=600)
    # The settings change with no server running: the summaries wait for a worker.
    run_rapport(["query", "--tenant", tenant.slug, "set value revenue = purchase.amount, purchase.tip", "--database-url", database.url])
    schema = tenant.schema
    state = f"SELECT ready, rebuilt_upto, generation FROM {schema}.summary_state"
    assert database.query(state)[0][:2] == ["f", "0"]
    top = int(database.query(f"SELECT max(id) FROM {schema}.profiles")[0][0])

    server = servers("killed")
    url = with_database(database.pg.superuser_url, database.name)
    with psycopg.connect(url, autocommit=True) as watcher, psycopg.connect(url) as holder:
        server.start()
        # Once a first step has committed, lock the summaries: the step after it waits, mid-rebuild.
        deadline = time.monotonic() + 120
        while watcher.execute(f"SELECT rebuilt_upto FROM {schema}.summary_state").fetchone()[0] == 0:
            assert time.monotonic() < deadline, f"no step of the rebuild committed\n{server.log_tail()}"
            time.sleep(0.01)
        holder.execute(f"LOCK TABLE {schema}.event_summaries IN ACCESS EXCLUSIVE MODE")
        ready, upto, generation = watcher.execute(f"SELECT ready, rebuilt_upto, generation FROM {schema}.summary_state").fetchone()
        assert not ready and 0 < upto < top, (ready, upto, top)
        kept = holder.execute(f"SELECT profile_id, xmin::text FROM {schema}.event_summaries WHERE profile_id <= %s ORDER BY 1, 2",
                              (upto,)).fetchall()
        assert kept, "the steps before the lock wrote summaries"
        # The next step waits for the lock; the server dies under it.
        deadline = time.monotonic() + 60
        while not watcher.execute("""SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                                       AND wait_event_type = 'Lock' AND pid <> pg_backend_pid())""").fetchone()[0]:
            assert time.monotonic() < deadline, f"no step waits for the lock\n{server.log_tail()}"
            time.sleep(0.01)
        server.kill()
        holder.rollback()
    assert wait_for_no_sessions(database.pg, database.name, timeout=30), "the killed server's sessions end"
    assert database.query(state)[0] == ["f", str(upto), str(generation)], "the killed step left nothing"

    server.start()
    deadline = time.monotonic() + 300
    while not summaries(server, key)["ready"]:
        assert time.monotonic() < deadline, f"the rebuild did not finish after the restart\n{server.log_tail()}"
        time.sleep(0.2)
    # Resumed, not begun again: the same rebuild, and the profiles it had done untouched.
    assert summaries(server, key)["generation"] == int(generation)
    with psycopg.connect(url, autocommit=True) as watcher:
        again = watcher.execute(f"SELECT profile_id, xmin::text FROM {schema}.event_summaries WHERE profile_id <= %s ORDER BY 1, 2",
                                (upto,)).fetchall()
    assert again == kept, "the steps before the kill were not done again"
    truth = expected(sent, ["amount", "tip"])
    # Every person's revenue and orders as the summaries hold them (all of them, in SQL), and as a
    # query answers (the first 10,000 rows: the server's row cap).
    held = database.query(f"""SELECT i.value, COALESCE(sum(s.revenue), 0), COALESCE(sum(s.orders), 0)
                              FROM {schema}.event_summaries s JOIN {schema}.identities i ON i.profile_id = s.profile_id
                              WHERE i.kind = 'user_id' GROUP BY i.value""")
    assert {user: (Decimal(revenue), int(orders)) for user, revenue, orders in held} == truth
    answers = answered(server, key)
    assert len(answers) == min(10_000, len(truth)) and all(truth[user] == value for user, value in answers.items())
