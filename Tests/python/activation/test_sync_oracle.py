"""Tests of the sync oracle (sync_oracle.py) against Grammar/README.md, "Syncs": each rule
of "A run" with small hand-worked cases, plus the choices listed under "Ambiguities found"
in the module docstring.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync_oracle import KINDS, SEND_MODES, Sync, json_equal, message_id


def rec(profile, kind, fields, run):
    return {"profile": profile, "kind": kind, "fields": fields, "run": run}


def kinds_of(records):
    return [(r["profile"], r["kind"]) for r in records]


# ----------------------------------------------------------------------------- options

def test_defaults_are_backfill_and_events_and_traits():
    s = Sync()
    assert s.backfill is True
    assert s.send == "events and traits"
    assert s.S == {}
    assert s.run_number == 0


def test_unknown_send_mode_is_rejected():
    with pytest.raises(ValueError):
        Sync(send="everything")


def test_send_modes_table():
    assert SEND_MODES["events"] == {"entered", "exited"}
    assert SEND_MODES["traits"] == {"entered", "changed", "exited"}
    assert SEND_MODES["events and traits"] == {"entered", "changed", "exited"}
    assert KINDS == ("entered", "changed", "exited")


# ----------------------------------------------------------------- step 3: by profile

def test_first_run_with_backfill_enters_everyone():
    s = Sync()
    out = s.run({2: {"plan": "pro"}, 1: {"plan": "free"}})
    assert out == [rec(1, "entered", {"plan": "free"}, 1), rec(2, "entered", {"plan": "pro"}, 1)]


def test_empty_audience_first_run_sends_nothing():
    s = Sync()
    assert s.run({}) == []
    assert s.S == {}
    assert s.run_number == 1


def test_entered_exited_changed_and_quiet_in_one_run():
    s = Sync()
    s.run({1: {"n": 1}, 2: {"n": 2}, 3: {"n": 3}})
    out = s.run({1: {"n": 1}, 2: {"n": 20}, 4: {"n": 4}})
    # 1 quiet, 2 changed (new fields), 3 exited (fields last sent), 4 entered
    assert out == [
        rec(2, "changed", {"n": 20}, 2),
        rec(3, "exited", {"n": 3}, 2),
        rec(4, "entered", {"n": 4}, 2),
    ]


def test_exit_carries_fields_last_sent_not_fields_now():
    s = Sync()
    s.run({1: {"plan": "free"}})
    s.run({1: {"plan": "pro"}})  # changed: S now holds pro
    out = s.run({})
    assert out == [rec(1, "exited", {"plan": "pro"}, 3)]


def test_exit_only_for_a_profile_this_sync_delivered():
    s = Sync()
    s.run({1: {}})
    # profile 9 was never in A; it is not in S either, so it cannot exit
    out = s.run({})
    assert kinds_of(out) == [(1, "exited")]
    assert s.run({}) == []


def test_same_fields_is_quiet():
    s = Sync()
    s.run({1: {"a": "x", "b": 2}})
    assert s.run({1: {"a": "x", "b": 2}}) == []


def test_without_select_fields_are_none_so_never_changed():
    s = Sync()
    assert kinds_of(s.run({1: {}, 2: {}})) == [(1, "entered"), (2, "entered")]
    assert s.run({1: {}, 2: {}}) == []
    assert kinds_of(s.run({2: {}})) == [(1, "exited")]


def test_reentry_after_exit_is_entered_again_with_a_new_message_id():
    s = Sync()
    first = s.run({7: {}})
    assert kinds_of(s.run({})) == [(7, "exited")]
    again = s.run({7: {}})
    assert again == [rec(7, "entered", {}, 3)]
    assert message_id("vip", first[0]["run"], 7) != message_id("vip", again[0]["run"], 7)


def test_at_most_one_record_per_profile_per_run_and_sorted_by_profile():
    s = Sync()
    s.run({5: {"x": 1}, 3: {"x": 1}, 8: {"x": 1}})
    out = s.run({10: {}, 3: {"x": 2}, 1: {}, 8: {"x": 1}})
    assert kinds_of(out) == [(1, "entered"), (3, "changed"), (5, "exited"), (10, "entered")]
    profiles = [r["profile"] for r in out]
    assert len(profiles) == len(set(profiles))


def test_changed_carries_all_fields_now_not_a_difference():
    s = Sync()
    s.run({1: {"a": 1, "b": 2}})
    assert s.run({1: {"a": 1, "b": 3}}) == [rec(1, "changed", {"a": 1, "b": 3}, 2)]


# --------------------------------------------------------------------- step 6: S is A

def test_state_becomes_audience_including_quiet_and_changed_and_drops_exits():
    s = Sync()
    s.run({1: {"n": 1}, 2: {"n": 2}, 3: {"n": 3}})
    s.run({1: {"n": 1}, 2: {"n": 20}, 4: {"n": 4}})
    assert s.S == {1: {"n": 1}, 2: {"n": 20}, 4: {"n": 4}}


def test_state_and_records_are_copies_of_the_input():
    s = Sync()
    audience = {1: {"tags": ["a"]}}
    out = s.run(audience)
    audience[1]["tags"].append("b")
    out[0]["fields"]["tags"].append("c")
    assert s.S == {1: {"tags": ["a"]}}


def test_run_counter_counts_every_run_and_records_carry_it():
    s = Sync()
    s.run({})
    s.run({})
    out = s.run({1: {}})
    assert s.run_number == 3
    assert out == [rec(1, "entered", {}, 3)]


def test_now_is_kept():
    s = Sync()
    s.run({}, now="2024-05-01T00:00:00Z")
    assert s.last_now == "2024-05-01T00:00:00Z"


# ------------------------------------------------------------- JSON-value comparison

@pytest.mark.parametrize(
    "before, after",
    [
        (Decimal("1.50"), 1.5),
        (1.5, Decimal("1.50")),
        (1, 1.0),
        (Decimal("1.500"), Decimal("1.5")),
        (100, 1e2),
        (0, -0.0),
        (0.1, Decimal("0.1")),
        (None, None),
        ("1.5", "1.5"),
        ([1, Decimal("2.0")], [1.0, 2]),
        ({"a": 1, "b": 2}, {"b": 2.0, "a": 1}),
    ],
)
def test_equal_json_values_are_quiet(before, after):
    s = Sync()
    s.run({1: {"v": before}})
    assert s.run({1: {"v": after}}) == []


@pytest.mark.parametrize(
    "before, after",
    [
        (1.5, "1.5"),
        ("1.5", Decimal("1.50")),
        (1, True),
        (0, False),
        (True, False),
        (None, ""),
        (None, 0),
        (None, False),
        ("a", "A"),
        ([1, 2], [2, 1]),
        ([1], [1, 1]),
        ({"a": 1}, {"a": 1, "b": None}),
        (1.5, 1.51),
    ],
)
def test_different_json_values_are_changed(before, after):
    s = Sync()
    s.run({1: {"v": before}})
    assert s.run({1: {"v": after}}) == [rec(1, "changed", {"v": after}, 2)]


def test_missing_field_differs_from_null_field():
    s = Sync()
    s.run({1: {"a": 1}})
    assert kinds_of(s.run({1: {"a": 1, "b": None}})) == [(1, "changed")]


def test_field_order_does_not_count():
    s = Sync()
    s.run({1: {"a": 1, "b": 2}})
    assert s.run({1: {"b": 2, "a": 1}}) == []


def test_json_equal_directly():
    assert json_equal(Decimal("1.50"), 1.5)
    assert not json_equal(1.5, "1.5")
    assert not json_equal(True, 1)
    assert json_equal({"x": [1, None]}, {"x": [1.0, None]})
    assert not json_equal({"x": 1}, {"y": 1})


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object(), {1: "non-string key"}])
def test_non_json_field_values_fail_the_run(bad):
    s = Sync()
    s.run({1: {"v": 1}})
    with pytest.raises((TypeError, ValueError)):
        s.run({1: {"v": bad}})
    assert s.S == {1: {"v": 1}}
    assert s.run_number == 1


# ------------------------------------------------------------------ step 2: merges

def test_member_merged_into_non_member_in_audience_is_no_record():
    s = Sync()
    s.run({3: {"plan": "pro"}})
    out = s.run({5: {"plan": "pro"}}, merges=[(3, 5)])
    assert out == []
    assert s.S == {5: {"plan": "pro"}}


def test_merge_of_two_members_is_no_record_without_select():
    s = Sync()
    s.run({3: {}, 5: {}})
    assert s.run({5: {}}, merges=[(3, 5)]) == []
    assert s.S == {5: {}}


def test_merge_of_two_members_keeps_the_lowest_id_entry_merged_away_lower():
    # 3 merged into 5: the entry for 3 (lowest id) remains, on 5
    s = Sync()
    s.run({3: {"n": "three"}, 5: {"n": "five"}})
    assert s.carried_state(merges=[(3, 5)]) == {5: {"n": "three"}}
    assert s.run({5: {"n": "three"}}, merges=[(3, 5)]) == []


def test_merge_of_two_members_keeps_the_lowest_id_entry_survivor_lower():
    # 7 merged into 2: the entry for 2 (lowest id, the survivor's own) remains
    s = Sync()
    s.run({2: {"n": "two"}, 7: {"n": "seven"}})
    assert s.carried_state(merges=[(7, 2)]) == {2: {"n": "two"}}
    assert s.run({2: {"n": "two"}}, merges=[(7, 2)]) == []


def test_merge_then_survivor_fields_differ_from_kept_entry_is_changed():
    # ambiguity 4: the kept entry (3's fields) is compared with A like any other
    s = Sync()
    s.run({3: {"n": "three"}, 5: {"n": "five"}})
    out = s.run({5: {"n": "five"}}, merges=[(3, 5)])
    assert out == [rec(5, "changed", {"n": "five"}, 2)]


def test_member_merged_into_non_member_with_other_fields_is_changed():
    s = Sync()
    s.run({3: {"plan": "free"}})
    out = s.run({5: {"plan": "pro"}}, merges=[(3, 5)])
    assert out == [rec(5, "changed", {"plan": "pro"}, 2)]


def test_member_merged_into_non_member_outside_audience_exits_the_survivor():
    # ambiguity 4: the carried entry makes 5 "delivered"; it exits with 3's last fields
    s = Sync()
    s.run({3: {"plan": "free"}})
    out = s.run({}, merges=[(3, 5)])
    assert out == [rec(5, "exited", {"plan": "free"}, 2)]
    assert s.S == {}


def test_merge_of_two_members_then_exit_carries_the_kept_entry_fields():
    # 3 merged into 5 (both members), 5 leaves: the exit carries 3's fields, the kept entry
    s = Sync()
    s.run({3: {"n": "three"}, 5: {"n": "five"}})
    assert s.run({}, merges=[(3, 5)]) == [rec(5, "exited", {"n": "three"}, 2)]


def test_merged_away_profile_never_exits_under_its_own_id():
    s = Sync()
    s.run({3: {}})
    out = s.run({5: {}}, merges=[(3, 5)])
    assert all(r["profile"] != 3 for r in out)
    assert out == []


def test_merge_chain_is_followed_to_the_live_profile():
    s = Sync()
    s.run({1: {"k": 1}})
    assert s.run({3: {"k": 1}}, merges=[(1, 2), (2, 3)]) == []
    assert s.S == {3: {"k": 1}}


def test_merge_chain_given_in_any_order():
    s = Sync()
    s.run({1: {"k": 1}})
    assert s.carried_state(merges=[(2, 3), (1, 2)]) == {3: {"k": 1}}
    assert s.run({3: {"k": 1}}, merges=[(2, 3), (1, 2)]) == []


def test_chain_lowest_original_id_wins_not_merge_by_merge():
    # ambiguity 3: entries 2, 8, 5; 2->8 then 8->5; all land on 5; lowest original id is 2
    s = Sync()
    s.run({2: {"n": 2}, 8: {"n": 8}, 5: {"n": 5}})
    assert s.carried_state(merges=[(2, 8), (8, 5)]) == {5: {"n": 2}}
    assert s.run({5: {"n": 2}}, merges=[(2, 8), (8, 5)]) == []


def test_two_merged_away_entries_on_a_non_member_survivor():
    s = Sync()
    s.run({9: {"n": 9}, 4: {"n": 4}})
    assert s.carried_state(merges=[(9, 12), (4, 12)]) == {12: {"n": 4}}
    out = s.run({12: {"n": 9}}, merges=[(9, 12), (4, 12)])
    assert out == [rec(12, "changed", {"n": 9}, 2)]


def test_merge_of_non_members_does_nothing_to_state():
    s = Sync()
    s.run({1: {}})
    out = s.run({1: {}, 20: {}}, merges=[(10, 20)])
    assert out == [rec(20, "entered", {}, 2)]


def test_merge_is_independent_of_other_members():
    s = Sync()
    s.run({1: {"a": 1}, 3: {"a": 3}})
    out = s.run({1: {"a": 1}, 4: {"a": 3}}, merges=[(3, 4)])
    assert out == []
    assert s.S == {1: {"a": 1}, 4: {"a": 3}}


def test_carried_state_does_not_change_the_sync():
    s = Sync()
    s.run({3: {"x": 1}})
    s.carried_state(merges=[(3, 5)], erased={1})
    assert s.S == {3: {"x": 1}}
    assert s.run_number == 1


@pytest.mark.parametrize(
    "merges",
    [
        [(1, 2), (2, 1)],  # cycle
        [(1, 2), (2, 3), (3, 1)],  # longer cycle
        [(1, 1)],  # into itself
        [(1, 2), (1, 3)],  # merged away twice
    ],
)
def test_impossible_merges_fail_the_run_and_change_nothing(merges):
    s = Sync()
    s.run({1: {"a": 1}})
    with pytest.raises(ValueError):
        s.run({2: {}}, merges=merges)
    assert s.S == {1: {"a": 1}}
    assert s.run_number == 1


def test_audience_holding_a_merged_away_profile_is_rejected():
    s = Sync()
    s.run({1: {}})
    with pytest.raises(ValueError):
        s.run({1: {}, 2: {}}, merges=[(1, 2)])
    assert s.S == {1: {}}
    assert s.run_number == 1


# ------------------------------------------------------------- step 2: erasure

def test_erased_member_is_dropped_without_a_record():
    s = Sync()
    s.run({1: {"a": 1}, 2: {"a": 2}})
    out = s.run({2: {"a": 2}}, erased={1})
    assert out == []
    assert s.S == {2: {"a": 2}}


def test_suppressed_member_left_out_of_audience_exits():
    # suppression is only "not in A": unlike erasure it gives an ordinary exit
    s = Sync()
    s.run({1: {"a": 1}, 2: {"a": 2}})
    assert s.run({2: {"a": 2}}) == [rec(1, "exited", {"a": 1}, 2)]


def test_erasing_a_non_member_does_nothing():
    s = Sync()
    s.run({1: {}})
    assert s.run({1: {}}, erased={99}) == []


def test_erased_survivor_drops_every_entry_carried_onto_it():
    s = Sync()
    s.run({3: {"n": 3}, 5: {"n": 5}, 6: {"n": 6}})
    out = s.run({6: {"n": 6}}, merges=[(3, 5)], erased={5})
    assert out == []
    assert s.S == {6: {"n": 6}}


def test_erased_profile_in_audience_is_rejected():
    s = Sync()
    with pytest.raises(ValueError):
        s.run({1: {}}, erased={1})
    assert s.run_number == 0


def test_erased_merged_away_profile_is_contradictory():
    # ambiguity 5
    s = Sync()
    s.run({3: {}})
    with pytest.raises(ValueError):
        s.run({5: {}}, merges=[(3, 5)], erased={3})
    assert s.S == {3: {}}


def test_erased_entry_then_reentry_of_other_profile():
    s = Sync()
    s.run({1: {}, 2: {}})
    out = s.run({2: {}, 3: {}}, erased={1})
    assert out == [rec(3, "entered", {}, 2)]


# ------------------------------------------------------------------ step 4: send

def _one_of_each(send):
    s = Sync(send=send)
    s.run({1: {"v": 1}, 2: {"v": 2}})
    return s, s.run({1: {"v": 10}, 3: {"v": 3}})  # 1 changed, 2 exited, 3 entered


def test_send_events_and_traits_sends_all_three():
    _, out = _one_of_each("events and traits")
    assert out == [
        rec(1, "changed", {"v": 10}, 2),
        rec(2, "exited", {"v": 2}, 2),
        rec(3, "entered", {"v": 3}, 2),
    ]


def test_send_events_sends_entered_and_exited_only():
    _, out = _one_of_each("events")
    assert out == [rec(2, "exited", {"v": 2}, 2), rec(3, "entered", {"v": 3}, 2)]


def test_send_traits_sends_entered_changed_and_the_exit_too():
    _, out = _one_of_each("traits")
    assert kinds_of(out) == [(1, "changed"), (2, "exited"), (3, "entered")]


@pytest.mark.parametrize("send", sorted(SEND_MODES))
def test_state_becomes_audience_whatever_is_sent(send):
    s, _ = _one_of_each(send)
    assert s.S == {1: {"v": 10}, 3: {"v": 3}}


def test_send_events_exit_carries_fields_from_state_even_if_change_was_not_sent():
    # ambiguity 2: S became A at run 2 although `send events` sent no changed record
    s = Sync(send="events")
    s.run({1: {"v": 1}})
    assert s.run({1: {"v": 2}}) == []
    assert s.run({}) == [rec(1, "exited", {"v": 2}, 3)]


def test_send_events_first_run_enters():
    s = Sync(send="events")
    assert s.run({1: {"v": 1}}) == [rec(1, "entered", {"v": 1}, 1)]


# ------------------------------------------------------------- step 5: no backfill

def test_no_backfill_first_run_writes_no_records_and_records_state():
    s = Sync(backfill=False)
    assert s.run({1: {"a": 1}, 2: {"a": 2}}) == []
    assert s.S == {1: {"a": 1}, 2: {"a": 2}}
    assert s.run_number == 1


def test_no_backfill_later_runs_are_ordinary():
    s = Sync(backfill=False)
    s.run({1: {"a": 1}, 2: {"a": 2}})
    out = s.run({1: {"a": 1}, 2: {"a": 22}, 3: {"a": 3}})
    assert out == [rec(2, "changed", {"a": 22}, 2), rec(3, "entered", {"a": 3}, 2)]
    assert kinds_of(s.run({})) == [(1, "exited"), (2, "exited"), (3, "exited")]


@pytest.mark.parametrize("send", sorted(SEND_MODES))
def test_no_backfill_applies_in_every_send_mode(send):
    s = Sync(backfill=False, send=send)
    assert s.run({1: {}}) == []
    assert s.run({}) == [rec(1, "exited", {}, 2)]


def test_no_backfill_failed_first_run_leaves_the_next_one_first():
    # ambiguity 8: a failed run consumes no number; the first successful run is the first
    s = Sync(backfill=False)
    with pytest.raises(ValueError):
        s.run({1: {}}, erased={1})
    assert s.run({1: {}}) == []
    assert s.run_number == 1


def test_no_backfill_first_run_with_empty_audience_then_entries():
    s = Sync(backfill=False)
    assert s.run({}) == []
    assert s.run({1: {}}) == [rec(1, "entered", {}, 2)]


# ------------------------------------------------------------------ message ids

def test_message_id_is_deterministic():
    assert message_id("vip", 3, 42) == message_id("vip", 3, 42)
    assert isinstance(message_id("vip", 3, 42), str)


def test_message_id_differs_by_run_profile_and_sync():
    ids = {
        message_id("vip", 1, 42),
        message_id("vip", 2, 42),
        message_id("vip", 1, 43),
        message_id("churn", 1, 42),
        message_id("vip1", 2, 42),
        message_id("vip", 12, 42),
        message_id("vip", 1, 242),
        message_id("vip", 11, 2),
    }
    assert len(ids) == 8


def test_message_ids_of_one_run_are_distinct_per_profile():
    s = Sync()
    out = s.run({p: {} for p in range(1, 50)})
    ids = {message_id("s", r["run"], r["profile"]) for r in out}
    assert len(ids) == 49


# ---------------------------------------------------------------- a longer story

def test_a_story_of_five_runs():
    s = Sync()
    assert s.run({1: {"plan": "free"}, 2: {"plan": "pro"}}) == [
        rec(1, "entered", {"plan": "free"}, 1),
        rec(2, "entered", {"plan": "pro"}, 1),
    ]
    # 1 upgrades; 4 joins
    assert s.run({1: {"plan": "pro"}, 2: {"plan": "pro"}, 4: {"plan": "free"}}) == [
        rec(1, "changed", {"plan": "pro"}, 2),
        rec(4, "entered", {"plan": "free"}, 2),
    ]
    # 4 merged into 2 (2's own entry is lower and remains); 1 erased
    assert s.run({2: {"plan": "pro"}}, merges=[(4, 2)], erased={1}) == []
    # 2 leaves
    assert s.run({}) == [rec(2, "exited", {"plan": "pro"}, 4)]
    # 2 comes back
    assert s.run({2: {"plan": "team"}}) == [rec(2, "entered", {"plan": "team"}, 5)]
    assert s.S == {2: {"plan": "team"}}
