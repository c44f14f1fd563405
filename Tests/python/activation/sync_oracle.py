"""A pure-Python model of what a sync's runs produce (Grammar/README.md, "Syncs"; "Rows"
for live profiles and merges), written from that text alone, as an oracle for the
implementation's activation tests.

Ambiguities found
-----------------
(Grammar/README.md was then made to say what this model chose for 2, 3, 4, 6, 8, 9 and 10;
1, 5, 7 and 11 stand as written here.)

Where the README leaves something open, this model chooses as follows (each choice is
pinned by a test in test_sync_oracle.py):

1. `send traits` vs `send events and traits`. Step 4 says `send traits` sends entered and
   changed, "exits are sent too, as the audience trait set to false". So both modes queue
   all three kinds; they differ only in how an exit is represented at the destination,
   which this model does not represent. `send events` queues entered and exited only.
2. What S holds after a run in `send events` mode. Step 6 says S becomes A ("for every
   profile in A: its fields now"), even though a changed record was not sent in that
   mode; but S is also defined as "the fields it last sent", and an exit carries "the
   fields last sent". Model: step 6 literally. S takes A's fields whether or not a record
   was sent, so a later exit in `send events` carries the fields of the last run where
   the profile was in A. Those fields may never have been sent.
3. The lowest-id rule with merge chains. "The one for the profile with the lowest id (its
   fields are what that profile was last sent as)" is read as: among all S entries whose
   chain ends at the same live profile (the survivor's own entry included), keep the
   fields of the entry whose ORIGINAL profile id is lowest. It is not applied merge by
   merge with the intermediate owner's id. Those two readings differ: for entries
   2 and 8 and 5, with 2->8 then 8->5, the model keeps 2's fields, while the merge-by-merge
   reading would keep 5's. The rule also applies when the survivor has an entry of its
   own and a higher id than the merged-away profile: the merged-away profile's fields win.
4. "A merge ... is no record at all" vs the changed rule. A merge produces no
   entered/exited of its own. But the carried entry is then compared with A like any
   other, so if the survivor's fields now differ from the kept entry's fields, a
   `changed` record is produced. (The README's sentence holds literally for a sync
   without `select`, whose fields are always {}.) Likewise a member merged into a
   non-member that is NOT in A gives an `exited` record for the survivor, with the
   merged-away profile's last fields. The survivor was never itself delivered, but the
   carried entry counts as delivered.
5. Erasure and merges together. An entry is dropped when the live profile its chain
   reaches is erased. A merged-away id listed as erased is contradictory input (a profile
   that was merged away is already gone and cannot have been erased after), and the model
   rejects it with ValueError. A profile "being erased" but not yet in `erased`, that is
   absent from A, gets an ordinary `exited` from the sync. The README also says "the
   erasure sent its exit", so such a profile may be exited twice; the model cannot see
   that.
6. JSON-value comparison. Objects compare by key set and values, and key order does not
   count (even though the select's columns are "in order"). A key with null differs from
   a missing key. Arrays compare element by element, in order. Numbers compare by exact
   decimal value (1 == 1.0 == 1.50/1.5 == Decimal("1.500"); a float compares as its
   shortest repr, so 0.1 == Decimal("0.1")). Booleans are not numbers (true != 1, unlike
   Python). A number never equals a string ("1.5" != 1.5). Timestamps and durations are
   taken to be whatever JSON value the query produces (normally strings), and they compare
   as those values, so two spellings of one instant count as a change.
7. A changed record carries the full fields now, not a difference. An exited record
   carries the S entry's fields after merges were carried (per 2 and 3).
8. Run numbers. Runs are numbered 1, 2, ... and every successful run counts, even one
   that queues nothing (including the `no backfill` first run). The README does not say
   whether a failed run consumes a number. The model treats a run given invalid input as
   the failed run: it changes neither S nor the counter, so it consumes no number, and a
   `no backfill` sync's "first run" is its first successful run.
9. Order. The README fixes no order across profiles. The model sorts by profile id, then
   kind (entered, changed, exited). A run gives at most one record per profile, because
   the three kinds exclude one another, so the kind key never decides.
10. Message id. "Made from the sync, the run's number and the profile" gives no format.
    The model uses a UUIDv5 of the JSON array [sync_name, run, profile], and tests only its
    properties (deterministic, distinct when any input differs), not its text. It keys on
    the sync's NAME as the brief asks. A sync dropped and saved again under the same name
    would repeat ids if runs are numbered from 1 again; the README does not say whether
    the sync part is the name or a stored identity.
11. Not modelled: the record's `user_id`/`email`, T, and the destination payload. `now` is
    accepted and kept as `sync.last_now` only. The query itself (order by/limit, tie
    break) is also not modelled, because the caller passes A already computed.

Interface
---------
    sync = Sync(backfill=True, send="events and traits")
        send is one of "events", "traits", "events and traits".
        sync.S          dict: live profile id -> fields dict (what this sync holds as sent)
        sync.run_number number of the last successful run (0 before any run)

    records = sync.run(audience, merges=(), erased=(), now=None)
        audience  {live profile id: fields dict}: the query's rows at T (suppressed and
                  erased profiles already left out)
        merges    [(merged_away_id, survivor_id), ...] since the last run, in any order;
                  chains are followed to the live profile
        erased    set of profile ids that no longer exist
        returns   [{"profile": id, "kind": "entered"|"changed"|"exited",
                    "fields": {...}, "run": n}, ...] sorted by (profile, kind order)
        Invalid input raises ValueError/TypeError and leaves the sync unchanged (a failed
        run). Invalid input means: an unknown send mode, a merge cycle, a profile merged
        away twice, a merged-away or erased id in the audience, an erased merged-away id,
        or a field value that is not JSON.

    message_id(sync_name, run, profile) -> str   deterministic; differs when any part does

Profile ids are numbers (the `id` profile field). The lowest-id rule uses their numeric
order.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from decimal import Decimal
from typing import Any, Iterable, Mapping

__all__ = ["Sync", "message_id", "json_equal", "SEND_MODES", "KINDS"]

KINDS = ("entered", "changed", "exited")
_KIND_ORDER = {k: i for i, k in enumerate(KINDS)}

# Which record kinds each send mode queues (ambiguity 1: `send traits` sends exits too).
SEND_MODES: dict[str, frozenset[str]] = {
    "events": frozenset({"entered", "exited"}),
    "traits": frozenset({"entered", "changed", "exited"}),
    "events and traits": frozenset({"entered", "changed", "exited"}),
}

_MESSAGE_NAMESPACE = uuid.UUID("6f1c7d2e-5b0a-4c1e-9a51-3f2b8e7d4c10")


# --------------------------------------------------------------------------- JSON values

def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _as_decimal(v: Any) -> Decimal:
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"not a JSON number: {v!r}")
        return Decimal(repr(v))
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"not a JSON number: {v!r}")
        return v
    return Decimal(v)


def _check_json(v: Any, where: str) -> None:
    if v is None or isinstance(v, (bool, str)):
        return
    if _is_number(v):
        _as_decimal(v)
        return
    if isinstance(v, (list, tuple)):
        for x in v:
            _check_json(x, where)
        return
    if isinstance(v, Mapping):
        for k, x in v.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: object key {k!r} is not a string")
            _check_json(x, where)
        return
    raise TypeError(f"{where}: {v!r} is not a JSON value")


def json_equal(a: Any, b: Any) -> bool:
    """Equality of two JSON values; numbers by value (scale ignored), booleans apart
    from numbers, objects regardless of key order (ambiguity 6)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) or _is_number(b):
        return _is_number(a) and _is_number(b) and _as_decimal(a) == _as_decimal(b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return set(a) == set(b) and all(json_equal(a[k], b[k]) for k in a)
    raise TypeError(f"not JSON values: {a!r}, {b!r}")


# --------------------------------------------------------------------------- message ids

def message_id(sync_name: str, run: int, profile: Any) -> str:
    """The message id of the record for `profile` in run `run` of sync `sync_name`:
    the same on every delivery attempt, different for another run (so an entry after an
    exit gets a new id). Format is the model's own (ambiguity 10)."""
    key = json.dumps([sync_name, run, profile], separators=(",", ":"), default=str)
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, key))


# --------------------------------------------------------------------------- the sync

class Sync:
    """A sync's delivery state and the rules of a run (README "Syncs", "A run")."""

    def __init__(self, backfill: bool = True, send: str = "events and traits") -> None:
        if send not in SEND_MODES:
            raise ValueError(f"unknown send mode {send!r}; one of {sorted(SEND_MODES)}")
        self.backfill = bool(backfill)
        self.send = send
        self.S: dict[Any, dict[str, Any]] = {}
        self.run_number = 0
        self.last_now: Any = None

    # Step 2: carry S through merges, drop erased entries.
    @staticmethod
    def _resolve_merges(merges: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
        """merged-away id -> the live profile its chain ends at."""
        parent: dict[Any, Any] = {}
        for pair in merges:
            away, survivor = pair
            if away == survivor:
                raise ValueError(f"profile {away!r} merged into itself")
            if away in parent:
                raise ValueError(f"profile {away!r} merged away twice")
            parent[away] = survivor
        live: dict[Any, Any] = {}
        for start in parent:
            seen = [start]
            cur = parent[start]
            while cur in parent:
                if cur in seen:
                    raise ValueError(f"merge cycle through {cur!r}")
                seen.append(cur)
                cur = parent[cur]
            live[start] = cur
        return live

    def carried_state(self, merges=(), erased=()) -> dict[Any, dict[str, Any]]:
        """S after step 2, without changing the sync."""
        live = self._resolve_merges(merges)
        erased = set(erased)
        bad = erased & set(live)
        if bad:
            raise ValueError(f"merged-away profiles listed as erased: {sorted(bad)!r}")
        # live id -> (original id of the kept entry, its fields); lowest original id wins
        landed: dict[Any, tuple[Any, dict[str, Any]]] = {}
        for original in sorted(self.S):
            target = live.get(original, original)
            if target in erased:
                continue  # dropped silently: the erasure sent its exit
            if target not in landed or original < landed[target][0]:
                landed[target] = (original, self.S[original])
        return {pid: copy.deepcopy(fields) for pid, (_, fields) in landed.items()}

    def run(
        self,
        audience: Mapping[Any, Mapping[str, Any]],
        merges: Iterable[tuple[Any, Any]] = (),
        erased: Iterable[Any] = (),
        now: Any = None,
    ) -> list[dict[str, Any]]:
        """One run at `now`; returns the records it queues and makes S the audience.
        Raises (changing nothing) on invalid input."""
        merges = list(merges)
        erased = set(erased)

        # Validate the audience (step 1: live, not erased, JSON fields).
        A: dict[Any, dict[str, Any]] = {}
        merged_away = {away for away, _ in merges}
        for pid, fields in audience.items():
            if pid in merged_away:
                raise ValueError(f"audience holds merged-away profile {pid!r}")
            if pid in erased:
                raise ValueError(f"audience holds erased profile {pid!r}")
            if not isinstance(fields, Mapping):
                raise TypeError(f"fields of profile {pid!r} are not an object")
            _check_json(fields, f"profile {pid!r}")
            A[pid] = copy.deepcopy(dict(fields))

        # Step 2.
        S = self.carried_state(merges, erased)

        run = self.run_number + 1

        # Step 3.
        records: list[dict[str, Any]] = []
        for pid, fields in A.items():
            if pid not in S:
                records.append({"profile": pid, "kind": "entered", "fields": fields})
            elif not json_equal(fields, S[pid]):
                records.append({"profile": pid, "kind": "changed", "fields": fields})
        for pid, fields in S.items():
            if pid not in A:
                records.append({"profile": pid, "kind": "exited", "fields": fields})

        # Step 4.
        kinds = SEND_MODES[self.send]
        records = [r for r in records if r["kind"] in kinds]

        # Step 5.
        if run == 1 and not self.backfill:
            records = []

        for r in records:
            r["fields"] = copy.deepcopy(r["fields"])
            r["run"] = run
        records.sort(key=lambda r: (r["profile"], _KIND_ORDER[r["kind"]]))

        # Step 6: commit together.
        self.S = A
        self.run_number = run
        self.last_now = now
        return records
