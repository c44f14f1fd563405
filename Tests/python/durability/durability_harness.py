"""What the durability tests share: PostgreSQL through psql, the real `rapport` binary
(tenants, keys, `serve` processes to start, stop and SIGKILL), a Segment /v1/batch client
that retries a batch with the same messageIds until it is acknowledged, and a checker that
reads the tenant's tables and counts what is lost, duplicated, split or wrongly merged.

Only the standard library: the tests run in scripts/setup-machine's .venv with pytest.
Every loop here is bounded in count and in time, and every process started is killed.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


# ---------------------------------------------------------------- PostgreSQL


def with_database(url: str, database: str) -> str:
    """`url` (postgres://user@/db?host=...) pointing at another database."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def pg_bindir() -> str:
    configured = os.environ.get("RAPPORT_TEST_PG_BINDIR")
    if configured:
        return configured
    return subprocess.run([str(REPO / "scripts/pg-bindir")], check=True, capture_output=True, text=True).stdout.strip()


class Postgres:
    """psql as the superuser of the test cluster."""

    def __init__(self, superuser_url: str, bindir: str):
        self.superuser_url = superuser_url
        self.psql = os.path.join(bindir, "psql")

    def run(self, sql: str, database: str = "postgres", timeout: float = 300) -> list[list[str]]:
        """Runs `sql`; returns the rows of the last statement, each a list of text fields."""
        result = subprocess.run(
            [self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
             "-d", with_database(self.superuser_url, database), "-f", "-"],
            input=sql, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}) on {sql!r}:\n{result.stderr}")
        return [line.split("\t") for line in result.stdout.splitlines() if line != ""]


def install_commit_pause(pg: Postgres, database: str, schema: str) -> None:
    """A test instrument: a deferred constraint trigger on the tenant's events that, while armed
    (`arm_commit_pause`), sleeps once per transaction at COMMIT, so that a kill can be aimed at a
    transaction that is committing (`wait_for_commit`). PostgreSQL carries on with a COMMIT whose
    client went away, so such a kill leaves a batch stored whose 200 was never sent. Disarmed it
    costs a table read per transaction."""
    pg.run(f"""
        CREATE SCHEMA IF NOT EXISTS durability_probe;
        GRANT USAGE ON SCHEMA durability_probe TO PUBLIC;
        CREATE TABLE IF NOT EXISTS durability_probe.pause (pause_ms integer NOT NULL);
        GRANT SELECT ON durability_probe.pause TO PUBLIC;
        CREATE OR REPLACE FUNCTION durability_probe.pause_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE ms integer;
        BEGIN
            IF current_setting('durability_probe.seen', true) IS DISTINCT FROM 'y' THEN
                PERFORM set_config('durability_probe.seen', 'y', true);
                SELECT max(pause_ms) INTO ms FROM durability_probe.pause;
                IF ms > 0 THEN
                    PERFORM pg_sleep(ms / 1000.0);
                END IF;
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER durability_pause_commit AFTER INSERT ON {schema}.events
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION durability_probe.pause_commit();
        """, database)


def arm_commit_pause(pg: Postgres, database: str, pause_ms: int) -> None:
    """From now on (0: no more) each ingestion transaction pauses `pause_ms` at COMMIT."""
    pg.run(f"DELETE FROM durability_probe.pause; INSERT INTO durability_probe.pause VALUES ({int(pause_ms)})", database)


def _poll(pg: Postgres, database: str, condition: str, timeout: float, interval: float) -> bool:
    """Polls `condition` (SQL, on fresh activity statistics) inside PostgreSQL every `interval`
    seconds until it holds (True) or `timeout` passes (False): one round trip, however long."""
    rows = pg.run(f"""
        CREATE TEMP TABLE found (yes boolean);
        DO $$
        BEGIN
            FOR i IN 1..{int(timeout / interval)} LOOP
                PERFORM pg_stat_clear_snapshot();
                IF {condition} THEN
                    INSERT INTO found VALUES (true);
                    RETURN;
                END IF;
                PERFORM pg_sleep({interval});
            END LOOP;
        END $$;
        SELECT count(*) FROM found;
        """, database, timeout=timeout + 30)
    return rows == [["1"]]


def wait_for_commit(pg: Postgres, database: str, timeout: float = 3.0) -> bool:
    """Returns as soon as a session of `database` is in the commit pause (True), or after `timeout`."""
    return _poll(pg, database, """EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                           AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                           AND wait_event = 'PgSleep')""", timeout, 0.002)


def wait_for_no_sessions(pg: Postgres, database: str, timeout: float = 15.0) -> bool:
    """Returns once no other client session is connected to `database` (a killed server's sessions
    have finished what PostgreSQL had of them: a COMMIT already sent commits, the rest rolls back)."""
    return _poll(pg, database, """NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                               AND backend_type = 'client backend' AND pid <> pg_backend_pid())""", timeout, 0.01)


def count_stored(pg: Postgres, database: str, schema: str, message_ids: list[str]) -> int:
    if not message_ids:
        return 0
    values = ",".join("'" + m.replace("'", "''") + "'" for m in message_ids)
    return int(pg.run(f"SELECT count(*) FROM {schema}.events WHERE message_id IN ({values})", database)[0][0])


# ---------------------------------------------------------------- the binary


def rapport_binary() -> str:
    return os.environ.get("RAPPORT_BINARY") or str(REPO / ".build/debug/rapport")


def rapport_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "RAPPORT_DATA_DIR", "RAPPORT_PORT", "RAPPORT_HOST", "RAPPORT_ADMIN_KEY"):
        env.pop(name, None)
    return env


def run_rapport(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([rapport_binary(), *args], capture_output=True, text=True, timeout=timeout, env=rapport_env())
    if result.returncode != 0:
        raise RuntimeError(f"rapport {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `rapport serve` process on 127.0.0.1:port, restartable on the same port."""

    def __init__(self, database_url: str, port: int, log_path: Path, name: str = "server"):
        self.database_url = database_url
        self.port = port
        self.log_path = log_path
        self.name = name
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 90) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        deadline = time.monotonic() + ready_timeout
        attempt = 0
        while True:
            attempt += 1
            self.starts += 1
            with open(self.log_path, "ab") as log:
                log.write(f"\n==== start {self.starts} of {self.name} at {time.strftime('%H:%M:%S')} ====\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    [rapport_binary(), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--database-url", self.database_url, "--log-level", "notice"],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=rapport_env(), start_new_session=True)
            if self.wait_ready(deadline):
                return
            # It exited before it was ready (say the port was not yet free): try again, bounded.
            if self.process.poll() is None or attempt >= 5 or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} did not become ready on port {self.port}:\n{self.log_tail()}")
            time.sleep(0.5)

    def wait_ready(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/readyz")
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL, by the process's own id, and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self.kills += 1

    def freeze_then_kill(self, frozen_seconds: float) -> None:
        """SIGSTOP, a pause (PostgreSQL finishes what it was sent, COMMITs included, while no answer
        can leave), then SIGKILL: widens the window between a commit and its acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGSTOP)
            time.sleep(frozen_seconds)
        self.kill()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (graceful), then SIGKILL if it does not stop in time."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def metric(self, name: str) -> float:
        """The sum of a Prometheus metric's samples in /metrics (0 if absent or unreachable)."""
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode(errors="replace")
            connection.close()
        except (OSError, http.client.HTTPException):
            return 0.0
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                try:
                    total += float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
        return total

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# ---------------------------------------------------------------- messages


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}Z"


@dataclass
class Message:
    body: dict
    identifiers: tuple  # (kind, value) pairs, normalised, as Rapport reads them
    person: int | None = None

    @property
    def message_id(self) -> str:
        return self.body["messageId"]


def _identified(body: dict, user_id, anonymous_id) -> list:
    """Sets the message's user and anonymous ids; the identifiers it carries, as stored."""
    ids = []
    if user_id is not None:
        body["userId"] = user_id
        ids.append(("user_id", user_id))
    if anonymous_id is not None:
        body["anonymousId"] = anonymous_id
        ids.append(("anonymous_id", anonymous_id))
    return ids


def identify(mid: str, ts: float, user_id=None, anonymous_id=None, email=None, traits=None) -> Message:
    body = {"type": "identify", "messageId": mid, "timestamp": iso(ts),
            "context": {"library": {"name": "rapport-durability", "version": "1"}},
            "traits": dict(traits or {})}
    ids = _identified(body, user_id, anonymous_id)
    if email is not None:
        body["traits"]["email"] = email
        ids.append(("email", email.strip().lower()))
    return Message(body, tuple(ids))


def track(mid: str, ts: float, event: str, user_id=None, anonymous_id=None, properties=None) -> Message:
    body = {"type": "track", "messageId": mid, "timestamp": iso(ts), "event": event,
            "context": {"library": {"name": "rapport-durability", "version": "1"}},
            "properties": dict(properties or {}, mid=mid)}
    return Message(body, tuple(_identified(body, user_id, anonymous_id)))


def batches_of(messages: list[Message], size: int) -> list[list[Message]]:
    return [messages[i:i + size] for i in range(0, len(messages), size)]


# ---------------------------------------------------------------- the client


@dataclass
class Batch:
    messages: list[Message]
    acknowledged: bool = False
    attempts: int = 0


@dataclass
class Ledger:
    """What the clients sent and which batches were acknowledged (a 200), thread-safe."""

    batches: list[Batch] = field(default_factory=list)
    acknowledged_messages: int = 0
    attempts: int = 0
    retries: int = 0
    failures: Counter = field(default_factory=Counter)  # why attempts failed
    rejections: list[str] = field(default_factory=list)  # 4xx answers (the server refused our data)
    lock: threading.Lock = field(default_factory=threading.Lock)
    abort: threading.Event = field(default_factory=threading.Event)  # set: clients give up now

    def total_messages(self) -> int:
        return sum(len(b.messages) for b in self.batches)


class RetryingClient:
    """Sends batches to /v1/batch with the write key as the HTTP Basic user name, retrying a
    batch (same body, same messageIds) on any error until a 200, within a deadline."""

    def __init__(self, key: str, ledger: Ledger, deadline: float, servers: list[Server], rng: random.Random,
                 spread: bool = False, request_timeout: float = 60):
        self.auth = "Basic " + base64.b64encode((key + ":").encode()).decode()
        self.ledger = ledger
        self.deadline = deadline
        self.servers = servers
        self.rng = rng
        self.spread = spread  # pick a server at random for every attempt
        self.request_timeout = request_timeout
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.server_index = 0

    def _connection(self, port: int) -> http.client.HTTPConnection:
        connection = self.connections.get(port)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=self.request_timeout)
            self.connections[port] = connection
        return connection

    def _drop(self, port: int) -> None:
        connection = self.connections.pop(port, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        for port in list(self.connections):
            self._drop(port)

    def send(self, batch: Batch) -> bool:
        payload = json.dumps({"batch": [m.body for m in batch.messages], "sentAt": iso(time.time())}).encode()
        headers = {"Authorization": self.auth, "Content-Type": "application/json"}
        backoff = 0.02
        while time.monotonic() < self.deadline and not self.ledger.abort.is_set():
            if self.spread:
                self.server_index = self.rng.randrange(len(self.servers))
            port = self.servers[self.server_index].port
            batch.attempts += 1
            reason = None
            try:
                connection = self._connection(port)
                connection.request("POST", "/v1/batch", body=payload, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status == 200:
                    with self.ledger.lock:
                        self.ledger.attempts += 1
                        self.ledger.retries += batch.attempts - 1
                        self.ledger.acknowledged_messages += len(batch.messages)
                        batch.acknowledged = True
                    return True
                reason = f"http {response.status}"
                if 400 <= response.status < 500 and response.status not in (408, 429):
                    with self.ledger.lock:
                        self.ledger.rejections.append(f"{response.status} {body[:300]!r}")
                if response.getheader("Connection", "").lower() == "close":
                    self._drop(port)
            except (OSError, http.client.HTTPException) as error:
                reason = type(error).__name__
                self._drop(port)
            with self.ledger.lock:
                self.ledger.attempts += 1
                self.ledger.failures[reason] += 1
            time.sleep(backoff * (0.5 + self.rng.random()))
            backoff = min(backoff * 2, 0.5)
        return False


def send_all(key: str, servers: list[Server], work: list[list[Batch]], deadline: float, seed: int,
             spread: bool = False, during=None) -> Ledger:
    """Sends each list of batches from its own thread, in order, all concurrently; `during(ledger,
    done)` runs in the calling thread meanwhile (the killer). Returns when every client thread has
    finished (each stops at the deadline at the latest)."""
    ledger = Ledger(batches=[b for batches in work for b in batches])

    def client_thread(index: int, batches: list[Batch]) -> None:
        client = RetryingClient(key, ledger, deadline, servers, random.Random(seed * 1000 + index), spread=spread)
        client.server_index = index % len(servers)
        try:
            for batch in batches:
                if not client.send(batch):
                    return
        finally:
            client.close()

    threads = [threading.Thread(target=client_thread, args=(i, b), name=f"client-{i}", daemon=True)
               for i, b in enumerate(work)]
    for t in threads:
        t.start()
    done = threading.Event()

    def watch() -> None:
        for t in threads:
            t.join()
        done.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if during is not None:
            during(ledger, done)
    except BaseException:
        ledger.abort.set()
        raise
    finally:
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()) + 120)
    return ledger


# ---------------------------------------------------------------- the checker


class UnionFind:
    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def check_store(pg: Postgres, database: str, schema: str, ledger: Ledger,
                person_of: dict | None = None) -> dict:
    """Reads the tenant's tables and compares them with what was sent. Returns figures and a list
    of problems (each a sentence, a few examples at most per kind).

    - lost: acknowledged messageIds not in events; duplicated: more than one event for one message
      (by message_id, and by the `mid` property tracks carry); foreign: events nobody sent.
    - partial batches: an unacknowledged batch with some but not all of its events stored.
    - identities: each identifier that a stored message carried is stored once, on a live profile;
      the identifiers linked by stored messages (their connected components) are each on exactly one
      live profile (else split) and no live profile holds two components (else wrongly merged).
      With `person_of` (identifier -> person), the same is also checked per person.
    - events: each on the live profile that holds its message's identifiers.
    """
    problems: list[str] = []

    def problem(kind: str, examples: list, count: int | None = None):
        if examples or count:
            problems.append(f"{kind}: {count if count is not None else len(examples)} (e.g. {examples[:5]})")

    sent: dict[str, Message] = {}
    batch_of: dict[str, int] = {}
    for index, batch in enumerate(ledger.batches):
        for m in batch.messages:
            sent[m.message_id] = m
            batch_of[m.message_id] = index
    acknowledged = {m.message_id for b in ledger.batches if b.acknowledged for m in b.messages}

    events = pg.run(f"SELECT message_id, profile_id, coalesce(props->>'mid', '') FROM {schema}.events", database)
    stored_ids = Counter(row[0] for row in events)
    by_mid = Counter(row[2] for row in events if row[2])
    event_profile = {row[0]: int(row[1]) for row in events}

    lost = sorted(acknowledged - set(stored_ids))
    duplicated = sum(n - 1 for n in stored_ids.values() if n > 1) + sum(n - 1 for n in by_mid.values() if n > 1)
    foreign = sorted(set(stored_ids) - set(sent))
    problem("acknowledged messages lost", lost)
    problem("messages stored more than once", [k for k, n in stored_ids.items() if n > 1] + [k for k, n in by_mid.items() if n > 1], duplicated)
    problem("events that nobody sent", foreign)

    partial = []
    unacknowledged_stored = 0
    for index, batch in enumerate(ledger.batches):
        if batch.acknowledged:
            continue
        present = sum(1 for m in batch.messages if m.message_id in stored_ids)
        unacknowledged_stored += present
        if 0 < present < len(batch.messages):
            partial.append(f"batch {index}: {present}/{len(batch.messages)}")
    problem("unacknowledged batches partially stored", partial)

    # Identity: components of the identifiers that stored messages link.
    stored_messages = [sent[mid] for mid in stored_ids if mid in sent]
    uf = UnionFind()
    for m in stored_messages:
        for key in m.identifiers:
            uf.find(key)
        for a, b in zip(m.identifiers, m.identifiers[1:]):
            uf.union(a, b)
    components: dict = defaultdict(set)
    for key in list(uf.parent):
        components[uf.find(key)].add(key)

    profiles = {int(r[0]): (int(r[1]) if r[1] else None) for r in pg.run(f"SELECT id, coalesce(merged_into::text, '') FROM {schema}.profiles", database)}
    live = {p for p, into in profiles.items() if into is None}
    identities = {(r[0], r[1]): int(r[2]) for r in pg.run(f"SELECT kind, value, profile_id FROM {schema}.identities", database)}

    problem("merged profiles pointing at a profile that is not live",
            [f"{p}->{into}" for p, into in profiles.items() if into is not None and into not in live])
    problem("identifiers on a merged (not live) profile", [f"{k}={v}@{p}" for (k, v), p in identities.items() if p not in live])
    missing = sorted(f"{k}={v}" for comp in components.values() for (k, v) in comp if (k, v) not in identities)
    problem("identifiers sent but not stored", missing)
    problem("identifiers stored that no stored message carried",
            sorted(f"{k}={v}" for (k, v) in identities if (k, v) not in uf.parent))

    split = []
    profile_components: dict[int, set] = defaultdict(set)
    component_profile: dict = {}
    for root, comp in components.items():
        holders = {identities[k] for k in comp if k in identities}
        for h in holders:
            profile_components[h].add(root)
        if len(holders) > 1:
            split.append(sorted(comp)[:3])
        elif holders:
            component_profile[root] = holders.pop()
    wrongly_merged = [p for p, roots in profile_components.items() if len(roots) > 1]
    problem("linked identifiers split over several live profiles", split)
    problem("live profiles holding identifiers that nothing links", wrongly_merged)
    empty_live = sorted(live - set(identities.values()))
    problem("live profiles without any identifier", empty_live)

    # Events are on the profile that holds their message's identifiers.
    misplaced = []
    for m in stored_messages:
        if not m.identifiers:
            continue
        expected = component_profile.get(uf.find(m.identifiers[0]))
        actual = event_profile.get(m.message_id)
        if expected is not None and actual != expected:
            misplaced.append(f"{m.message_id}: on {actual}, identifiers on {expected}")
    problem("events not on their identifiers' profile", misplaced)

    # Per person, when the test knows who is who.
    people_split = people_wrong = 0
    if person_of is not None:
        holders_of_person: dict = defaultdict(set)
        people_on_profile: dict = defaultdict(set)
        for key, person in person_of.items():
            if key in identities:
                holders_of_person[person].add(identities[key])
                people_on_profile[identities[key]].add(person)
        people_split = sum(1 for holders in holders_of_person.values() if len(holders) > 1)
        people_wrong = sum(1 for people in people_on_profile.values() if len(people) > 1)
        problem("people split over several profiles", [p for p, h in holders_of_person.items() if len(h) > 1], people_split)
        problem("profiles holding more than one person", [p for p, ps in people_on_profile.items() if len(ps) > 1], people_wrong)

    # The merge log: every merged profile merged exactly once, by a message that is stored.
    merges = pg.run(f"SELECT merged_id, coalesce(message_id, '') FROM {schema}.merges WHERE undone_at IS NULL", database)
    merged_count = Counter(int(r[0]) for r in merges)
    merged_profiles = {p for p, into in profiles.items() if into is not None}
    problem("merged profiles without exactly one merge record",
            [f"{p}:{merged_count.get(p, 0)}" for p in merged_profiles if merged_count.get(p, 0) != 1])
    problem("merge records for profiles that are live", [p for p in merged_count if p in live])
    problem("merge records whose message is not stored", [r[1] for r in merges if r[1] and r[1] not in stored_ids])
    conflicts = int(pg.run(f"SELECT count(*) FROM {schema}.identity_conflicts", database)[0][0])
    problem("identity conflicts recorded (no identity limit should be reached)", [], conflicts)

    return {
        "sent": len(sent),
        "acknowledged": len(acknowledged),
        "stored": len(stored_ids),
        "unacknowledged_stored": unacknowledged_stored,
        "lost": len(lost),
        "duplicated": duplicated,
        "foreign": len(foreign),
        "partial_batches": len(partial),
        "components": len(components),
        "live_profiles": len(live),
        "profiles": len(profiles),
        "merges": len(merges),
        # Per person when the test knows who is who, else per set of linked identifiers.
        "split": people_split if person_of is not None else len(split),
        "wrongly_merged": people_wrong if person_of is not None else len(wrongly_merged),
        "problems": problems,
    }


def report(test: str, figures: dict) -> None:
    """Prints the figures on one line and appends them to $RAPPORT_DURABILITY_REPORT (JSON lines)."""
    line = {"test": test, **{k: v for k, v in figures.items() if k != "problems"}, "problems": figures.get("problems", [])}
    print(f"\n[durability] {test}: " + ", ".join(f"{k}={v}" for k, v in line.items() if k not in ("test", "problems")), flush=True)
    path = os.environ.get("RAPPORT_DURABILITY_REPORT")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")
