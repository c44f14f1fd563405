#!/usr/bin/env python3
"""Writes the RQL fuzzer's seed corpus (rql-seeds/) and token dictionary (rql.dict).

Seeds: every Grammar/examples/*.rql whole and statement by statement, and hostile inputs
(deep nesting, long literals and names, escapes, unicode, many statements, invalid UTF-8).
The dictionary holds every quoted terminal of Grammar/rql.ebnf and the fixture catalogue's
names, so libFuzzer mutates by tokens as well as by bytes. Deterministic: running it again
writes the same files. Run from anywhere: python3 Tests/Fuzz/make-rql-seeds.py
"""
import glob
import hashlib
import json
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEEDS = os.path.join(HERE, "rql-seeds")


def statements(text):
    """The example's statements, cut at `;` ending a line (examples put one there)."""
    parts, current = [], []
    for line in text.splitlines(keepends=True):
        current.append(line)
        if re.search(r";\s*(--.*)?$", line):
            parts.append("".join(current))
            current = []
    if "".join(current).strip():
        parts.append("".join(current))
    return [p.strip() + "\n" for p in parts if re.sub(r"--[^\n]*", "", p).strip()]


def hostile():
    seeds = {}
    def add(name, text):
        seeds[name] = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    add("describe-parens", "describe " + "(" * 3000)
    add("where-parens", "profiles | where " + "(" * 2000 + "true" + ")" * 2000)
    add("where-parens-open", "count profiles where " + "(" * 4000)
    add("not-chain", "count profiles where " + "not " * 1500 + "true")
    add("or-chain", "count profiles where " + " or ".join(f"id = {i}" for i in range(600)))
    add("plus-chain", "profiles | select x = " + " + ".join(str(i) for i in range(1000)))
    add("minus-chain", "profiles | select x = " + "-" * 3000 + "1")
    add("at-repeated", "@ " * 3000)
    add("junk-repeated", "\x1c" * 2000)
    add("escaped-quotes", 'count profiles where company = "' + '\\"' * 4000 + '"')
    add("escaped-quotes-unterminated", 'count profiles where company = "' + '\\"' * 4000)
    add("single-quote-escapes", "count profiles where company = '" + "\\'\\\\\\n\\t" * 800 + "'")
    add("bad-escapes", 'count profiles where company = "' + "\\q\\x\\0\\u{}\\u{D800}\\u{110000}\\u{FFFFFFFFFFFFF}\\u{41" * 60 + '"')
    add("unicode-escapes", 'count profiles where company = "' + "".join(f"\\u{{{c:X}}}" for c in range(0x1F600, 0x1F650)) + '"')
    add("long-string", 'count profiles where company = "' + "x" * 10050 + '"')
    add("long-unicode-name", "profiles | select `" + "é" * 700 + "`")
    add("long-emoji-name", "profiles | select `" + "👩‍👩‍👧‍👦" * 100 + "`")
    add("long-combining-name", "count profiles where `a" + "\u0301" * 2000 + "` = 1")
    add("long-bare-name", "count profiles where " + "a" * 1500 + " = 1")
    add("long-unicode-line", "count profiles where plan = \"" + "日本語" * 700 + "\" and nope = 1")
    add("rtl-and-bom", "\ufeffcount profiles where plan = \"\u202eorp\u202c\"")
    add("huge-number", "count profiles where id > " + "9" * 5000)
    add("huge-decimal", "count profiles where id > 0." + "0" * 3000 + "1")
    add("huge-percent", "set value discount = " + "9" * 400 + "%")
    add("huge-duration", "count profiles where did purchase within " + "9" * 40 + " days")
    add("huge-duration-short", "count profiles where created_at > now - 99999999999999999999y")
    add("huge-limit", "profiles | limit " + "9" * 100 + " offset " + "9" * 100)
    add("funnel-dropped-huge", "funnel fuzz_checkout dropped at " + "9" * 60)
    add("bad-dates", "count events where ts > 2023-02-30 and ts < 0000-00-00 and ts != 9999-99-99T99:99:99.9999999999+99:99")
    add("timestamp-junk", "count events where ts > 2024-01-01T00" + ":" * 500 + "Z" * 500)
    add("many-statements", "show traits;\n" * 400)
    add("many-semicolons", ";" * 5000 + "show traits")
    add("many-stages", "profiles" + " | limit 1" * 300)
    add("many-columns", "profiles | select " + ", ".join(f"c{i} = id" for i in range(400)))
    add("many-group-keys", "profiles | group by " + ", ".join("plan" for _ in range(300)) + " select n = count()")
    add("many-in-values", "count profiles where plan in (" + ", ".join(f'"p{i}"' for i in range(1001)) + ")")
    add("many-problems", "\n".join(f"count profiles where nope{i} = {i}" for i in range(200)))
    add("many-problems-one-line", " ".join(f"count profiles where nope{i} = {i};" for i in range(200)))
    add("regex-nested", 'count profiles where email matches "' + "((a{1,255}){1,255})" * 20 + '"')
    add("regex-junk", 'count profiles where email matches "' + "[[:alpha:]\\\\d*+?{}()|^$" * 100 + '"')
    add("nested-aggregates", "count profiles where count(purchase where " * 200 + "amount > 1" + ")" * 200 + " > 0")
    add("funnel-long", "funnel f = " + " -> ".join(["signup", "optional login"] * 150) + " within 7 days")
    add("segment-self", "segment fuzz_pros = profiles | where in fuzz_pros")
    add("definitions", "segment s = segment fuzz_pros | where in fuzz_pros; metric m = fuzz_spend * 2; show funnel fuzz_checkout by plan since 2024-01-01; describe fuzz_checkout")
    add("explain-deep", "explain analyze " * 300 + "count profiles")
    add("crlf", "profiles\r\n| where plan = \"pro\"\r\n| select id\r\n")
    add("nul-in-strings", "count profiles where plan = \"a\x00b\" and `x\x00y` = 1")
    add("only-comment", "-- nothing here")
    add("empty", "")
    add("whitespace", " \t\r\n" * 100)
    add("invalid-utf8", b"count profiles where plan = \"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\" and `\xe2\x82` = 1")
    add("lone-continuations", b"\x80" * 1000 + b"show traits")
    return seeds


def dictionary():
    grammar = open(os.path.join(ROOT, "Grammar", "rql.ebnf"), encoding="utf-8").read()
    grammar = re.sub(r"\(\*.*?\*\)", "", grammar, flags=re.S)
    words = {w for w in re.findall(r'"([^"\n]+)"', grammar) if " " not in w} | {"'", '"', "`"}
    catalog = json.load(open(os.path.join(ROOT, "Tests", "Fixtures", "query-catalog.json"), encoding="utf-8"))
    for kind, name, _ in catalog:
        if kind == "property":
            event, _, prop = name.rpartition(".")
            words |= {prop, f"{event}.{prop}" if re.fullmatch(r"\w+", event) else f"`{event}`.{prop}"}
        else:
            words.add(name if re.fullmatch(r"\w+", name) else f"`{name}`")
    words |= {"fuzz_pros", "fuzz_spend", "fuzz_checkout", "email", "user_id", "phone", "anonymous_id", "id", "ts",
              "props.", "context.", "created_at", "last_seen", "2024-03-01", "2024-03-01T10:00:00Z", "90 days", "30min",
              "\\u{1F680}", "\\\"", "\\'", "\\\\", "\\n", "((", "))", "--", "\n", " ", "é", "日本"}
    lines = []
    for word in sorted(words):
        escaped = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else
                          ("\\" + c if c in '"\\' else "".join(f"\\x{b:02x}" for b in c.encode())) for c in word)
        lines.append(f'"{escaped}"')
    return "# RQL tokens for libFuzzer's -dict (written by make-rql-seeds.py)\n" + "\n".join(lines) + "\n"


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    os.makedirs(SEEDS)
    count = 0
    for path in sorted(glob.glob(os.path.join(ROOT, "Grammar", "examples", "*.rql"))):
        name = os.path.basename(path)[:-4]
        text = open(path, encoding="utf-8").read()
        with open(os.path.join(SEEDS, f"example-{name}.rql"), "w", encoding="utf-8") as f:
            f.write(text)
        for i, statement in enumerate(statements(text)):
            with open(os.path.join(SEEDS, f"example-{name}-{i:02d}.rql"), "w", encoding="utf-8") as f:
                f.write(statement)
        count += 1
    for name, data in hostile().items():
        with open(os.path.join(SEEDS, f"hostile-{name}.rql"), "wb") as f:
            f.write(data)
    with open(os.path.join(HERE, "rql.dict"), "w", encoding="utf-8") as f:
        f.write(dictionary())
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(SEEDS, "*")))
    print(f"{len(os.listdir(SEEDS))} seeds ({total} bytes) from {count} examples, and rql.dict")


if __name__ == "__main__":
    main()
