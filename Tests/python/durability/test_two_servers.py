"""Two `rapport serve` processes on one database merging overlapping identities: for each of N
people a chain of identifiers (device 1's anonymous id - email - user id - device 2's anonymous
id), sent as identify/track messages that each carry one or two of them, shuffled, by 8 clients
that send every request to either server at random. Afterwards exactly N live profiles, each
holding exactly its person's identifiers and events (0 split, 0 wrongly merged).

Sizes (environment):
  RAPPORT_SOAK_PEOPLE  people (1000)          RAPPORT_SOAK_THREADS  client threads (8)
  RAPPORT_SOAK_PAIR_BATCH  messages a request (20)
  RAPPORT_SOAK_DEADLINE    seconds the clients may take (300, more for larger runs)
  RAPPORT_SOAK_SEED        the random seed (printed)
"""

from __future__ import annotations

import random
import time

from durability_harness import Batch, batches_of, check_store, env_float, env_int, identify, report, send_all, track


def person_messages(i: int, run: str, rng: random.Random, ts0: float):
    a1, a2 = f"anon-{run}-{i}-1", f"anon-{run}-{i}-2"
    email, user = f"p{i}.{run}@example.org", f"user-{run}-{i}"
    person = {("anonymous_id", a1): i, ("anonymous_id", a2): i, ("email", email): i, ("user_id", user): i}
    n = iter(range(100))

    def mid():
        return f"{run}-p{i}-{next(n)}"

    def ts():
        return ts0 + rng.uniform(0, 3600)

    messages = [
        # The chain's links, two identifiers each (so merges join profiles the other server made).
        identify(mid(), ts(), anonymous_id=a1, email=email, traits={"name": f"Person {i}"}),
        identify(mid(), ts(), user_id=user, email=email, traits={"plan": rng.choice(["free", "pro"])}),
        track(mid(), ts(), "Signed In", user_id=user, anonymous_id=a2),
        # Each identifier alone, so a profile of its own may exist before a link arrives.
        track(mid(), ts(), "Page Viewed", anonymous_id=a1),
        track(mid(), ts(), "Page Viewed", anonymous_id=a2),
        identify(mid(), ts(), user_id=user, traits={"seen": True}),
        # A link sent twice (different messages), so the same merge races on both servers.
        rng.choice([
            lambda: identify(mid(), ts(), anonymous_id=a1, email=email),
            lambda: identify(mid(), ts(), user_id=user, email=email),
            lambda: track(mid(), ts(), "Order Completed", user_id=user, anonymous_id=a2, properties={"value": 10}),
        ])(),
    ]
    return messages, person


def test_two_servers_merge_overlapping_identities_into_one_profile_per_person(database, tenant, servers, pg):
    people = env_int("RAPPORT_SOAK_PEOPLE", 1000)
    threads = env_int("RAPPORT_SOAK_THREADS", 8)
    batch_size = env_int("RAPPORT_SOAK_PAIR_BATCH", 20)
    budget = env_float("RAPPORT_SOAK_DEADLINE", max(300.0, people / 10))
    seed = env_int("RAPPORT_SOAK_SEED", random.SystemRandom().randrange(1_000_000))
    print(f"\n[durability] two servers: seed={seed} people={people} threads={threads} batch={batch_size}")
    rng = random.Random(seed)
    run = f"r{seed}"

    messages, person_of = [], {}
    ts0 = time.time() - 7200
    for i in range(people):
        more, person = person_messages(i, run, rng, ts0)
        messages += more
        person_of.update(person)
    rng.shuffle(messages)
    work = [[Batch(b) for b in batches_of(messages[t::threads], batch_size)] for t in range(threads)]

    one, two = servers("one"), servers("two")
    one.start()
    two.start()
    started = time.monotonic()
    ledger = send_all(tenant.key, [one, two], work, started + budget, seed, spread=True)
    elapsed = time.monotonic() - started
    one.stop()
    two.stop()

    figures = check_store(pg, database.name, tenant.schema, ledger, person_of=person_of)
    figures.update(people=people, seconds=round(elapsed, 1), attempts=ledger.attempts, retries=ledger.retries,
                   failures=dict(ledger.failures), seed=seed)
    report("two_servers", figures)

    assert not ledger.rejections, f"the server refused valid batches: {ledger.rejections[:5]}"
    assert ledger.acknowledged_messages == len(messages), (
        f"only {ledger.acknowledged_messages} of {len(messages)} messages were acknowledged; failures: {dict(ledger.failures)}\n"
        f"{one.log_tail()}\n{two.log_tail()}")
    assert figures["problems"] == [], "\n".join(figures["problems"])
    assert figures["components"] == people  # the generator links each person's identifiers, and only those
    assert figures["live_profiles"] == people
    assert figures["split"] == 0 and figures["wrongly_merged"] == 0
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["merges"] > 0
