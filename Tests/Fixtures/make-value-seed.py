#!/usr/bin/env python3
"""Writes Tests/Fixtures/value-seed.ndjson: the seeded tenant of the funnel, customer-value and
report tests (Tests/RapportStoreTests/ValueAnswerTests.swift, answers by ValueOracle.swift).

Segment-shaped messages, one JSON object a line, sorted by timestamp (stable). Each line may
carry a top-level `source` (not a Segment field; the importer ignores it): ValueSeed sets it as
the event's source, so that the tenant has several sources (lines without one have none).
Deterministic: a fixed seed, no clock, python3 stdlib only.

    python3 Tests/Fixtures/make-value-seed.py            # writes the file next to this script
    python3 Tests/Fixtures/make-value-seed.py -          # to standard output

"now" for every question is 2025-01-01T00:00:00Z.

Events: product_viewed, added_to_cart, coupon_applied, order_completed (revenue),
`Order Completed` (revenue; the default revenue event), purchase (amount), refund (amount,
negative), acquisition_cost and service_cost (amount), referral, nps (score), page (path),
identify (traits plan, country, email). Campaigns in props.campaign or context.campaign.name.

The awkward cases (people tagged s.. are funnel scenarios, v.. value scenarios, r.. filler):
- events sharing one timestamp: step 2 at the same instant as step 1 with message ids sorting
  both ways (s02, s03), same-name steps at one instant (s04, s06, s40), a whole funnel at one
  instant (s36), a coupon at the instant of the order (s16);
- several entries: a first that fails and a later one that would succeed (s07);
- excluded events at the instant of a step (s24), of the entry (s26), just before the entry
  (s25), exactly at the window edge (s29, s30), at the where-boundary (s31), a string amount (s32);
- whole-window and per-step-window edges, equal and one second over (s08 … s12, s22);
- optional steps present, absent, late, at the next step's instant, outside their window,
  before the previous step, and reached without the next step (s13 … s19);
- profiles with only costs (v01), a negative revenue (v02), revenue properties that are a
  string or missing (v03), a zero order (v04), future-dated orders (v05, v05b), retention
  edges (v06 … v08), inspire by nps or referral (v09 … v11), identify-only profiles (v12),
  many equal clv values (v14 and every profile without value), equal last orders (v15), the
  default revenue event `Order Completed` (v16), refunds (v17), flows over two years (v18);
- merged profiles: anonymous browsing later identified by user id (s37) and by email (s38);
  a never-identified anonymous profile (s39);
- repeat customers with orders on week and month edges (v20 … v23);
- entries at the edges of the date ranges the tests use (s42 … s45); a profile whose first two
  events share an instant and come from two sources, the message id deciding (v19);
- message ids that sort against their timestamps (x-… ids, and the `z-`/`a-` pairs).
ValueSeed also inserts two profiles without any event (no message can make one).
"""
import datetime as dt
import json
import os
import random
import sys

SEED = 20250101
R = random.Random(SEED)
UTC = dt.timezone.utc
NOW = dt.datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)

messages = []


def T(y, mo, d, h=0, mi=0, s=0, us=0):
    return dt.datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def iso(t):
    if t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % t.microsecond
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
SEC = dt.timedelta(seconds=1)


class P:
    """A person: a user id (or none) and the anonymous id of their first device."""

    def __init__(self, tag, uid=True, source="web"):
        self.tag = tag
        self.uid = ("u-" + tag) if uid else None
        self.anon = "a-" + tag
        self.source = source


def add(kind, when, p=None, uid=None, anon=None, mid=None, source="person", context=None, **fields):
    m = {"type": kind, "timestamp": iso(when)}
    if p is not None and uid is None and anon is None:
        uid, anon = p.uid, (None if p.uid else p.anon)
    if uid is not None:
        m["userId"] = uid
    if anon is not None:
        m["anonymousId"] = anon
    if mid is not None:
        m["messageId"] = mid
    m.update(fields)
    if context is not None:
        m["context"] = context
    if source == "person":
        source = p.source if p is not None else None
    if source is not None:
        m["source"] = source
    m["_t"] = when
    messages.append(m)
    return m


def identify(p, when, traits, uid="self", anon="self", **kw):
    return add("identify", when, p, uid=p.uid if uid == "self" else uid, anon=p.anon if anon == "self" else anon,
               traits=traits, **kw)


def track(p, when, event, props=None, **kw):
    return add("track", when, p, event=event, properties=props if props is not None else {}, **kw)


def page(p, when, path, name=None, **kw):
    return add("page", when, p, name=name or path.strip("/").title() or "Home", properties={"path": path}, **kw)


def signup(p, when, plan="free", country="DE", email=True, extra=None):
    traits = {}
    if email:
        traits["email"] = "%s@example.com" % p.tag
    if plan is not None:
        traits["plan"] = plan
    if country is not None:
        traits["country"] = country
    if extra:
        traits.update(extra)
    return identify(p, when, traits)


def checkout(p, t, gaps, revenue, campaign=None, coupon=False, ids=None):
    """product_viewed, added_to_cart, [coupon_applied], order_completed at t + the gaps."""
    props = {"campaign": campaign} if campaign else {}
    ids = ids or [None] * 4
    track(p, t, "product_viewed", dict(props, category="shoes"), mid=ids[0])
    t = t + gaps[0]
    track(p, t, "added_to_cart", dict(props), mid=ids[1])
    if coupon:
        t = t + gaps[1]
        track(p, t, "coupon_applied", {"code": "WELCOME10"}, mid=ids[2])
    if revenue is not None:
        t = t + gaps[-1]
        track(p, t, "order_completed", dict(props, revenue=revenue), mid=ids[3])


# ----------------------------------------------------------------- funnel scenarios

def funnel_people():
    # s01: a clean conversion, campaign on every step.
    p = P("s01")
    signup(p, T(2024, 1, 20, 9), "pro", "DE")
    checkout(p, T(2024, 2, 5, 10), [10 * MIN, HOUR], 120, campaign="spring")

    # s02: step 2 at the instant of step 1, its message id sorting first.
    p = P("s02", source="ios")
    signup(p, T(2024, 1, 21, 9), "free", "FR")
    at = T(2024, 2, 6, 9)
    track(p, at, "product_viewed", {"campaign": "spring", "category": "bags"}, mid="x-s02-b")
    track(p, at, "added_to_cart", {"campaign": "winter"}, mid="x-s02-a")
    track(p, at + 30 * MIN, "order_completed", {"revenue": 80, "campaign": "winter"})

    # s03: step 2 at the instant of step 1, its message id sorting after.
    p = P("s03")
    signup(p, T(2024, 1, 22, 9), "pro", "US")
    at = T(2024, 2, 7, 9)
    track(p, at, "product_viewed", {"category": "shoes"}, mid="x-s03-a")
    track(p, at, "added_to_cart", {}, mid="x-s03-b")
    track(p, at + 5 * MIN, "order_completed", {"revenue": 45.5})

    # s04: two checkout pages at one instant (page -> page where path = "/checkout").
    p = P("s04")
    signup(p, T(2024, 3, 1, 9), "free", "DE")
    at = T(2024, 3, 10, 12)
    page(p, at, "/checkout", mid="x-s04-a")
    page(p, at, "/checkout", mid="x-s04-b")
    track(p, at + 20 * MIN, "order_completed", {"revenue": 60})

    # s05: one checkout page: it cannot serve both page steps.
    p = P("s05", source="crm")
    signup(p, T(2024, 3, 2, 9), "pro", "FR")
    at = T(2024, 3, 11, 12)
    page(p, at, "/checkout")
    track(p, at + 20 * MIN, "order_completed", {"revenue": 61})

    # s06: "/" and "/checkout" at one instant, the checkout page's id sorting first.
    p = P("s06")
    signup(p, T(2024, 3, 3, 9), "free", "US")
    at = T(2024, 3, 12, 12)
    page(p, at, "/", mid="x-s06-b")
    page(p, at, "/checkout", mid="x-s06-a")
    track(p, at + 20 * MIN, "order_completed", {"revenue": 62})

    # s07: a first entry that fails the window, a later attempt that would succeed.
    p = P("s07")
    signup(p, T(2024, 3, 20, 9), "enterprise", "GB")
    track(p, T(2024, 4, 1, 10), "product_viewed", {"campaign": "spring", "category": "bags"})
    checkout(p, T(2024, 6, 15, 10), [5 * MIN, 5 * MIN], 70, campaign="summer")

    # s08: the order exactly one day after the entry (within 1 day: reached).
    p = P("s08")
    signup(p, T(2024, 4, 20, 9), "pro", "DE")
    checkout(p, T(2024, 5, 10, 8), [HOUR, 23 * HOUR], 90)

    # s09: one second over the day.
    p = P("s09", source="ios")
    signup(p, T(2024, 4, 21, 9), "free", "DE")
    checkout(p, T(2024, 5, 12, 8), [HOUR, 23 * HOUR + SEC], 91)

    # s10: every per-step window met exactly (1 hour, 30 minutes, 2 days whole).
    p = P("s10")
    signup(p, T(2024, 6, 1, 9), "pro", "US")
    checkout(p, T(2024, 7, 1, 10), [HOUR, 30 * MIN, 2 * DAY - 90 * MIN], 100, coupon=True)

    # s11: the cart one second after the hour.
    p = P("s11")
    signup(p, T(2024, 6, 2, 9), "free", "FR")
    checkout(p, T(2024, 7, 2, 10), [HOUR + SEC, 9 * MIN, 50 * MIN], 101, coupon=True)

    # s12: the coupon one second after its 30 minutes (still within the optional's hour).
    p = P("s12", source="crm")
    signup(p, T(2024, 6, 3, 9), "pro", "GB")
    checkout(p, T(2024, 7, 3, 10), [10 * MIN, 30 * MIN + SEC, 20 * MIN], 102, coupon=True)

    # s13: the optional coupon between cart and order, everything back to back; the order
    # half a second late (durations with fractions).
    p = P("s13")
    signup(p, T(2024, 7, 20, 9), "pro", "DE")
    at = T(2024, 8, 1, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 10 * MIN, "coupon_applied", {"code": "SUMMER24"})
    track(p, at + 15 * MIN + dt.timedelta(microseconds=500000), "order_completed", {"revenue": 55})

    # s14: no coupon.
    p = P("s14")
    signup(p, T(2024, 7, 21, 9), "free", "US")
    checkout(p, T(2024, 8, 2, 10), [5 * MIN, 5 * MIN], 56)

    # s15: the coupon after the order.
    p = P("s15", source="ios")
    signup(p, T(2024, 7, 22, 9), "pro", "FR")
    at = T(2024, 8, 3, 10)
    track(p, at, "product_viewed", {"category": "bags"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 10 * MIN, "order_completed", {"revenue": 57})
    track(p, at + 20 * MIN, "coupon_applied", {"code": "LATE"})

    # s16: the coupon at the order's instant, its id sorting after the order's.
    p = P("s16")
    signup(p, T(2024, 7, 23, 9), "free", "DE")
    at = T(2024, 8, 4, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 10 * MIN, "coupon_applied", {"code": "SAME"}, mid="x-s16-b")
    track(p, at + 10 * MIN, "order_completed", {"revenue": 58}, mid="x-s16-a")

    # s17: the coupon more than an hour after the cart, before the order.
    p = P("s17")
    signup(p, T(2024, 7, 24, 9), "enterprise", "US")
    at = T(2024, 8, 5, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 65 * MIN + SEC, "coupon_applied", {"code": "SLOW"})
    track(p, at + 90 * MIN, "order_completed", {"revenue": 59})

    # s18: the coupon before the cart.
    p = P("s18", source="crm")
    signup(p, T(2024, 7, 25, 9), "pro", "GB")
    at = T(2024, 8, 6, 10)
    track(p, at, "product_viewed", {"category": "bags"})
    track(p, at + 2 * MIN, "coupon_applied", {"code": "EARLY"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 30 * MIN, "order_completed", {"revenue": 60.25})

    # s19: the coupon, then no order (dropped at the optional step).
    p = P("s19")
    signup(p, T(2024, 7, 26, 9), "free", "DE")
    at = T(2024, 8, 7, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 20 * MIN, "coupon_applied", {"code": "NOBUY"})

    # s20: viewed and carted only; s21: viewed only.
    p = P("s20")
    signup(p, T(2024, 7, 27, 9), "pro", "FR")
    checkout(p, T(2024, 8, 8, 10), [5 * MIN], None)
    p = P("s21", source=None)
    signup(p, T(2024, 7, 28, 9), "free", "US")
    track(p, T(2024, 8, 9, 10), "product_viewed", {"category": "bags"})

    # s22: the cart one second after the optional funnel's first day.
    p = P("s22")
    signup(p, T(2024, 8, 20, 9), "enterprise", "DE")
    checkout(p, T(2024, 9, 1, 10), [DAY + SEC, HOUR], 63)

    # s23: a page between view and cart (order strict breaks).
    p = P("s23")
    signup(p, T(2024, 8, 21, 9), "pro", "DE")
    at = T(2024, 9, 3, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    page(p, at + MIN, "/pricing")
    track(p, at + 2 * MIN, "added_to_cart", {})
    track(p, at + 10 * MIN, "order_completed", {"revenue": 64})

    # Exclusion: refund where amount <= -20, and page where path = "/cancel".
    # s24: an excluded refund at the cart's instant.
    p = P("s24")
    signup(p, T(2024, 9, 1, 9), "pro", "FR")
    at = T(2024, 10, 1, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {}, mid="x-s24-a")
    track(p, at + 5 * MIN, "refund", {"amount": -30}, mid="x-s24-b")
    track(p, at + 10 * MIN, "order_completed", {"revenue": 65})

    # s25: an excluded refund one second before the entry.
    p = P("s25")
    signup(p, T(2024, 9, 2, 9), "free", "DE")
    at = T(2024, 10, 2, 10)
    track(p, at - SEC, "refund", {"amount": -30})
    checkout(p, at, [5 * MIN, 5 * MIN], 66)

    # s26: an excluded refund at the entry's instant, its id sorting first.
    p = P("s26", source="ios")
    signup(p, T(2024, 9, 3, 9), "pro", "US")
    at = T(2024, 10, 3, 10)
    track(p, at, "refund", {"amount": -30}, mid="x-s26-a")
    checkout(p, at, [5 * MIN, 5 * MIN], 67, ids=["x-s26-b", None, None, None])

    # s27: a refund that the where leaves in (amount -5).
    p = P("s27")
    signup(p, T(2024, 9, 4, 9), "free", "FR")
    at = T(2024, 10, 4, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 6 * MIN, "refund", {"amount": -5})
    track(p, at + 10 * MIN, "order_completed", {"revenue": 68})

    # s28: a cancel page between cart and order.
    p = P("s28")
    signup(p, T(2024, 9, 5, 9), "enterprise", "DE")
    at = T(2024, 10, 5, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    page(p, at + 7 * MIN, "/cancel")
    track(p, at + 10 * MIN, "order_completed", {"revenue": 69})

    # s29: an excluded refund and the order both exactly at the 7-day edge.
    p = P("s29", source="crm")
    signup(p, T(2024, 9, 6, 9), "pro", "GB")
    at = T(2024, 10, 10, 10)
    track(p, at, "product_viewed", {"category": "bags"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 7 * DAY, "order_completed", {"revenue": 70}, mid="x-s29-a")
    track(p, at + 7 * DAY, "refund", {"amount": -25}, mid="x-s29-b")

    # s30: the order one second before the edge, the excluded refund at the edge.
    p = P("s30")
    signup(p, T(2024, 9, 7, 9), "free", "US")
    at = T(2024, 10, 11, 10)
    track(p, at, "product_viewed", {"category": "bags"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 7 * DAY - SEC, "order_completed", {"revenue": 71})
    track(p, at + 7 * DAY, "refund", {"amount": -25})

    # s31: a refund of exactly -20 between cart and order.
    p = P("s31")
    signup(p, T(2024, 9, 8, 9), "pro", "DE")
    at = T(2024, 10, 12, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 6 * MIN, "refund", {"amount": -20})
    track(p, at + 10 * MIN, "order_completed", {"revenue": 72})

    # s32: a refund whose amount is a string: no number, not excluded, no revenue.
    p = P("s32")
    signup(p, T(2024, 9, 9, 9), "free", "FR")
    at = T(2024, 10, 13, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 5 * MIN, "added_to_cart", {})
    track(p, at + 6 * MIN, "refund", {"amount": "-50"})
    track(p, at + 10 * MIN, "order_completed", {"revenue": 73})

    # order any.
    # s33: cart first, then view, then order.
    p = P("s33")
    signup(p, T(2024, 10, 20, 9), "pro", "US")
    at = T(2024, 11, 1, 10)
    track(p, at, "added_to_cart", {"campaign": "autumn"})
    track(p, at + HOUR, "product_viewed", {"category": "bags", "campaign": "brand"})
    track(p, at + 2 * HOUR, "order_completed", {"revenue": 74, "campaign": "brand"})

    # s34: an order, then a view; never a cart.
    p = P("s34", source="ios")
    signup(p, T(2024, 10, 21, 9), "free", "DE")
    at = T(2024, 11, 2, 10)
    track(p, at, "order_completed", {"revenue": 30})
    track(p, at + HOUR, "product_viewed", {"category": "shoes"})

    # s35: view, cart two days later, order four days later (past any's 3 days).
    p = P("s35")
    signup(p, T(2024, 10, 22, 9), "enterprise", "FR")
    at = T(2024, 11, 3, 10)
    track(p, at, "product_viewed", {"category": "shoes"})
    track(p, at + 2 * DAY, "added_to_cart", {})
    track(p, at + 4 * DAY, "order_completed", {"revenue": 75})

    # s36: the whole funnel at one instant, ids sorting against the steps.
    p = P("s36")
    signup(p, T(2024, 10, 23, 9), "pro", "GB")
    at = T(2024, 11, 4, 10)
    track(p, at, "product_viewed", {"category": "bags"}, mid="x-s36-c")
    track(p, at, "added_to_cart", {}, mid="x-s36-b")
    track(p, at, "order_completed", {"revenue": 76}, mid="x-s36-a")

    # s37: anonymous browsing on a second device, then identified by user id: the two merge.
    p = P("s37")
    signup(p, T(2024, 3, 5, 9), "pro", "DE")
    page(p, T(2024, 3, 6, 9), "/pricing", context={"campaign": {"name": "brand", "source": "google"}})
    d2 = "a-s37-2"
    at = T(2024, 6, 20, 10)
    add("track", at, p, uid=None, anon=d2, event="product_viewed", properties={"category": "shoes", "campaign": "summer"},
        source="ios")
    add("track", at + 5 * MIN, p, uid=None, anon=d2, event="added_to_cart", properties={}, source="ios")
    identify(p, at + 10 * MIN, {}, anon=d2, source="ios")
    track(p, at + 20 * MIN, "order_completed", {"revenue": 77, "campaign": "summer"})

    # s38: anonymous device, then identified by email only: merges into the user.
    p = P("s38", source="crm")
    signup(p, T(2024, 2, 1, 9), "enterprise", "US")
    d3 = "a-s38-x"
    at = T(2024, 5, 1, 10)
    add("page", at, p, uid=None, anon=d3, name="Pricing", properties={"path": "/pricing"}, source="web",
        context={"campaign": {"name": "spring"}, "locale": "en-US"})
    add("track", at + MIN, p, uid=None, anon=d3, event="purchase", properties={"amount": 150}, source="web")
    add("identify", at + 2 * MIN, p, uid=None, anon=d3, traits={"email": " S38@Example.COM "}, source="web")

    # s39: never identified: anonymous views and a cart.
    p = P("s39", uid=False, source=None)
    at = T(2024, 9, 15, 10)
    track(p, at, "product_viewed", {"category": "shoes", "campaign": "autumn"})
    track(p, at + MIN, "added_to_cart", {"campaign": "autumn"})

    # s40: purchase -> purchase where amount > 50: two purchases at one instant.
    p = P("s40")
    signup(p, T(2024, 4, 1, 9), "pro", "DE")
    at = T(2024, 4, 10, 10)
    track(p, at, "purchase", {"amount": 80}, mid="x-s40-a")
    track(p, at, "purchase", {"amount": 20}, mid="x-s40-b")
    p = P("s41")
    signup(p, T(2024, 4, 2, 9), "free", "FR")
    at = T(2024, 4, 11, 10)
    track(p, at, "purchase", {"amount": 20}, mid="x-s41-a")
    track(p, at, "purchase", {"amount": 80}, mid="x-s41-b")

    # s42, s43: entries at the edges of the date ranges the tests use.
    p = P("s42")
    signup(p, T(2024, 2, 1, 9), "free", "DE")
    checkout(p, T(2024, 5, 31, 23, 59, 59), [MIN, MIN], 42)      # last second of between … and 2024-05-31
    track(p, T(2024, 6, 1, 0, 0, 0), "product_viewed", {"category": "bags"})
    p = P("s43")
    signup(p, T(2024, 2, 2, 9), "pro", "US")
    checkout(p, T(2024, 6, 1, 12, 0, 0), [MIN, MIN], 43)        # exactly `since 2024-06-01T12:00:00Z`
    p = P("s44")
    signup(p, T(2024, 2, 3, 9), "free", "FR")
    checkout(p, T(2024, 6, 1, 11, 59, 59), [MIN, MIN], 44)      # one second before it
    p = P("s45")
    signup(p, T(2024, 2, 4, 9), "pro", "GB")
    checkout(p, T(2024, 3, 1, 0, 0, 0), [MIN, MIN], 45)         # first instant of between 2024-03-01


# ----------------------------------------------------------------- value scenarios

def value_people():
    # v01: only costs.
    p = P("v01", source="crm")
    signup(p, T(2024, 2, 10, 9), "free", "DE")
    track(p, T(2024, 3, 1, 9), "acquisition_cost", {"amount": 50})
    track(p, T(2024, 6, 1, 9), "service_cost", {"amount": 12.5})

    # v02: only a refund: a negative revenue.
    p = P("v02")
    signup(p, T(2024, 2, 11, 9), "pro", "FR")
    track(p, T(2024, 5, 5, 9), "refund", {"amount": -40})

    # v03: a purchase with a string amount, an order without revenue, and one good purchase.
    p = P("v03")
    signup(p, T(2024, 2, 12, 9), "free", "US")
    track(p, T(2024, 4, 1, 9), "purchase", {"amount": "12.50"})
    track(p, T(2024, 4, 2, 9), "order_completed", {"campaign": "spring"})
    track(p, T(2024, 4, 3, 9), "purchase", {"amount": 15})

    # v04: a purchase of 0: a revenue event, not an order.
    p = P("v04", source="ios")
    signup(p, T(2024, 2, 13, 9), "free", "DE")
    track(p, T(2024, 4, 4, 9), "purchase", {"amount": 0})

    # v05: an order in the future; v05b: only a future order.
    p = P("v05")
    signup(p, T(2024, 5, 1, 9), "pro", "DE")
    track(p, T(2024, 6, 1, 9), "purchase", {"amount": 40})
    track(p, T(2025, 1, 10, 9), "purchase", {"amount": 60})
    p = P("v05b")
    signup(p, T(2024, 12, 20, 9), "free", "FR")
    track(p, T(2025, 1, 10, 9), "purchase", {"amount": 25})

    # v06: first order exactly 180 days before now (retention needs strictly before).
    p = P("v06")
    signup(p, T(2024, 6, 1, 9), "pro", "GB")
    track(p, T(2024, 7, 5, 0, 0, 0), "purchase", {"amount": 29})
    track(p, T(2024, 12, 1, 9), "purchase", {"amount": 29})

    # v07: last order exactly 90 days before now, first long before: retention.
    p = P("v07", source="crm")
    signup(p, T(2023, 12, 1, 9), "pro", "DE")
    track(p, T(2024, 7, 4, 23, 59, 59), "purchase", {"amount": 29})
    track(p, T(2024, 10, 3, 0, 0, 0), "purchase", {"amount": 29})

    # v08: last order one second before the 90 days.
    p = P("v08")
    signup(p, T(2023, 12, 2, 9), "pro", "US")
    track(p, T(2024, 1, 10, 9), "purchase", {"amount": 29})
    track(p, T(2024, 10, 2, 23, 59, 59), "purchase", {"amount": 29})

    # v09: an nps of 9, no orders: inspire.
    p = P("v09")
    signup(p, T(2024, 3, 1, 9), "free", "FR")
    track(p, T(2024, 3, 2, 9), "nps", {"score": 9})

    # v10: nps 8, and a "10" that is text: no inspire.
    p = P("v10", source="ios")
    signup(p, T(2024, 3, 3, 9), "free", "DE")
    track(p, T(2024, 3, 4, 9), "nps", {"score": 8})
    track(p, T(2024, 3, 5, 9), "nps", {"score": "10"})

    # v11: a referral and one order.
    p = P("v11")
    signup(p, T(2024, 3, 6, 9), "pro", "US")
    track(p, T(2024, 3, 7, 9), "purchase", {"amount": 35})
    track(p, T(2024, 3, 8, 9), "referral", {"channel": "link"})

    # v12: identify only.
    for k, (plan, country) in enumerate([("free", "DE"), (None, "FR"), ("pro", None)]):
        p = P("v12%s" % "abc"[k], source=["crm", "web", None][k])
        signup(p, T(2024, 4, 1 + k, 9), plan, country)

    # v13: three orders, development.
    p = P("v13")
    signup(p, T(2024, 1, 5, 9), "enterprise", "DE")
    for k, amount in enumerate([300, 250.75, 410]):
        track(p, T(2024, 2 + 2 * k, 10, 9), "purchase", {"amount": amount})

    # v14: six customers with equal clv at one instant.
    for k in range(6):
        p = P("v14%s" % "abcdef"[k], source=["web", "ios"][k % 2])
        signup(p, T(2024, 8, 1 + k, 9), ["free", "pro"][k % 2], ["DE", "FR", "US"][k % 3])
        track(p, T(2024, 9, 9, 12), "purchase", {"amount": 50.0})

    # v15: two customers whose last orders share an instant.
    for k in range(2):
        p = P("v15%s" % "ab"[k])
        signup(p, T(2024, 8, 10 + k, 9), "pro", "US")
        track(p, T(2024, 9, 1 + k, 9), "purchase", {"amount": 20 + k})
        track(p, T(2024, 11, 11, 11), "purchase", {"amount": 30})

    # v16: the default revenue event `Order Completed`.
    p = P("v16")
    signup(p, T(2023, 9, 1, 9), "pro", "DE")
    track(p, T(2023, 9, 15, 9), "Order Completed", {"revenue": 200})
    track(p, T(2023, 10, 15, 9), "Order Completed", {"revenue": 180, "campaign": "autumn"})

    # v17: an order and a refund of part of it.
    p = P("v17")
    signup(p, T(2024, 5, 1, 9), "free", "FR")
    track(p, T(2024, 5, 10, 9), "purchase", {"amount": 100}, context={"campaign": {"name": "summer"}})
    track(p, T(2024, 5, 20, 9), "refund", {"amount": -30})

    # v18: flows over two years, costs and revenue (the discount matters).
    p = P("v18", source="crm")
    signup(p, T(2023, 9, 25, 9), "enterprise", "GB")
    track(p, T(2023, 9, 30, 9), "acquisition_cost", {"amount": 100})
    track(p, T(2023, 10, 1, 9), "purchase", {"amount": 300})
    track(p, T(2024, 4, 1, 9), "purchase", {"amount": 300})
    track(p, T(2024, 4, 2, 9), "service_cost", {"amount": 25.5})

    # v19: one event at the earliest instant of its profile from two sources, ids deciding.
    p = P("v19", source=None)
    at = T(2024, 4, 15, 9)
    add("identify", at, p, uid=p.uid, anon=p.anon, traits={"email": "v19@example.com", "plan": "free"},
        mid="z-v19", source="web")
    track(p, at, "nps", {"score": 10}, mid="a-v19", source="crm")

    # v20 … v22: repeat customers for the retention tables, orders on period edges.
    p = P("v20")
    signup(p, T(2024, 9, 20, 9), "pro", "DE")
    for k in range(11):
        track(p, T(2024, 10, 2, 8) + k * 9 * DAY, "purchase", {"amount": 29})
    p = P("v21", source="ios")
    signup(p, T(2024, 1, 2, 9), "enterprise", "FR")
    for month in range(1, 12):
        track(p, T(2024, month, 15, 12), "purchase", {"amount": 99})
    track(p, T(2024, 11, 30, 23, 59, 59), "purchase", {"amount": 10})   # last second of November
    track(p, T(2024, 12, 29, 23, 59, 59), "purchase", {"amount": 10})   # last second of a week (Sunday)
    track(p, T(2024, 12, 30, 0, 0, 0), "purchase", {"amount": 10})      # first second of the week holding now
    p = P("v22")
    signup(p, T(2024, 9, 1, 9), "free", "US")
    track(p, T(2024, 9, 30, 23, 59, 59), "purchase", {"amount": 15})    # first order just before `since 2024-10-01`
    track(p, T(2024, 10, 1, 0, 0, 0), "purchase", {"amount": 15})
    track(p, T(2024, 12, 1, 0, 0, 0), "purchase", {"amount": 15})       # first second of December
    p = P("v23")
    signup(p, T(2024, 9, 25, 9), "pro", "GB")
    track(p, T(2024, 10, 1, 0, 0, 0), "purchase", {"amount": 45})       # exactly `since 2024-10-01`
    track(p, T(2024, 10, 14, 0, 0, 0), "purchase", {"amount": 45})
    track(p, T(2024, 12, 31, 23, 59, 59), "purchase", {"amount": 45})


# ----------------------------------------------------------------- filler people

CAMPAIGNS = ["spring", "summer", "autumn", "winter", "brand"]
PATHS = ["/", "/pricing", "/docs", "/checkout", "/blog"]
SOURCES = ["web", "web", "ios", "crm", None]


def filler(i):
    p = P("r%02d" % i, source=R.choice(SOURCES))
    start = T(2023, 9, 1) + dt.timedelta(seconds=R.randint(0, 420 * 86400))
    plan = R.choice(["free", "free", "pro", "enterprise", None])
    country = R.choice(["DE", "FR", "US", "GB", None])
    signup(p, start, plan, country)
    t = start
    for _ in range(R.randint(0, 5)):
        t = t + dt.timedelta(seconds=R.randint(3600, 40 * 86400))
        if t > NOW - DAY:
            break
        kind = R.random()
        ctx = None
        if R.random() < 0.3:
            ctx = {"campaign": {"name": R.choice(CAMPAIGNS), "source": "newsletter"}, "locale": "de-DE"}
        elif R.random() < 0.3:
            ctx = {"locale": R.choice(["en-US", "fr-FR"]), "device": {"type": R.choice(["mobile", "desktop"])}}
        src = R.choice([p.source, p.source, "web", "ios"])
        if kind < 0.35:
            page(p, t, R.choice(PATHS), context=ctx, source=src)
        elif kind < 0.75:
            camp = R.choice(CAMPAIGNS) if R.random() < 0.5 else None
            base = {"campaign": camp} if camp else {}
            track(p, t, "product_viewed", dict(base, category=R.choice(["shoes", "bags"])), context=ctx, source=src)
            if R.random() < 0.7:
                t = t + dt.timedelta(seconds=R.choice([R.randint(60, 3000), R.randint(3601, 90000)]))
                track(p, t, "added_to_cart", dict(base), source=src)
                if R.random() < 0.35:
                    t = t + dt.timedelta(seconds=R.randint(60, 5000))
                    track(p, t, "coupon_applied", {"code": R.choice(["WELCOME10", "SUMMER24"])}, source=src)
                if R.random() < 0.7:
                    t = t + dt.timedelta(seconds=R.choice([R.randint(60, 7200), R.randint(86400, 9 * 86400)]))
                    rev = round(R.uniform(10, 400), 2)
                    props = dict(base, revenue=rev)
                    if R.random() < 0.1:
                        props["revenue"] = "%.2f" % rev
                    track(p, t, "order_completed", props, source=src)
                    if R.random() < 0.5:
                        track(p, t + dt.timedelta(seconds=7), "purchase", {"amount": rev}, source=src)
                    if R.random() < 0.15:
                        track(p, t + dt.timedelta(days=R.randint(1, 9)), "refund",
                              {"amount": -round(rev * R.choice([1, 0.5]), 2)}, source=src)
        elif kind < 0.85:
            track(p, t, "nps", {"score": R.randint(0, 10)}, context=ctx, source=src)
        elif kind < 0.9:
            track(p, t, "referral", {"channel": "email"}, source=src)
        elif kind < 0.95:
            track(p, t, R.choice(["acquisition_cost", "service_cost"]), {"amount": R.choice([5, 7.5, 20])}, source=src)
        else:
            track(p, t, "purchase", {"amount": R.choice([29, 29, 99])}, context=ctx, source=src)


def main():
    funnel_people()
    value_people()
    for i in range(41):
        filler(i)

    messages.sort(key=lambda m: m["_t"])  # stable: same-instant messages keep their order
    n = 0
    lines = []
    order = ["type", "messageId", "timestamp", "userId", "anonymousId", "event", "name", "properties", "traits",
             "context", "source"]
    seen = set()
    for m in messages:
        if "messageId" not in m:
            n += 1
            m["messageId"] = "v%05d" % n
        assert m["messageId"] not in seen, m["messageId"]
        seen.add(m["messageId"])
        m = {k: m[k] for k in order if k in m}
        lines.append(json.dumps(m, ensure_ascii=False, separators=(",", ":")))
    text = "\n".join(lines) + "\n"
    if len(sys.argv) > 1 and sys.argv[1] == "-":
        sys.stdout.write(text)
    else:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "value-seed.ndjson")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("%d messages, %d bytes -> %s" % (len(lines), len(text.encode()), path), file=sys.stderr)


if __name__ == "__main__":
    main()
