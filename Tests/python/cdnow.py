#!/usr/bin/env python3
"""The CDNOW purchase history as Segment events, and the answers Rapport must give about it.

    cdnow.py CDNOW_master.txt OUTDIR

CDNOW_master.txt is the copy the PyPI package `lifetimes` ships (scripts/setup-machine puts it
in .venv/share/): a header line, then one purchase a line, whitespace separated: customer id
(zero-padded, as text), date YYYYMMDD, number of CDs, dollar value (two decimals).

Writes
- OUTDIR/cdnow.ndjson: one track message per data line, `Order Completed` with
  properties.revenue (the dollar value, as written) and properties.quantity (the CDs);
  messageId `cdnow-<line number in the file>` (the header is line 1), so lines that repeat
  each other exactly stay separate events; userId the customer id as written (`00001`).
- OUTDIR/expected.json: what Grammar/README.md ("Customer value", "Reports") says Rapport
  answers with now = 1998-07-01T00:00:00Z and the default value settings (revenue =
  `Order Completed`.revenue, no costs, 0% discount, tiers 10%, 16%, 35%, 20%), computed
  straight from the file with exact decimals. Numbers that may be fractional are strings.

Standard library only.
"""

import json
import re
import sys
from collections import Counter
from decimal import Decimal, localcontext
from pathlib import Path

NOW_YEAR, NOW_MONTH = 1998, 7  # now = 1998-07-01T00:00:00Z: the period holding it is July 1998
TIER_NAMES = ["platinum", "gold", "silver", "bronze", "lead"]
TIER_SHARES = [Decimal("0.10"), Decimal("0.16"), Decimal("0.35"), Decimal("0.20")]
# Ratios (share, value_share, retention) are written with this many decimals; the test
# compares them within a tolerance far above this rounding.
RATIO_PLACES = Decimal("1e-24")

ID = re.compile(r"^[0-9]+$")
DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
COUNT = re.compile(r"^[1-9][0-9]*$")
MONEY = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]+$")


def fail(message):
    sys.exit(f"cdnow.py: {message}")


def text(d):
    """A Decimal as plain decimal text (never exponent notation)."""
    return format(d, "f")


def ratio(a, b):
    if b == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        return text((Decimal(a) / Decimal(b)).quantize(RATIO_PLACES))


def iso(date):
    return None if date is None else f"{date[0:4]}-{date[4:6]}-{date[6:8]}T00:00:00Z"


def month_index(date):
    return int(date[0:4]) * 12 + int(date[4:6]) - 1


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, outdir = Path(sys.argv[1]), Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    lines = source.read_bytes().decode("ascii").splitlines()
    if not lines or lines[0].split() != ["customer_id", "date", "number_of_cds", "dollar_value"]:
        fail(f"{source} does not start with the CDNOW header line")

    # Customers in order of first appearance: the order the importer creates their profiles.
    customers = {}
    purchases = []  # (line number, customer, date, cds, value text)
    with open(outdir / "cdnow.ndjson", "w", encoding="ascii", newline="\n") as out:
        for number, line in enumerate(lines[1:], start=2):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 4:
                fail(f"line {number}: expected 4 fields, got {line!r}")
            customer, date, cds, value = fields
            match = DATE.match(date)
            if not (ID.match(customer) and match and COUNT.match(cds) and MONEY.match(value)):
                fail(f"line {number}: cannot read {line!r}")
            month, day = int(match.group(2)), int(match.group(3))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                fail(f"line {number}: bad date {date}")
            customers.setdefault(customer, len(customers))
            purchases.append((number, customer, date, cds, value))
            # Built by hand so the revenue is the file's own digits ("12.00" stays 12.00).
            out.write(
                '{"type":"track","messageId":%s,"userId":%s,"event":"Order Completed","timestamp":%s,'
                '"properties":{"revenue":%s,"quantity":%s}}\n'
                % (json.dumps(f"cdnow-{number}"), json.dumps(customer), json.dumps(iso(date)), value, cds))

    # Per customer: every line is a revenue event; an order is one with a value above 0.
    stats = {c: {"orders": 0, "revenue": Decimal(0), "first_order": None, "last_order": None, "months": set()}
             for c in customers}
    for _, customer, date, _, value in purchases:
        s = stats[customer]
        amount = Decimal(value)
        s["revenue"] += amount
        if amount > 0:
            s["orders"] += 1
            s["first_order"] = date if s["first_order"] is None else min(s["first_order"], date)
            s["last_order"] = date if s["last_order"] is None else max(s["last_order"], date)
            s["months"].add(month_index(date))

    ordered = sorted(customers, key=customers.get)
    n = len(ordered)
    total = sum((stats[c]["revenue"] for c in ordered), Decimal(0))

    # Tiers: clv = revenue (no costs, 0% discount); rank by clv descending, ties by profile
    # id, which follows first appearance in the file.
    ranked = sorted(ordered, key=lambda c: (-stats[c]["revenue"], customers[c]))
    bounds, cumulative = [], Decimal(0)
    for share in TIER_SHARES:
        cumulative += share
        bounds.append(cumulative * n)  # exact: rank r is in tier k when r - 1 < bounds[k]
    members = {name: [] for name in TIER_NAMES}
    tier_of = {}
    for r, customer in enumerate(ranked, start=1):
        k = next((k for k, bound in enumerate(bounds) if r - 1 < bound), len(bounds))
        members[TIER_NAMES[k]].append(stats[customer]["revenue"])
        tier_of[customer] = TIER_NAMES[k]
    tiers = []
    for name in TIER_NAMES:
        values = members[name]
        value = sum(values, Decimal(0))
        tiers.append({
            "tier": name,
            "profiles": len(values),
            "share": ratio(len(values), n),
            "value": text(value),
            "value_share": ratio(value, total),
            "min_clv": text(min(values)) if values else None,
            "max_clv": text(max(values)) if values else None,
        })

    # Retention by month: cohorts by the month of the first order (customers: orders >= 1);
    # periods 0 … the month holding now. Only months where someone first ordered are cohorts.
    now_index = NOW_YEAR * 12 + NOW_MONTH - 1
    cohorts = {}
    for c in ordered:
        if stats[c]["first_order"] is not None:
            cohorts.setdefault(month_index(stats[c]["first_order"]), []).append(c)
    retention = []
    for start in sorted(cohorts):
        people = cohorts[start]
        for period in range(0, now_index - start + 1):
            active = sum(1 for c in people if start + period in stats[c]["months"])
            retention.append({
                "cohort": f"{start // 12:04d}-{start % 12 + 1:02d}-01T00:00:00Z",
                "period": period,
                "customers": len(people),
                "active": active,
                "retention": ratio(active, len(people)),
            })

    line_counts = Counter((customer, date, cds, value) for _, customer, date, cds, value in purchases)
    expected = {
        "now": "1998-07-01T00:00:00Z",
        "lines": len(purchases),
        "profiles": n,
        "customers_with_orders": sum(1 for c in ordered if stats[c]["orders"] > 0),
        "orders": sum(stats[c]["orders"] for c in ordered),
        "revenue": text(total),
        "zero_value_lines": sum(1 for p in purchases if Decimal(p[4]) == 0),
        "repeated_lines": sum(k - 1 for k in line_counts.values() if k > 1),
        "platinum": len(members["platinum"]),
        # In order of first appearance, i.e. of profile id.
        "customers": [
            {
                "user_id": c,
                "orders": stats[c]["orders"],
                "revenue": text(stats[c]["revenue"]),
                "first_order": iso(stats[c]["first_order"]),
                "last_order": iso(stats[c]["last_order"]),
                "tier": tier_of[c],
            }
            for c in ordered
        ],
        "tiers": tiers,
        "retention": retention,
    }
    with open(outdir / "expected.json", "w", encoding="ascii") as out:
        json.dump(expected, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
