"""The real server SIGKILLed during concurrent ingestion and restarted on the same port, while
retrying clients resend each unacknowledged batch with the same messageIds: afterwards every
acknowledged message is stored exactly once, no batch is half stored, and every identifier is
on one live profile with the identifiers its messages linked it to.

Sizes (environment; the defaults take about 10 s on a 2-core machine):
  RAPPORT_SOAK_MESSAGES  messages in all (20000)      RAPPORT_SOAK_THREADS  client threads (8)
  RAPPORT_SOAK_BATCH     messages a request (50)      RAPPORT_SOAK_KILLS    SIGKILLs (3)
  RAPPORT_SOAK_DEADLINE  seconds the clients may take (300, more for larger runs)
  RAPPORT_SOAK_SEED      the random seed (printed, so a failing run can be repeated)
  RAPPORT_SOAK_COMMIT_PAUSE_MS  the commit pause of an at-commit kill (1000; 0: no such kills)

The kills take turns in three ways: at a moment when a transaction is committing (found in
pg_stat_activity during a pause that a test trigger adds to COMMIT just then: the batch is stored
but its 200 is never sent, so the client's resend must be acknowledged as a replay), at a
random moment, and frozen with SIGSTOP for a moment before the SIGKILL.
"""

from __future__ import annotations

import random
import time

from durability_harness import (Batch, Message, arm_commit_pause, batches_of, check_store, count_stored, env_float, env_int,
                                identify, install_commit_pause, report, send_all, track, wait_for_commit,
                                wait_for_no_sessions)

EVENTS = ["Page Viewed", "Product Viewed", "Product Added", "Checkout Started", "Order Completed"]


def make_messages(total: int, threads: int, rng: random.Random, run: str) -> list[list[Message]]:
    """`threads` lists of messages about a shared pool of people, so threads share identities:
    each person has two devices (anonymous ids), an email, and 70% of them a user id."""
    people = max(20, total // 8)
    ts0 = time.time() - 86400
    per_thread = [total // threads + (1 if t < total % threads else 0) for t in range(threads)]
    work = []
    for t, count in enumerate(per_thread):
        messages = []
        for n in range(count):
            p = rng.randrange(people)
            mid = f"{run}-t{t}-m{n}"
            anonymous = f"anon-{run}-{p}-{rng.randrange(2)}"
            user = f"user-{run}-{p}" if p % 10 < 7 else None
            email = f"Person.{p}@Example.com"
            ts = ts0 + rng.uniform(0, 86000)
            if rng.random() < 0.25:
                with_user = user is not None and rng.random() < 0.6
                messages.append(identify(
                    mid, ts, user_id=user if with_user else None,
                    anonymous_id=None if with_user and rng.random() < 0.5 else anonymous,
                    email=email if rng.random() < 0.7 else None,
                    traits={"name": f"Person {p}", "plan": rng.choice(["free", "pro", "team"])}))
            else:
                shape = rng.randrange(3) if user is not None else 0
                messages.append(track(
                    mid, ts, rng.choice(EVENTS),
                    user_id=user if shape >= 1 else None,
                    anonymous_id=anonymous if shape != 1 else None,
                    properties={"value": round(rng.uniform(1, 200), 2), "n": n}))
        work.append(messages)
    return work


def test_every_acknowledged_message_survives_sigkill_exactly_once(database, tenant, servers, pg):
    total = env_int("RAPPORT_SOAK_MESSAGES", 20_000)
    threads = env_int("RAPPORT_SOAK_THREADS", 8)
    batch_size = env_int("RAPPORT_SOAK_BATCH", 50)
    kills = env_int("RAPPORT_SOAK_KILLS", 3)
    budget = env_float("RAPPORT_SOAK_DEADLINE", max(300.0, total / 100))
    seed = env_int("RAPPORT_SOAK_SEED", random.SystemRandom().randrange(1_000_000))
    print(f"\n[durability] crash: seed={seed} messages={total} threads={threads} batch={batch_size} kills={kills}")
    rng = random.Random(seed)

    pause_ms = env_int("RAPPORT_SOAK_COMMIT_PAUSE_MS", 1000)
    if pause_ms > 0:
        install_commit_pause(pg, database.name, tenant.schema)
    modes = [("at-commit" if pause_ms > 0 else "random"), "random", "frozen"]
    modes = [modes[k % 3] for k in range(kills)]
    rng.shuffle(modes)

    work = [[Batch(b) for b in batches_of(messages, batch_size)]
            for messages in make_messages(total, threads, rng, f"s{seed}")]
    server = servers("crash")
    server.start()

    # (seconds since start, messages acknowledged then, how, messages committed whose 200 the kill swallowed)
    kill_log: list[tuple[float, int, str, int]] = []
    started = time.monotonic()
    deadline = started + budget

    def killer(ledger, done):
        # Kills spread over the run: the k-th once a random share within the k-th slice of 5%..85%
        # of the messages is acknowledged, then in its way (at a commit, at random, or frozen).
        for k in range(kills):
            share = rng.uniform(0.05 + 0.8 * k / kills, 0.05 + 0.8 * (k + 1) / kills)
            while ledger.acknowledged_messages < share * total and not done.is_set() and time.monotonic() < deadline:
                time.sleep(0.005)
            if done.is_set() or time.monotonic() >= deadline:
                return
            mode = modes[k]
            if mode == "at-commit":
                arm_commit_pause(pg, database.name, pause_ms)
                found = wait_for_commit(pg, database.name, timeout=5 + pause_ms / 1000)
                server.kill()
                arm_commit_pause(pg, database.name, 0)  # the orphaned COMMIT sleeps on, then commits
                if not found:
                    mode = "at-commit-not-found"
            elif mode == "frozen":
                time.sleep(rng.uniform(0, 0.15))
                server.freeze_then_kill(rng.uniform(0.02, 0.2))
            else:
                time.sleep(rng.uniform(0, 0.15))
                server.kill()
            at = (round(time.monotonic() - started, 2), ledger.acknowledged_messages)
            # Batches sent but not acknowledged when the server died: once its sessions are gone,
            # how many of their messages did PostgreSQL commit anyway? The clients resend those.
            # (Taken after the wait, so that answers already received before the kill are counted.)
            if not wait_for_no_sessions(pg, database.name):
                raise AssertionError("the killed server's PostgreSQL sessions did not end")
            in_flight = [m.message_id for b in ledger.batches if b.attempts > 0 and not b.acknowledged for m in b.messages]
            kill_log.append((*at, mode, count_stored(pg, database.name, tenant.schema, in_flight)))
            time.sleep(rng.uniform(0, 0.3))  # clients meet a closed port meanwhile
            server.start()

    ledger = send_all(tenant.key, [server], work, deadline, seed, during=killer)
    elapsed = time.monotonic() - started
    # A last SIGKILL after the last acknowledgement: what was acknowledged must already be committed.
    server.kill()

    figures = check_store(pg, database.name, tenant.schema, ledger)
    figures.update(seconds=round(elapsed, 1), kills=len(kill_log), kill_points=kill_log,
                   committed_unacknowledged=sum(k[3] for k in kill_log),
                   attempts=ledger.attempts, retries=ledger.retries, failures=dict(ledger.failures), seed=seed)
    report("crash", figures)

    assert not ledger.rejections, f"the server refused valid batches: {ledger.rejections[:5]}"
    assert ledger.acknowledged_messages == total, (
        f"only {ledger.acknowledged_messages} of {total} messages were acknowledged within {budget:.0f} s; "
        f"failures: {dict(ledger.failures)}\n{server.log_tail()}")
    assert figures["problems"] == [], "\n".join(figures["problems"])
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["stored"] == total
    assert figures["split"] == 0 and figures["wrongly_merged"] == 0
    # The kills happened, during ingestion, in the ways meant.
    assert len(kill_log) == kills, f"only {len(kill_log)} of {kills} kills happened during ingestion: {kill_log}"
    assert all(k[1] < total for k in kill_log), f"a kill came after ingestion ended: {kill_log}"
    at_commit = [k for k in kill_log if k[2].startswith("at-commit")]
    assert all(k[2] == "at-commit" for k in at_commit), f"a kill meant for a committing transaction found none: {kill_log}"
    # Each kill at a commit left a stored batch unacknowledged (so its resend was a replay).
    assert all(k[3] > 0 for k in at_commit), f"a kill at a commit left nothing committed unacknowledged: {kill_log}"
