#!/usr/bin/env python3
"""Writes Tests/Fixtures/query-seed.ndjson: the seeded tenant of the RQL oracle tests.

Segment-shaped messages (identify, track, page, screen, group, alias), one JSON object a
line, sorted by timestamp. Deterministic: a fixed seed, no clock, python3 stdlib only.

    python3 Tests/Fixtures/make-query-seed.py            # writes the file next to this script
    python3 Tests/Fixtures/make-query-seed.py -          # to standard output

What it exercises (the oracle SQL in Tests/RapportStoreTests/Oracle relies on it):
- traits of several types: text `plan`, `country`, `company`, `first name`, `last name`;
  number `age`, `seats`; boolean `newsletter`; some values of the wrong type (`age: "forty"`,
  `newsletter: "yes"`, `seats: "10"`) that must read as null, a `country: null`, missing traits;
- emails in mixed case and with spaces, people with two emails, phones in several formats;
- anonymous browsing later tied to a user id (attach), second devices and email-only devices
  that merge into an existing profile, an alias, a shared computer (an identity conflict),
  people who never identify;
- events signup, login, product_viewed, added_to_cart, coupon_applied, order_completed,
  purchase (`amount` sometimes a string), refund, nps, referral, `Order Completed` (with a
  space, the old tracking plan), page and screen views, group calls;
- context.locale and context.campaign.{source,medium,name}; unicode and hostile strings;
- window edges relative to the fixed query time 2025-01-01T00:00:00Z: events exactly at it,
  exactly 90 days before it, on the last second of 2024-06-30, a few after it, and two
  purchases of one person at the same instant (ties broken by message id).
"""
import datetime as dt
import json
import os
import random
import sys
import unicodedata

SEED = 20240601
R = random.Random(SEED)
UTC = dt.timezone.utc
START = dt.datetime(2023, 6, 1, 8, 0, 0, tzinfo=UTC)
END = dt.datetime(2024, 12, 31, 22, 0, 0, tzinfo=UTC)
NOW = dt.datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC)
PEOPLE = 155

FIRST = ["Anna", "Ben", "Chloé", "David", "Elif", "François", "Greta", "Hiro", "Ingrid", "José",
         "Jonas", "Julia", "Kenji", "Lena", "Léa", "Mateo", "Nina", "Oskar", "Priya", "Quentin",
         "Renée", "Sofia", "Tomás", "Ümit", "Vera", "Wen", "Yuki", "Zoë", "Sam 🚀", "さくら",
         "D'Arcy", "Jan", "Paul", "Marie", "Lukas", "Emma", "Noah", "Mia", "Felix", "Clara"]
LAST = ["Keller", "Müller", "Dubois", "Tanaka", "Smith", "O'Brien", "García", "Rossi", "Novak",
        "Schmidt", "Martin", "Sato", "Jones", "Weber", "Moreau", "Silva", "Fischer", "Bernard",
        "Suzuki", "Brown", "Wagner", "Petit", "Lopez", "Becker"]
COMPANIES = ["Acme GmbH", "Globex", "Initech", "Umbrella Ltd", "Hooli", "Stark Industries",
             "O'Reilly \"Media\"; DROP TABLE profiles; --", "$1 Dollar Store", "日本商事",
             "Café 😀 Ltd", "Ärzte & Co -- Berlin", "Robert'); DROP TABLE students;--"]
COUNTRIES = [("DE", 25), ("FR", 15), ("US", 20), ("GB", 10), ("JP", 8), ("ES", 7), ("AT", 5),
             ("CH", 4), ("BR", 3), (None, 3)]
LOCALES = {"DE": "de-DE", "FR": "fr-FR", "US": "en-US", "GB": "en-GB", "JP": "ja-JP", "ES": "es-ES",
           "AT": "de-AT", "CH": "de-CH", "BR": "pt-BR", None: "en-US"}
CAMPAIGNS = [("newsletter", "email", "spring-sale"), ("google", "cpc", "brand"),
             ("facebook", "social", "lookalike"), ("partner", "referral", "partner-q3"),
             ("newsletter", "email", "black-friday")]
PAGES = [("Home", "/"), ("Pricing", "/pricing"), ("Docs", "/docs"), ("Blog", "/blog"),
         ("Checkout", "/checkout"), ("Über uns", "/about"), ("日本語ガイド", "/ja/guide")]
SCREENS = ["Dashboard", "Settings", "Cart"]
SKUS = [("SKU-001", "shoes", 89.0), ("SKU-002", "bags", 129.5), ("SKU-003", "Café & Co", 12.9),
        ("SKU-004", "日本茶", 24.0), ("SKU-005", "gifts 🎁", 45.0), ("SKU-006", "shoes", 59.9)]
COUPONS = [("WELCOME10", 10), ("SUMMER24", 15), ("$1OFF", 1), ("'; DROP TABLE coupons--", 5),
           ("BLACK\"FRIDAY", 30)]
COMMENTS = ["Great app!\nWould recommend", "Très bien 👍", "遅い", "ok; -- $1", "Too expensive",
            "Support was \"meh\"", "Love it\tthanks"]
REASONS = ["damaged", "trop petit", "サイズ違い", "wrong size; \"--\"", "changed my mind"]

messages = []


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(kind, when, uid=None, anon=None, **fields):
    m = {"type": kind, "timestamp": iso(when)}
    if uid is not None:
        m["userId"] = uid
    if anon is not None:
        m["anonymousId"] = anon
    m.update(fields)
    messages.append(m)
    return m


def weighted(pairs):
    total = sum(w for _, w in pairs)
    x = R.uniform(0, total)
    for value, w in pairs:
        x -= w
        if x <= 0:
            return value
    return pairs[-1][0]


def between(a, b):
    """A random second between a and b."""
    span = int((b - a).total_seconds())
    return a + dt.timedelta(seconds=R.randint(0, max(span, 0)))


def ascii_name(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if c.isascii() and (c.isalnum()))
    return s.lower()


def device(prefix):
    return "%s-%08x" % (prefix, R.getrandbits(32))


def money(lo, hi):
    return round(R.uniform(lo, hi), 2)


class Person:
    pass


def make_person(i):
    p = Person()
    p.i = i
    p.kind = weighted([("user", 80), ("emailonly", 9), ("anon", 11)])
    p.first = R.choice(FIRST)
    p.last = R.choice(LAST)
    p.country = weighted(COUNTRIES)
    p.locale = LOCALES[p.country]
    p.platform = weighted([("web", 60), ("ios", 25), ("and", 15)])
    p.d1 = device(p.platform)
    p.uid = "u-%04d" % i if p.kind == "user" else None
    local = ascii_name(p.first) or "user%d" % i
    p.email = "%s.%s%d@%s" % (local, ascii_name(p.last), i,
                              R.choice(["example.com", "example.com", "mail.example.org", "shop.example.net"]))
    p.plan = weighted([("free", 45), ("pro", 35), ("enterprise", 15), (None, 5)])
    # Signups skew towards the last year, so that recent windows are well filled.
    if R.random() < 0.45:
        p.signup = between(START + dt.timedelta(days=1), dt.datetime(2024, 1, 1, tzinfo=UTC))
    else:
        p.signup = between(dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 12, 15, tzinfo=UTC))
    churned = R.random() < 0.3
    p.end = min(END, p.signup + dt.timedelta(days=R.randint(15, 300))) if churned else END
    p.sessions = R.randint(1, 6)
    return p


def traits_of(p):
    t = {}
    raw = p.email
    style = R.random()
    if style < 0.2:
        raw = "  " + raw.title() + " "
    elif style < 0.35:
        raw = raw.upper()
    t["email"] = raw
    t["first name"] = p.first
    t["last name"] = p.last
    if p.plan is not None:
        t["plan"] = p.plan
    if p.country is not None or R.random() < 0.5:
        t["country"] = p.country
    r = R.random()
    if r < 0.70:
        t["age"] = R.randint(18, 72)
    elif r < 0.75:
        t["age"] = R.choice(["forty", "35", "n/a"])
    if p.plan in ("pro", "enterprise"):
        r = R.random()
        if r < 0.07:
            t["seats"] = R.choice(["10", "many"])
        elif r < 0.12:
            t["seats"] = 0
        else:
            t["seats"] = R.randint(1, 12) if p.plan == "pro" else R.randint(10, 250)
        t["company"] = R.choice(COMPANIES)
    r = R.random()
    if r < 0.6:
        t["newsletter"] = R.random() < 0.55
    elif r < 0.65:
        t["newsletter"] = R.choice(["yes", "no"])
    if R.random() < 0.3:
        digits = "%04d" % p.i
        t["phone"] = R.choice(["+49 30 555%s" % digits, "+49 (30) 555-%s" % digits, "+4930555%s" % digits])
        p.phone = t["phone"]
    return t


def context(p, campaign=False):
    c = {"locale": p.locale}
    if campaign:
        s, m, n = R.choice(CAMPAIGNS)
        c["campaign"] = {"source": s, "medium": m, "name": n}
    return c


def view(p, when, uid, anon):
    if p.platform == "web" or anon is None or R.random() < 0.3:
        name, path = R.choice(PAGES)
        fields = {"name": name}
        if R.random() < 0.4:
            fields["properties"] = {"path": path}
        if R.random() < 0.2:
            fields["context"] = context(p, campaign=R.random() < 0.4)
        add("page", when, uid, anon, **fields)
    else:
        add("screen", when, uid, anon, name=R.choice(SCREENS))


def purchase(p, when, uid, anon, amount, currency, items):
    props = {"amount": amount, "currency": currency, "items": items}
    if R.random() < 0.06:
        props["amount"] = "%.2f" % amount  # a string: reads as null
    return add("track", when, uid, anon, event="purchase", properties=props)


def checkout(p, when, uid, anon):
    sku, category, price = R.choice(SKUS)
    props = {"sku": sku, "category": category, "price": price} if R.random() < 0.5 else {"sku": sku, "price": price}
    add("track", when, uid, anon, event="product_viewed", properties=props)
    if R.random() < 0.45:
        return
    when = when + dt.timedelta(minutes=R.randint(1, 600) if R.random() < 0.85 else R.randint(1500, 3000))
    qty = R.randint(1, 3)
    add("track", when, uid, anon, event="added_to_cart", properties={"sku": sku, "price": price, "quantity": qty})
    if R.random() < 0.3:
        return
    discount = 0
    if R.random() < 0.35:
        code, discount = R.choice(COUPONS)
        when = when + dt.timedelta(minutes=R.randint(1, 30))
        add("track", when, uid, anon, event="coupon_applied", properties={"code": code, "discount": discount})
    when = when + dt.timedelta(minutes=R.randint(2, 60) if R.random() < 0.85 else R.randint(60 * 24 * 2, 60 * 24 * 9))
    amount = round(price * qty * (100 - discount) / 100, 2)
    currency = "JPY" if p.country == "JP" else ("USD" if p.country in ("US", "BR") else "EUR")
    order = "o-%05d" % R.randint(0, 99999)
    event = "Order Completed" if when < dt.datetime(2023, 10, 1, tzinfo=UTC) else "order_completed"
    add("track", when, uid, anon, event=event, properties={"order_id": order, "amount": amount, "currency": currency})
    purchase(p, when + dt.timedelta(seconds=5), uid, anon, amount, currency, qty)
    if R.random() < 0.12:
        refund_at = when + dt.timedelta(days=R.randint(1, 20))
        refund = R.choice([amount, round(amount / 2, 2), 0])
        add("track", refund_at, uid, anon, event="refund", properties={"order_id": order, "amount": refund, "reason": R.choice(REASONS)})


def live(p):
    """A person's messages."""
    anon_only = p.kind == "anon"
    uid = p.uid
    # Before signing up: anonymous browsing on the first device (attached later), or on an
    # other device that only an alias ties back.
    pre = max(START, p.signup - dt.timedelta(days=R.randint(1, 20)))
    if anon_only or R.random() < 0.4:
        for _ in range(R.randint(1, 3)):
            view(p, between(pre, p.signup - dt.timedelta(minutes=5)), None, p.d1)
        if R.random() < 0.3:
            sku, category, price = R.choice(SKUS)
            add("track", between(pre, p.signup - dt.timedelta(minutes=5)), None, p.d1, event="product_viewed",
                properties={"sku": sku, "category": category, "price": price})
    if anon_only:
        for _ in range(R.randint(0, 4)):
            view(p, between(p.signup, p.end), None, p.d1)
        return
    alias_device = None
    if p.kind == "user" and R.random() < 0.05:
        alias_device = device("web")
        for _ in range(2):
            view(p, between(pre, p.signup - dt.timedelta(minutes=5)), None, alias_device)
    # Sign up.
    p.phone = None
    traits = traits_of(p)
    add("identify", p.signup, uid, p.d1, traits=traits)
    if p.kind == "user":
        add("track", p.signup + dt.timedelta(seconds=30), uid, p.d1, event="signup",
            properties={"method": R.choice(["email", "google", "apple"])}, context=context(p, campaign=R.random() < 0.45))
    if alias_device:
        add("alias", p.signup + dt.timedelta(minutes=2), uid, None, previousId=alias_device)
    if p.plan == "enterprise" and uid:
        add("group", p.signup + dt.timedelta(minutes=3), uid, None, groupId="org-%02d" % (p.i % 17),
            traits={"name": traits.get("company", "Acme GmbH"), "plan": "enterprise"})

    def who():
        if uid is None:
            return None, p.d1
        return (uid, p.d1) if R.random() < 0.3 else (uid, None)

    # Sessions between signup and the end of activity.
    times = sorted(between(p.signup + dt.timedelta(hours=1), p.end) for _ in range(p.sessions))
    for t in times:
        u, a = who()
        if u:
            props = {"method": R.choice(["password", "google", "sso"])} if R.random() < 0.5 else {}
            add("track", t, u, a, event="login", properties=props)
        if R.random() < 0.6:
            view(p, t + dt.timedelta(minutes=R.randint(1, 20)), u, a)
        if R.random() < 0.55:
            checkout(p, t + dt.timedelta(minutes=R.randint(20, 40)), u, a)
    # Subscription payments of paying plans.
    if p.plan in ("pro", "enterprise") and uid:
        months = R.randint(1, 6)
        first = p.signup + dt.timedelta(days=R.randint(1, 30))
        for k in range(months):
            t = first + dt.timedelta(days=30 * k * R.randint(1, 2))
            if t > p.end:
                break
            purchase(p, t, uid, None, 29.0 if p.plan == "pro" else money(200, 900), "EUR", 1)
    # Opinions.
    if R.random() < 0.4:
        for _ in range(R.randint(1, 3)):
            props = {"score": R.randint(0, 10)}
            if R.random() < 0.5:
                props["comment"] = R.choice(COMMENTS)
            u, a = who()
            add("track", between(p.signup, p.end), u, a, event="nps", properties=props)
    if R.random() < 0.15:
        u, a = who()
        add("track", between(p.signup, p.end), u, a, event="referral",
            properties={"channel": R.choice(["email", "link", "whatsapp"]), "invitee": "friend%d@example.com" % R.randint(1, 999)})
    # Later: a changed plan, a second (work) email, newsletter opt-out, a re-sent phone.
    if R.random() < 0.3:
        t = between(p.signup + dt.timedelta(days=1), max(p.end, p.signup + dt.timedelta(days=2)))
        update = {}
        if p.plan == "free" and R.random() < 0.5:
            update["plan"] = "pro"
            update["seats"] = R.randint(1, 5)
        if R.random() < 0.35:
            update["email"] = "%s@work.example.net" % (ascii_name(p.first) + str(p.i))
        if R.random() < 0.3:
            update["newsletter"] = False
        if p.phone and R.random() < 0.5:
            update["phone"] = "0049-30-555-%04d" % p.i  # another format: a different number (leading zeros)
        if update:
            add("identify", t, uid, None if uid else p.d1, traits=update)
    # A second device, anonymous first, then signed in: the two profiles merge.
    if p.kind == "user" and R.random() < 0.15 and (p.end - p.signup).days > 10:
        d2 = device(R.choice(["ios", "web", "and"]))
        t = between(p.signup + dt.timedelta(days=2), p.end - dt.timedelta(days=3))
        for k in range(R.randint(1, 3)):
            view(p, t + dt.timedelta(minutes=k * 7), None, d2)
        add("identify", t + dt.timedelta(minutes=30), uid, d2, traits={"newsletter": True} if R.random() < 0.5 else {})
        add("track", t + dt.timedelta(minutes=31), uid, d2, event="login", properties={"method": "password"})
    # A device that only gives the email (in any case, with spaces): merges by email.
    if R.random() < 0.06 and (p.end - p.signup).days > 10:
        d3 = device("web")
        t = between(p.signup + dt.timedelta(days=2), p.end - dt.timedelta(days=3))
        view(p, t, None, d3)
        add("identify", t + dt.timedelta(minutes=4), None, d3, traits={"email": " " + p.email.upper() + " "})


def main():
    people = [make_person(i) for i in range(PEOPLE)]
    for p in people:
        live(p)
    users = [p for p in people if p.kind == "user"]
    buyers = [p for p in users if p.plan in ("pro", "enterprise")]

    # A shared computer: a second user signs in on the first one's device (a conflict, no merge).
    a, b = users[3], users[4]
    add("identify", max(a.signup, b.signup) + dt.timedelta(days=3), b.uid, a.d1, traits={"plan": b.plan or "free"})

    # Blocked anonymous ids never identify anyone.
    add("track", users[5].signup + dt.timedelta(days=1), users[5].uid, "undefined", event="login",
        properties={"method": "password"})

    # Window edges, relative to the query time 2025-01-01T00:00:00Z.
    active = [p for p in users if p.end == END and p.signup < dt.datetime(2024, 5, 1, tzinfo=UTC)]
    edge = active[:12]
    add("track", NOW, edge[0].uid, None, event="login", properties={"method": "sso"})
    add("track", NOW - dt.timedelta(minutes=20), edge[1].uid, None, event="login", properties={"method": "password"})
    add("track", NOW - dt.timedelta(minutes=45), edge[2].uid, None, event="login", properties={"method": "google"})
    add("track", NOW - dt.timedelta(hours=10), edge[3].uid, None, event="login", properties={"method": "password"})
    add("track", NOW - dt.timedelta(days=90), edge[4].uid, None, event="purchase",
        properties={"amount": 120.0, "currency": "EUR", "items": 2})
    add("track", NOW - dt.timedelta(days=90, seconds=1), edge[5].uid, None, event="purchase",
        properties={"amount": 75.5, "currency": "EUR", "items": 1})
    add("track", dt.datetime(2024, 6, 30, 23, 59, 59, tzinfo=UTC), edge[6].uid, None, event="nps",
        properties={"score": 10, "comment": "Parfait, merci !"})
    add("track", dt.datetime(2024, 7, 1, 0, 0, 0, tzinfo=UTC), edge[7].uid, None, event="nps", properties={"score": 2})
    add("track", dt.datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC), edge[8].uid, None, event="nps", properties={"score": 7})
    # After the query time: outside every `within`, inside `since`.
    for k, p in enumerate(active[12:24]):
        t = NOW + dt.timedelta(days=1 + k, hours=k)
        add("track", t, p.uid, None, event="login", properties={"method": "password"})
        if k % 3 == 0:
            purchase(p, t + dt.timedelta(minutes=10), p.uid, None, money(20, 200), "EUR", 1)
    # Two purchases of one person at the same instant, before any other of theirs: the
    # smaller message id is the first one, though it comes second in the file.
    tie = buyers[0]
    at = tie.signup + dt.timedelta(hours=2)
    add("track", at, tie.uid, None, event="purchase", properties={"amount": 10.0, "currency": "EUR", "items": 1})["messageId"] = "m-tie-b"
    add("track", at, tie.uid, None, event="purchase", properties={"amount": 99.0, "currency": "EUR", "items": 3})["messageId"] = "m-tie-a"

    messages.sort(key=lambda m: m["timestamp"])  # stable: same-instant messages keep their order
    n = 0
    lines = []
    order = ["type", "messageId", "timestamp", "userId", "anonymousId", "event", "name", "groupId", "previousId",
             "properties", "traits", "context"]
    for m in messages:
        if "messageId" not in m:
            n += 1
            m["messageId"] = "m%05d" % n
        m = {k: m[k] for k in order if k in m}
        lines.append(json.dumps(m, ensure_ascii=False, separators=(",", ":")))
    text = "\n".join(lines) + "\n"
    if len(sys.argv) > 1 and sys.argv[1] == "-":
        sys.stdout.write(text)
    else:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "query-seed.ndjson")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print("%d messages, %d bytes -> %s" % (len(lines), len(text.encode()), path), file=sys.stderr)


if __name__ == "__main__":
    main()
