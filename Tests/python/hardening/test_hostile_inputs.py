"""Hostile inputs on every route that reads a body, from outside: a table of
(route, method, who, headers, body bytes, expected status[, expected error code]).

Ingestion (`/v1/identify|track|page|screen|group|alias|batch|import`, the write key as HTTP
Basic user name) and every JSON route (operator tenants, keys and identity; the tenant's keys,
identity settings, profile unmerge, query, query/validate, query/cancel, privacy requests and
settings) get: invalid UTF-8 in every string field, NUL characters (raw and escaped), impossible
dates, wrong types, 10,000-deep JSON, huge numbers, lenient JSON (trailing commas, invalid
escapes, leading zeros, raw control characters, NaN, comments, …), truncated and oversized
gzip, and bodies over the limits. Every error must be JSON `{"error": {"code", "message"}}`,
never a 5xx; after every refused ingestion, the tenant's events, profiles and identities are
counted as superuser and must not have changed.

Then RQL through `POST /v1/query`: a 49,000-token flood, escaped quotes, deep parentheses,
1,665 columns, old-dated retention against the row cap, and a sample of fuzzed token soups.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest

from hardening_support import REPO, Answer, Rapport, Tenant, error_shape_problem, expect_error

HOLE = "__HOSTILE__"
_HOLE_JSON = json.dumps(HOLE).encode()
COUNTER = itertools.count(1)


def fill(template: Any, raw: bytes) -> bytes:
    """`template` as JSON with the string HOLE (a value or a member name) replaced by the raw bytes `raw`."""
    text = json.dumps(template, ensure_ascii=False).encode()
    assert text.count(_HOLE_JSON) == 1, template
    return text.replace(_HOLE_JSON, raw)


def with_hole(base: dict, path: tuple, as_key: bool = False) -> dict:
    """A deep copy of `base` with the value at `path` (or, with `as_key`, a member name under it) set to HOLE."""
    copy = json.loads(json.dumps(base))
    target = copy
    for part in path[:-1]:
        target = target[part]
    if as_key:
        target.setdefault(path[-1], {})
        target[path[-1]] = {**target[path[-1]], HOLE: 1}
    else:
        target[path[-1]] = HOLE
    return copy


def describe(raw: bytes) -> str:
    text = raw.decode("latin-1")
    text = re.sub(r"[^\x20-\x7e]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= 40 else text[:37] + "…"


# --------------------------------------------------------------------------------------------
# The hostile tenant


@pytest.fixture(scope="module")
def h(rapport: Rapport) -> Tenant:
    """A tenant of this file's own, so that counting its rows sees only what these tests sent."""
    tenant = rapport.create_tenant(f"hh_{rapport.run_id}", name="Hostile inputs")
    rapport.ingest(tenant, [
        {"type": "identify", "userId": "h-seed", "traits": {"email": "seed@example.com", "plan": "pro"}},
        {"type": "track", "userId": "h-seed", "event": "Order Completed", "properties": {"revenue": 5}},
    ])
    return tenant


def post_ingest(rapport: Rapport, tenant: Tenant, route: str, body: bytes, headers: dict | None = None) -> Answer:
    return rapport.client.post(f"/v1/{route}", basic=tenant.keys["ingest"], body=body, headers=headers)


def assert_refused_and_nothing_stored(rapport: Rapport, tenant: Tenant, route: str, body: bytes,
                                      status: int | set[int] = 400, code: str | set[str] | None = "invalid-message",
                                      headers: dict | None = None) -> Answer:
    before = rapport.db.counts(tenant.slug)
    answer = post_ingest(rapport, tenant, route, body, headers)
    after = rapport.db.counts(tenant.slug)
    log = "\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id")) if answer.status >= 500 else ""
    expect_error(answer, status, code, log=log)
    assert after == before, f"a refused message left rows behind: {before} -> {after}; {answer.short()}"
    return answer


# --------------------------------------------------------------------------------------------
# Ingestion corpus


def base_message(kind: str) -> dict:
    n = next(COUNTER)
    message = {
        "userId": f"hu-{n}", "anonymousId": f"ha-{n}", "messageId": f"hm-{n}",
        "context": {"ip": "10.0.0.1", "locale": "de-DE"}, "timestamp": "2024-01-02T03:04:05Z",
    }
    if kind in ("identify", "group"):
        message["traits"] = {"plan": "pro", "email": f"h{n}@example.com"}
    if kind in ("track", "page", "screen"):
        message["properties"] = {"path": "/x", "revenue": 3}
    if kind == "track":
        message["event"] = "Hostile Probe"
    if kind in ("page", "screen"):
        message["name"] = "Home"
    if kind == "group":
        message["groupId"] = f"hg-{n}"
    if kind == "alias":
        message["previousId"] = f"hp-{n}"
    return message


def without_timestamp(message: dict, field: str) -> dict:
    """`originalTimestamp` is Segment's name for `timestamp`, read when `timestamp` is absent."""
    if field == "originalTimestamp":
        message.pop("timestamp", None)
    return message


ROUTES = ["identify", "track", "page", "screen", "group", "alias", "batch", "import"]
SINGLE = ROUTES[:6]


def route_body(route: str, message: dict) -> dict:
    """The body for `route` carrying `message` (a batch of one for batch and import)."""
    if route in ("batch", "import"):
        return {"batch": [{"type": "track", **message}]}
    return message


def string_fields(kind: str) -> list[tuple[tuple, bool]]:
    """(path, as_key) of every string a message of `kind` carries."""
    fields = [(("userId",), False), (("anonymousId",), False), (("messageId",), False),
              (("context", "ip"), False), (("context",), True)]
    payload = "traits" if kind in ("identify", "group") else "properties" if kind in ("track", "page", "screen") else None
    if payload:
        fields += [((payload, "plan" if payload == "traits" else "path"), False), ((payload,), True)]
    fields += {"track": [(("event",), False)], "page": [(("name",), False)], "screen": [(("name",), False)],
               "group": [(("groupId",), False)], "alias": [(("previousId",), False)]}.get(kind, [])
    return fields


INVALID_UTF8 = [
    b'"x-\xff"',              # a byte that is never UTF-8
    b'"x-\xc0\xaf"',          # an overlong encoding of `/`
    b'"x-\xed\xa0\x80"',      # an encoded surrogate (CESU-8)
    b'"x-\xe2\x82"',          # a truncated sequence
]
NUL_AND_CONTROL = [
    (b'"x\\u0000y"', "escaped NUL"),
    (b'"x\x00y"', "raw NUL"),
    (b'"x\x01y"', "raw control character"),
    (b'"x\ny"', "raw newline"),
    (b'"x\\qy"', "invalid escape"),
    (b'"x\\u12"', "short unicode escape"),
]
IMPOSSIBLE_DATES = [b'"2023-02-30T10:00:00Z"', b'"2024-04-31T23:59:60Z"', b'"2023-02-29"', b'"2023-02-29T00:00:00Z"',
                    b'"2023-13-01T00:00:00Z"', b'"2023-06-31"']


def ingest_cases() -> list:
    cases = []
    for route in ROUTES:
        kind = route if route in SINGLE else "track"
        for path, as_key in string_fields(kind):
            name = ".".join(path) + ("{key}" if as_key else "")
            for raw in INVALID_UTF8:
                cases.append(pytest.param(route, kind, path, as_key, raw, id=f"{route}-{name}-utf8:{describe(raw)}"))
            for raw, label in NUL_AND_CONTROL:
                cases.append(pytest.param(route, kind, path, as_key, raw, id=f"{route}-{name}-{label}"))
        for field in ("timestamp", "sentAt", "originalTimestamp"):
            for raw in IMPOSSIBLE_DATES:
                cases.append(pytest.param(route, kind, (field,), False, raw, id=f"{route}-{field}-date:{describe(raw)}"))
    return cases


@pytest.mark.parametrize("route,kind,path,as_key,raw", ingest_cases())
def test_ingestion_refuses_bad_text(rapport: Rapport, h: Tenant, route: str, kind: str, path: tuple, as_key: bool, raw: bytes) -> None:
    message = with_hole(without_timestamp(base_message(kind), path[0]), path, as_key)
    assert_refused_and_nothing_stored(rapport, h, route, fill(route_body(route, message), raw))


WRONG_TYPES: dict[str, list[bytes]] = {
    "userId": [b"{}", b"[]", b"true", b'["u"]'],
    "anonymousId": [b"{}", b"[]", b"false"],
    "messageId": [b"{}", b"[]", b"true", b'""'],
    "event": [b"{}", b"[]", b"5", b"true", b'""'],
    "name": [b"{}", b"[]", b"true"],
    "groupId": [b"{}", b"[]", b"true"],
    "previousId": [b"{}", b"[]", b"true"],
    "traits": [b'"pro"', b"[1]", b"5", b"true"],
    "properties": [b'"x"', b"[1]", b"5", b"true"],
    "context": [b'"x"', b"[1]", b"5"],
    "timestamp": [b"1700000000", b"{}", b"[]", b"true", b'"yesterday"', b'"2024-01-02T25:00:00Z"'],
    "sentAt": [b"1700000000", b"{}", b'"now"'],
    "originalTimestamp": [b"1700000000", b"[]"],
}


def wrong_type_cases() -> list:
    cases = []
    for route in ROUTES:
        kind = route if route in SINGLE else "track"
        present = set(base_message(kind)) | {"sentAt", "originalTimestamp"}
        for field, values in WRONG_TYPES.items():
            if field not in present:
                continue
            for raw in values:
                cases.append(pytest.param(route, kind, field, raw, id=f"{route}-{field}={describe(raw)}"))
    return cases


@pytest.mark.parametrize("route,kind,field,raw", wrong_type_cases())
def test_ingestion_refuses_wrong_types(rapport: Rapport, h: Tenant, route: str, kind: str, field: str, raw: bytes) -> None:
    message = with_hole(without_timestamp(base_message(kind), field), (field,))
    assert_refused_and_nothing_stored(rapport, h, route, fill(route_body(route, message), raw))


DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def whole_body_cases() -> list:
    """(route, body, label): bodies bad as a whole, for every ingestion route."""
    cases = []
    for route in ROUTES:
        kind = route if route in SINGLE else "track"

        def body(raw: bytes, path: tuple = ("properties" if kind in ("track", "page", "screen") else "context",), key=False):
            return fill(route_body(route, with_hole(base_message(kind), path, key)), raw)

        valid = json.dumps(route_body(route, base_message(kind))).encode()
        variants = [
            (DEEP, "deep array body"),
            (DEEP_OBJECT, "deep object body"),
            (body(b'{"deep":' + DEEP + b"}"), "deep value"),
            (body(b'{"n":1e999999}'), "1e999999"),
            (body(b'{"n":-1e999999}'), "-1e999999"),
            (valid[:-1] + b",}", "trailing comma"),
            (body(b'{"a":[1,2,]}'), "trailing comma in array"),
            (body(b'{"n":01}'), "leading zero"),
            (body(b'{"n":NaN}'), "NaN"),
            (body(b'{"n":Infinity}'), "Infinity"),
            (body(b'{"n":+1}'), "plus sign"),
            (body(b'{"n":0x10}'), "hex number"),
            (body(b'{"n":1.}'), "bare decimal point"),
            (body(b"{'n':'x'}"), "single quotes"),
            (body(b'{n:1}'), "unquoted key"),
            (b"{/* c */" + valid[1:], "comment"),
            (valid + b" x", "trailing garbage"),
            (valid + valid, "two documents"),
            (valid[:-1], "unterminated"),
            (b"", "empty body"),
            (b"[]", "array body"),
            (b'"x"', "string body"),
            (b"null", "null body"),
        ]
        if route in ("batch", "import"):
            good = {"type": "track", "userId": f"hb-{next(COUNTER)}", "event": "Fine"}
            variants += [
                (json.dumps({"batch": {}}).encode(), "batch is an object"),
                (json.dumps({"batch": "x"}).encode(), "batch is a text"),
                (json.dumps({"batch": None}).encode(), "batch is null"),
                (json.dumps({"batch": [5]}).encode(), "batch item is a number"),
                (json.dumps({"batch": [{**good, "type": 5}]}).encode(), "type is a number"),
                (json.dumps({"batch": [{**good, "type": "explode"}]}).encode(), "unknown type"),
                (json.dumps({"batch": [good], "context": []}).encode(), "batch context is an array"),
                (json.dumps({"batch": [good], "sentAt": "2023-02-30T10:00:00Z"}).encode(), "batch sentAt impossible"),
                (json.dumps({"batch": [good, {**good, "messageId": None, "userId": {"x": 1}}]}).encode(), "second message bad"),
                (fill({"batch": [good, {"type": "track", "userId": HOLE, "event": "E"}]}, b'"collide-\xff"'),
                 "second message invalid UTF-8"),
            ]
        cases += [pytest.param(route, raw, id=f"{route}-{label}") for raw, label in variants]
    return cases


@pytest.mark.parametrize("route,raw", whole_body_cases())
def test_ingestion_refuses_bad_bodies(rapport: Rapport, h: Tenant, route: str, raw: bytes) -> None:
    assert_refused_and_nothing_stored(rapport, h, route, raw)


def test_invalid_utf8_user_ids_do_not_collide(rapport: Rapport, h: Tenant) -> None:
    """`collide-\\xff` and `collide-\\xfe` must not both become `collide-\\ufffd`, one profile."""
    prefix = f"collide-{rapport.run_id}-"
    for raw in (b"\xff", b"\xfe", b"\xfe\xff"):
        body = b'{"userId":"' + prefix.encode() + raw + b'","traits":{"plan":"x"}}'
        assert_refused_and_nothing_stored(rapport, h, "identify", body)
    stored = rapport.db.rows(f'SELECT value FROM "{h.schema}".identities WHERE value LIKE %s', (prefix + "%",))
    assert stored == [], f"identities made from invalid UTF-8: {stored}"
    # The check itself sees what is stored.
    answer = post_ingest(rapport, h, "identify", json.dumps({"userId": prefix + "ok"}).encode())
    assert answer.status == 200, answer.short()
    assert rapport.db.rows(f'SELECT value FROM "{h.schema}".identities WHERE value LIKE %s', (prefix + "%",)) == [(prefix + "ok",)]


def test_escaped_nul_and_lone_surrogates_do_not_collide(rapport: Rapport, h: Tenant) -> None:
    """Text PostgreSQL cannot hold must be refused, not replaced (`\\u0000`, `\\ud800` → U+FFFD makes one person of two)."""
    prefix = f"nulcollide-{rapport.run_id}-"
    for raw in (b"\\u0000", b"\\ud800", b"\\udfff", b"\\ud800\\u0041"):
        body = b'{"userId":"' + prefix.encode() + raw + b'"}'
        assert_refused_and_nothing_stored(rapport, h, "identify", body)


def gzip_cases() -> list:
    cases = []
    for route in ("batch", "import", "track"):
        message = {"type": "track", "userId": f"gz-{next(COUNTER)}", "event": "Zipped", "properties": {"pad": "p" * 300}}
        plain = json.dumps({"batch": [message]} if route != "track" else message).encode()
        packed = gzip.compress(plain)
        bad_crc = bytearray(packed)
        bad_crc[-6] ^= 0xFF
        bad_size = bytearray(packed)
        bad_size[-2] ^= 0x01
        variants = [
            (packed[:-1], "last byte cut", {400}),
            (packed[:-4], "size cut", {400}),
            (packed[:-8], "trailer cut", {400}),
            (packed[: len(packed) // 2], "cut in half", {400}),
            (packed[:10], "header only", {400}),
            (bytes(bad_crc), "wrong CRC", {400}),
            (bytes(bad_size), "wrong size", {400}),
            (plain, "not gzip at all", {400}),
            (packed + b"garbage", "trailing garbage", {400}),
        ]
        cases += [pytest.param(route, raw, expected, {"Content-Encoding": "gzip"}, id=f"{route}-{label}")
                  for raw, label, expected in variants]
        cases.append(pytest.param(route, plain, {400, 415}, {"Content-Encoding": "br"}, id=f"{route}-brotli"))
    return cases


@pytest.mark.parametrize("route,raw,expected,headers", gzip_cases())
def test_ingestion_refuses_broken_gzip(rapport: Rapport, h: Tenant, route: str, raw: bytes, expected: set, headers: dict) -> None:
    assert_refused_and_nothing_stored(rapport, h, route, raw, status=expected, code=None, headers=headers)


def test_gzip_control_is_stored(rapport: Rapport, h: Tenant) -> None:
    """The gzip cases above are refused for what they break, not for being gzip."""
    marker = f"gz-ok-{rapport.run_id}"
    body = gzip.compress(json.dumps({"batch": [{"type": "track", "userId": marker, "event": "Zipped"}]}).encode())
    answer = post_ingest(rapport, h, "batch", body, {"Content-Encoding": "gzip"})
    assert answer.status == 200, answer.short()
    assert rapport.db.value(f'SELECT count(*) FROM "{h.schema}".identities WHERE value = %s', (marker,)) == 1


@pytest.mark.parametrize("unpacked", [600 * 1024, 50 * 1024 * 1024], ids=["600KB", "50MB"])
@pytest.mark.parametrize("route", ["batch", "track"])
def test_gzip_bomb_is_refused(rapport: Rapport, h: Tenant, route: str, unpacked: int) -> None:
    head = b'{"batch":[{"type":"track","userId":"bomb","event":"B","properties":{"pad":"' if route == "batch" else \
        b'{"userId":"bomb","event":"B","properties":{"pad":"'
    tail = b'"}}]}' if route == "batch" else b'"}}'
    compressor = gzip.compress(head + b"a" * unpacked + tail, compresslevel=9)
    assert len(compressor) < 200 * 1024
    answer = assert_refused_and_nothing_stored(rapport, h, route, compressor, status={400, 413}, code=None,
                                               headers={"Content-Encoding": "gzip"})
    assert answer.elapsed < 30, f"a gzip bomb took {answer.elapsed:.1f} s to refuse"


@pytest.mark.parametrize("route,size", [("track", 40 * 1024), ("identify", 33 * 1024), ("batch", 600 * 1024),
                                        ("import", 600 * 1024), ("batch", 5 * 1024 * 1024)])
def test_ingestion_refuses_oversized_bodies(rapport: Rapport, h: Tenant, route: str, size: int) -> None:
    message = {"type": "track", "userId": "big", "event": "Big", "properties": {"pad": "x" * size}}
    body = json.dumps({"batch": [message]} if route in ("batch", "import") else message).encode()
    assert_refused_and_nothing_stored(rapport, h, route, body, status={400, 413}, code=None)


def test_batch_with_a_message_over_32kb_is_refused_whole(rapport: Rapport, h: Tenant) -> None:
    good = {"type": "track", "userId": f"b32-{rapport.run_id}", "event": "Fine"}
    big = {"type": "track", "userId": "b32-big", "event": "Big", "properties": {"pad": "x" * (33 * 1024)}}
    answer = assert_refused_and_nothing_stored(rapport, h, "batch", json.dumps({"batch": [good, big]}).encode())
    assert answer.json()["error"].get("index") == 1, answer.short()


# --------------------------------------------------------------------------------------------
# JSON routes


@dataclass
class Route:
    """A JSON route: its method, path (with {slug}, {survivor}), who may call it, and templates of
    a valid body with `@S@` (a text), `@N@` (a number) or `@W@` (any value) for the hostile part."""

    name: str
    method: str
    path: str
    who: str  # operator, or a tenant key's scope
    templates: list[str]
    stored: bool = True  # whether the text in `@S@` is stored (then NUL must be refused)
    number: str = "1"  # the valid value of `@N@`


def routes() -> list[Route]:
    return [
        Route("admin-tenants", "POST", "/admin/v1/tenants", "operator",
              ['{"slug": "@SLUG@", "name": "@S@", "pad": @N@}']),
        Route("admin-keys", "POST", "/admin/v1/tenants/{slug}/keys", "operator",
              ['{"scopes": ["query"], "source": "@S@", "name": "n", "pad": @N@}', '{"scopes": ["query"], "name": "@S@"}']),
        Route("admin-identity", "PUT", "/admin/v1/tenants/{slug}/identity", "operator",
              ['{"source_precedence": ["@S@", "web"], "pad": @N@}']),
        Route("keys", "POST", "/v1/keys", "admin",
              ['{"scopes": ["query"], "source": "@S@", "name": "n", "pad": @N@}', '{"scopes": ["query"], "name": "@S@"}']),
        Route("identity", "PUT", "/v1/identity", "admin",
              ['{"source_precedence": ["web", "@S@"], "pad": @N@}']),
        Route("unmerge", "POST", "/v1/profiles/{survivor}/unmerge", "admin",
              ['{"merged_id": @N@, "note": "@S@"}'], stored=False, number="@MERGED@"),
        Route("query", "POST", "/v1/query", "query", ['{"q": "count profiles", "id": "@S@", "pad": @N@}'], stored=False),
        Route("query-validate", "POST", "/v1/query/validate", "query", ['{"q": "count profiles", "x": "@S@", "pad": @N@}'],
              stored=False),
        Route("query-cancel", "POST", "/v1/query/cancel", "query", ['{"id": "@S@", "pad": @N@}'], stored=False),
        Route("privacy-requests", "POST", "/v1/privacy/requests", "privacy",
              ['{"type": "export", "subject": {"user_id": "@S@"}}', '{"type": "export", "subject": {"user_id": @N@}}']),
        Route("privacy-settings", "PUT", "/v1/privacy/settings", "privacy",
              ['{"controller": "@S@", "purposes": ["analytics"]}']),
    ]


ROUTE_BY_NAME = {route.name: route for route in routes()}


def fresh_merge(rapport: Rapport, tenant: Tenant) -> tuple[int, int]:
    """Two profiles merged just now: (survivor, merged)."""
    n = f"{rapport.run_id}-{next(COUNTER)}"
    rapport.ingest(tenant, [{"type": "track", "anonymousId": f"mg-a-{n}", "event": "Merge Probe"}])
    rapport.ingest(tenant, [{"type": "identify", "userId": f"mg-u-{n}"}])
    rapport.ingest(tenant, [{"type": "identify", "userId": f"mg-u-{n}", "anonymousId": f"mg-a-{n}"}])
    survivor = rapport.db.value(f'SELECT profile_id FROM "{tenant.schema}".identities WHERE kind = %s AND value = %s',
                                ("anonymous_id", f"mg-a-{n}"))
    merged = rapport.db.value(f'SELECT id FROM "{tenant.schema}".profiles WHERE merged_into = %s', (survivor,))
    assert survivor and merged, f"no merge for {n}"
    return survivor, merged


def send(rapport: Rapport, tenant: Tenant, route: Route, body: bytes, extra: dict | None = None) -> Answer:
    """`body` (with @SLUG@, @MERGED@ filled in) to `route`, as whoever may call it."""
    path = route.path.replace("{slug}", tenant.slug)
    if "@MERGED@" in body.decode("latin-1") or "{survivor}" in path:
        survivor, merged = fresh_merge(rapport, tenant)
        path = path.replace("{survivor}", str(survivor))
        body = body.replace(b"@MERGED@", str(merged).encode())
    body = body.replace(b"@SLUG@", f"lx_{rapport.run_id}_{next(COUNTER)}".encode())
    body = body.replace(b"@UNIQ@", f"{rapport.run_id}-{next(COUNTER)}".encode())
    key = rapport.admin_key if route.who == "operator" else tenant.keys[route.who]
    return rapport.client.call(route.method, path, key=key, body=body, headers=extra)


def render(template: str, s: bytes | None = None, n: bytes | None = None, number: str = "1") -> bytes:
    out = template.encode()
    out = out.replace(b'"@S@"', s if s is not None else b'"ok-@UNIQ@"')
    out = out.replace(b"@N@", n if n is not None else number.encode())
    return out


@pytest.mark.parametrize("name", [n for n in ROUTE_BY_NAME])
def test_json_route_control_is_accepted(rapport: Rapport, h: Tenant, name: str) -> None:
    """Each template, filled in validly, is accepted: the refusals below are for what they break."""
    route = ROUTE_BY_NAME[name]
    for template in route.templates:
        answer = send(rapport, h, route, render(template, number=route.number))
        assert 200 <= answer.status < 300, f"the valid body was refused: {answer.short()}"


def lenient_variants(route: Route) -> list[tuple[str, bytes]]:
    variants = []
    for t, template in enumerate(route.templates):
        valid = render(template, number=route.number)
        tag = f"t{t}"
        variants += [
            (f"{tag}-trailing-comma", valid[:-1] + b",}"),
            (f"{tag}-comment", b"{/* c */" + valid[1:]),
            (f"{tag}-unquoted-key", valid[:-1] + b", pad2: 1}"),
            (f"{tag}-trailing-garbage", valid + b" x"),
            (f"{tag}-two-documents", valid + valid),
            (f"{tag}-unterminated", valid[:-1]),
            (f"{tag}-deep-member", valid[:-1] + b', "deep": ' + DEEP + b"}"),
        ]
        if b"[" in valid:
            variants.append((f"{tag}-trailing-comma-in-array", valid.replace(b"]", b",]", 1)))
        if "@S@" in template:
            for raw, label in [(b'"a\\qb"', "invalid-escape"), (b'"a\x01b"', "raw-control"), (b'"a\tb"', "raw-tab"),
                               (b'"a\nb"', "raw-newline"), (b'"a\x00b"', "raw-NUL"), (b"'ok'", "single-quotes"),
                               (b'"a\\u12"', "short-unicode-escape"), (b'"a\xffb"', "invalid-UTF-8"),
                               (b'"a\xc0\xafb"', "overlong-UTF-8"), (b'"a\xed\xa0\x80b"', "surrogate-UTF-8")]:
                variants.append((f"{tag}-{label}", render(template, s=raw, number=route.number)))
        if "@N@" in template:
            good = route.number if route.number != "@MERGED@" else None
            for label, raw in [("leading-zero", b"0" + (good.encode() if good else b"@MERGED@")), ("NaN", b"NaN"),
                               ("Infinity", b"Infinity"), ("plus", b"+1"), ("hex", b"0x1"), ("bare-point", b"1."),
                               ("point-first", b".5")]:
                variants.append((f"{tag}-{label}", render(template, n=raw, number=route.number)))
    return variants


def lenient_cases() -> list:
    return [pytest.param(route.name, body, id=f"{route.name}-{label}")
            for route in routes() for label, body in lenient_variants(route)]


@pytest.mark.parametrize("name,body", lenient_cases())
def test_json_routes_refuse_lenient_json(rapport: Rapport, h: Tenant, name: str, body: bytes) -> None:
    answer = send(rapport, h, ROUTE_BY_NAME[name], body)
    expect_error(answer, 400, log="\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id")))


def nul_cases() -> list:
    cases = []
    for route in routes():
        for t, template in enumerate(route.templates):
            if "@S@" in template:
                cases.append(pytest.param(route.name, render(template, s=b'"a\\u0000b"', number=route.number),
                                          {400} if route.stored else {200, 201, 202, 204, 400}, id=f"{route.name}-t{t}-escaped-NUL"))
    # Tenant names, key names and sources, identity kinds: every stored text.
    cases += [
        pytest.param("admin-tenants", b'{"slug": "@SLUG@", "name": "Acme\\u0000"}', {400}, id="admin-tenants-name-NUL-end"),
        pytest.param("admin-tenants", b'{"slug": "nul\\u0000x"}', {400}, id="admin-tenants-slug-NUL"),
        pytest.param("keys", b'{"scopes": ["query\\u0000"]}', {400}, id="keys-scope-NUL"),
        pytest.param("keys", b'{"scopes": ["query"], "source": "\\u0000"}', {400}, id="keys-source-only-NUL"),
        pytest.param("identity", b'{"kinds": [{"name": "crm\\u0000", "priority": 5, "limit": 1, "blocked": [], '
                                 b'"normalization": "none"}]}', {400}, id="identity-kind-name-NUL"),
        pytest.param("identity", b'{"kinds": [{"name": "user_id", "priority": 1, "limit": 1, "blocked": ["x\\u0000"], '
                                 b'"normalization": "none"}]}', {400}, id="identity-blocked-NUL"),
        pytest.param("privacy-settings", b'{"purposes": ["a\\u0000"]}', {400}, id="privacy-settings-purpose-NUL"),
        pytest.param("privacy-requests", b'{"type": "erasure", "subject": {"email\\u0000": "a@example.com"}}', {400},
                     id="privacy-requests-kind-NUL"),
        pytest.param("query", b'{"q": "count profiles where email = \\"a\\u0000b\\""}', {200, 400},
                     id="query-literal-NUL"),
        pytest.param("query", b'{"q": "count profiles\\u0000"}', {400}, id="query-text-NUL"),
    ]
    return cases


@pytest.mark.parametrize("name,body,expected", nul_cases())
def test_json_routes_refuse_nul(rapport: Rapport, h: Tenant, name: str, body: bytes, expected: set) -> None:
    answer = send(rapport, h, ROUTE_BY_NAME[name], body)
    log = "\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id"))
    if answer.status >= 300 or 400 in expected and len(expected) == 1:
        expect_error(answer, expected, log=log)
    else:
        assert answer.status in expected, answer.short()


BIG = "9" * 400


def wrong_type_json_cases() -> list:
    table: dict[str, list[tuple[str, bytes]]] = {
        "admin-tenants": [("slug", b'{"slug": 1}'), ("slug", b'{"slug": []}'), ("slug", b'{"slug": {}}'),
                          ("slug", b'{"slug": null}'), ("slug", b'{"slug": true}'), ("slug", b"{}"),
                          ("name", b'{"slug": "@SLUG@", "name": 1}'), ("name", b'{"slug": "@SLUG@", "name": []}'),
                          ("name", b'{"slug": "@SLUG@", "name": {}}'), ("slug", b'{"slug": "Bad Slug"}'),
                          ("slug", b'{"slug": "' + b"a" * 41 + b'"}'), ("name", b'{"slug": "@SLUG@", "name": "' + b"n" * 201 + b'"}')],
        "admin-keys": [("scopes", b'{"scopes": "query"}'), ("scopes", b'{"scopes": [1]}'), ("scopes", b'{"scopes": [null]}'),
                       ("scopes", b'{"scopes": []}'), ("scopes", b'{"scopes": ["root"]}'), ("scopes", b"{}"),
                       ("source", b'{"scopes": ["query"], "source": 1}'), ("name", b'{"scopes": ["query"], "name": []}')],
        "keys": [("scopes", b'{"scopes": "query"}'), ("scopes", b'{"scopes": [true]}'), ("scopes", b'{"scopes": {}}'),
                 ("scopes", b'{"scopes": []}'), ("source", b'{"scopes": ["query"], "source": {}}'),
                 ("name", b'{"scopes": ["query"], "name": 5}')],
        "identity": [("source_precedence", b'{"source_precedence": "web"}'), ("source_precedence", b'{"source_precedence": [1]}'),
                     ("source_precedence", b'{"source_precedence": [null]}'), ("kinds", b'{"kinds": "x"}'),
                     ("kinds", b'{"kinds": [1]}'), ("kinds", b'{"kinds": [{"name": 1, "priority": 1, "limit": 1, "blocked": [], "normalization": "none"}]}'),
                     ("priority", b'{"kinds": [{"name": "user_id", "priority": "1", "limit": 1, "blocked": [], "normalization": "none"}]}'),
                     ("priority", b'{"kinds": [{"name": "user_id", "priority": 1e999999, "limit": 1, "blocked": [], "normalization": "none"}]}'),
                     ("priority", b'{"kinds": [{"name": "user_id", "priority": ' + BIG.encode() + b', "limit": 1, "blocked": [], "normalization": "none"}]}'),
                     ("limit", b'{"kinds": [{"name": "user_id", "priority": 1, "limit": 1.5, "blocked": [], "normalization": "none"}]}'),
                     ("limit", b'{"kinds": [{"name": "user_id", "priority": 1, "limit": ' + BIG.encode() + b', "blocked": [], "normalization": "none"}]}'),
                     ("normalization", b'{"kinds": [{"name": "user_id", "priority": 1, "limit": 1, "blocked": [], "normalization": "rot13"}]}'),
                     ("blocked", b'{"kinds": [{"name": "user_id", "priority": 1, "limit": 1, "blocked": "x", "normalization": "none"}]}')],
        "admin-identity": [("source_precedence", b'{"source_precedence": {"a": 1}}'), ("kinds", b'{"kinds": {}}')],
        "unmerge": [("merged_id", b'{"merged_id": "@MERGED@"}'), ("merged_id", b'{"merged_id": 1.5}'),
                    ("merged_id", b'{"merged_id": []}'), ("merged_id", b'{"merged_id": null}'), ("merged_id", b"{}"),
                    ("merged_id", b'{"merged_id": true}'), ("merged_id", b'{"merged_id": 1e999999}'),
                    ("merged_id", b'{"merged_id": ' + BIG.encode() + b"}"), ("merged_id", b'{"merged_id": -1}')],
        "query": [("q", b'{"q": 1}'), ("q", b'{"q": []}'), ("q", b'{"q": {}}'), ("q", b'{"q": null}'), ("q", b"{}"),
                  ("id", b'{"q": "count profiles", "id": 1}'), ("id", b'{"q": "count profiles", "id": {}}')],
        "query-validate": [("q", b'{"q": 1}'), ("q", b'{"q": [1]}'), ("q", b'{"q": null}'), ("q", b"{}")],
        "query-cancel": [("id", b'{"id": 1}'), ("id", b'{"id": []}'), ("id", b'{"id": null}'), ("id", b"{}")],
        "privacy-requests": [("type", b'{"type": 1, "subject": {"email": "a@example.com"}}'),
                             ("type", b'{"type": "delete", "subject": {"email": "a@example.com"}}'),
                             ("subject", b'{"type": "export", "subject": "a@example.com"}'),
                             ("subject", b'{"type": "export", "subject": {}}'),
                             ("subject", b'{"type": "export", "subject": {"email": "a@example.com", "phone": "1"}}'),
                             ("subject", b'{"type": "export", "subject": {"email": []}}'),
                             ("subject", b'{"type": "export", "subject": {"email": null}}'),
                             ("subject", b'{"type": "export", "subject": {"user_id": 1e999999}}'),
                             ("extra", b'{"type": "export", "subject": {"email": "a@example.com"}, "x": 1}')],
        "privacy-settings": [("controller", b'{"controller": 1}'), ("purposes", b'{"purposes": "x"}'),
                             ("purposes", b'{"purposes": [1]}'), ("extra", b'{"unknown": "x"}'), ("body", b"[]")],
    }
    return [pytest.param(name, body, id=f"{name}-{field}-{describe(body)}")
            for name, rows in table.items() for field, body in rows]


@pytest.mark.parametrize("name,body", wrong_type_json_cases())
def test_json_routes_refuse_wrong_types(rapport: Rapport, h: Tenant, name: str, body: bytes) -> None:
    answer = send(rapport, h, ROUTE_BY_NAME[name], body)
    expect_error(answer, 400, log="\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id")))


@pytest.mark.parametrize("name", list(ROUTE_BY_NAME))
@pytest.mark.parametrize("shape", ["array", "object"])
def test_json_routes_refuse_deep_bodies(rapport: Rapport, h: Tenant, name: str, shape: str) -> None:
    answer = send(rapport, h, ROUTE_BY_NAME[name], DEEP if shape == "array" else DEEP_OBJECT)
    expect_error(answer, 400)


OVERSIZE = [
    ("privacy-requests", b'{"type": "export", "subject": {"email": "' + b"a" * (70 * 1024) + b'@example.com"}}', {413}),
    ("privacy-settings", b'{"controller": "' + b"c" * (70 * 1024) + b'"}', {413}),
    ("privacy-requests", b'{"type": "export", "subject": {"email": "' + b"a" * (3 * 1024 * 1024) + b'"}}', {413}),
    ("query", b'{"q": "count profiles ' + b"-- x\\n" * 30_000 + b'"}', {413}),
    ("query-validate", b'{"q": "count profiles ' + b" " * 150_000 + b'"}', {413}),
]
for _name in ("admin-tenants", "admin-keys", "admin-identity", "keys", "identity", "unmerge", "query", "query-validate",
              "query-cancel", "privacy-settings"):
    OVERSIZE.append((_name, b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}', {413}))


@pytest.mark.parametrize("name,body,expected", [pytest.param(n, b, e, id=f"{n}-{len(b) // 1024}KB") for n, b, e in OVERSIZE])
def test_json_routes_refuse_oversized_bodies(rapport: Rapport, h: Tenant, name: str, body: bytes, expected: set) -> None:
    answer = send(rapport, h, ROUTE_BY_NAME[name], body)
    expect_error(answer, expected, log="\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id")))


IMPOSSIBLE_RQL = [
    "count profiles where first_seen >= 2023-02-30",
    "count events where ts > 2024-04-31T23:59:60Z",
    "count events where ts < 2023-02-29",
    "show retention by week since 2023-02-29",
    "count profiles where last_seen > 2023-02-29T12:00:00Z",
    "count events where ts >= 2023-06-31T00:00",
]


@pytest.mark.parametrize("q", IMPOSSIBLE_RQL)
@pytest.mark.parametrize("route", ["query", "query/validate"])
def test_rql_refuses_impossible_dates(rapport: Rapport, h: Tenant, route: str, q: str) -> None:
    answer = rapport.client.post(f"/v1/{route}", key=h.keys["query"], json_body={"q": q})
    if route == "query":
        expect_error(answer, 400, "invalid-query")
        diagnostics = answer.json()["error"].get("diagnostics") or []
    else:
        assert answer.status == 200, answer.short()
        assert answer.json()["valid"] is False, answer.short()
        diagnostics = answer.json()["diagnostics"]
    assert diagnostics, answer.short()


QUERY_PARAMS = [
    ("/v1/privacy/requests?limit=" + BIG, "privacy"),
    ("/v1/privacy/requests?limit=0", "privacy"),
    ("/v1/privacy/requests?limit=1e999999", "privacy"),
    ("/v1/privacy/requests?limit=-1", "privacy"),
    ("/v1/privacy/requests?status=exploded", "privacy"),
    ("/v1/privacy/audit?after=" + BIG, "privacy"),
    ("/v1/privacy/audit?after=-1", "privacy"),
    ("/v1/privacy/audit?limit=0", "privacy"),
    ("/v1/privacy/audit?limit=" + BIG, "privacy"),
    ("/v1/profiles/" + BIG, "query"),
    ("/v1/profiles/0", "query"),
    ("/v1/profiles/-1", "query"),
    ("/v1/profiles/1e3", "query"),
    ("/v1/profiles/" + BIG + "/events", "query"),
    ("/v1/profiles/1/events?limit=" + BIG, "query"),
    ("/v1/profiles/1/events?limit=0", "query"),
    ("/v1/profiles/1/events?limit=1e999999", "query"),
    ("/v1/profiles/1/events?cursor=%00", "query"),
    ("/v1/profiles/1/events?cursor=" + BIG, "query"),
    ("/v1/profiles/" + BIG + "/graph", "query"),
    ("/v1/segments/x/members?limit=" + BIG, "query"),
    ("/v1/segments/x/members?cursor=-5", "query"),
    ("/v1/profiles/lookup?email=a&phone=b", "query"),
    ("/v1/profiles/lookup", "query"),
]


@pytest.mark.parametrize("path,scope", QUERY_PARAMS, ids=[p[:60] for p, _ in QUERY_PARAMS])
def test_bad_query_parameters_are_400(rapport: Rapport, h: Tenant, path: str, scope: str) -> None:
    answer = rapport.client.get(path, key=h.keys[scope])
    expect_error(answer, 400)


# --------------------------------------------------------------------------------------------
# Hostile RQL


def query_in_background(rapport: Rapport, tenant: Tenant, q: str, route: str = "query") -> tuple[threading.Thread, dict]:
    result: dict = {}

    def run() -> None:
        try:
            result["answer"] = rapport.client.post(f"/v1/{route}", key=tenant.keys["query"], json_body={"q": q}, timeout=120)
        except Exception as error:  # noqa: BLE001 - reported by the test
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def assert_alive_while(rapport: Rapport, thread: threading.Thread, limit: float = 90) -> list[float]:
    """Polls /healthz while `thread` runs: each must answer 200 within 5 s."""
    from hardening_support import Client

    probe = Client(rapport.server.base_url)
    latencies = []
    deadline = time.monotonic() + limit
    while thread.is_alive() and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            answer = probe.get("/healthz", timeout=5)
        except Exception as error:  # noqa: BLE001
            pytest.fail(f"/healthz did not answer within 5 s during the hostile query: {error}")
        latencies.append(time.monotonic() - started)
        assert answer.status == 200, answer.short()
        time.sleep(0.1)
    thread.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not thread.is_alive(), f"the hostile query was still running after {limit} s"
    return latencies


MAX_ANSWER = 1_000_000


@pytest.mark.parametrize("route", ["query", "query/validate"])
def test_rql_token_flood(rapport: Rapport, h: Tenant, route: str) -> None:
    """`@ ` 49,000 times: a 400 (or an invalid validation) within seconds, under 1 MB, /healthz alive."""
    thread, result = query_in_background(rapport, h, "@ " * 49_000, route)
    assert_alive_while(rapport, thread)
    answer: Answer = result.get("answer") or pytest.fail(f"no answer: {result.get('error')}")
    assert len(answer.body) < MAX_ANSWER, f"the answer is {len(answer.body):,} bytes: {answer.short(300)}"
    assert answer.elapsed < 30, f"the answer took {answer.elapsed:.1f} s"
    if route == "query":
        expect_error(answer, 400, "invalid-query")
    else:
        assert answer.status == 200 and answer.json()["valid"] is False, answer.short()


def hostile_queries() -> list:
    quotes = '\\"' * 2_500
    return [
        pytest.param(f'count profiles where email = "{quotes}"', {200}, id="escaped-quotes-5kB"),
        pytest.param(f'count profiles where email = "{quotes}', {400}, id="escaped-quotes-unterminated"),
        pytest.param(f"profiles | where email = '{chr(92) * 5000}'", {200, 400}, id="backslashes-5kB"),
        pytest.param("describe " + "(" * 10_000, {400}, id="describe-deep-parens"),
        pytest.param("describe " + "(" * 5_000 + "x" + ")" * 5_000, {400}, id="describe-balanced-parens"),
        pytest.param("count profiles where " + "(" * 5_000 + 'plan = "x"' + ")" * 5_000, {200, 400, 422}, id="where-deep-parens"),
        pytest.param("count profiles where " + "not " * 10_000 + 'plan = "x"', {200, 400, 422}, id="not-chain"),
        pytest.param("count profiles where seats > " + "- " * 10_000 + "1", {200, 400, 422}, id="minus-chain"),
        pytest.param("count profiles where " + " or ".join(f'plan = "p{i}"' for i in range(3_000)), {200, 400, 422},
                     id="or-chain-3000"),
        pytest.param("profiles | select " + ", ".join(f"c{i} = id" for i in range(1_665)), {400, 422}, id="select-1665-columns"),
        pytest.param("profiles | select " + ", ".join(["id"] * 1_665), {400, 422}, id="select-1665-same-columns"),
        pytest.param("events | group by " + ", ".join(f"props.p{i}" for i in range(1_700)) + " select n = count()",
                     {400, 422}, id="group-by-1700"),
        pytest.param(";" * 40_000, {400}, id="empty-statements"),
        pytest.param("count profiles;" * 1_000, {200, 400, 422}, id="1000-statements"),
        pytest.param("segment " + "s" * 20_000 + " = profiles", {200, 400}, id="huge-name"),
        pytest.param('count profiles where email = "' + "\\u{1F680}" * 8_000 + '"', {200, 400}, id="unicode-escapes"),
        pytest.param("count profiles where seats > " + "9" * 20_000, {200, 400, 422}, id="huge-number-literal"),
        pytest.param("count events where ts > 2024-01-01 - " + " - ".join(["1000 years"] * 50), {200, 400, 422},
                     id="date-arithmetic-overflow"),
    ]


@pytest.mark.parametrize("q,expected", hostile_queries())
def test_hostile_rql(rapport: Rapport, h: Tenant, q: str, expected: set) -> None:
    thread, result = query_in_background(rapport, h, q)
    assert_alive_while(rapport, thread)
    answer: Answer = result.get("answer") or pytest.fail(f"no answer: {result.get('error')}")
    log = "\n  server log: " + rapport.server.log_for(answer.headers.get("X-Request-Id"))
    assert answer.status in expected, f"expected {sorted(expected)}: {answer.short()}{log}"
    assert len(answer.body) < MAX_ANSWER, f"the answer is {len(answer.body):,} bytes: {answer.short(300)}"
    if answer.status >= 400:
        error = expect_error(answer, expected)
        if answer.status == 422:
            assert error["code"] in ("query-too-complex", "query-out-of-range", "query-timeout"), answer.short()
        if answer.status == 400:
            assert error["code"] == "invalid-query", answer.short()
    else:
        document = answer.json()
        assert {"columns", "rows", "truncated"} <= set(document), answer.short()
        if q.startswith("count profiles where email ="):
            assert document["rows"] == [[0]], answer.short()


def test_select_1665_columns_has_a_clear_code(rapport: Rapport, h: Tenant) -> None:
    answer = rapport.query(h, "profiles | select " + ", ".join(f"c{i} = id" for i in range(1_665)))
    error = expect_error(answer, {400, 422}, {"invalid-query", "query-too-complex"})
    if answer.status == 400:
        codes = {d["code"] for d in error.get("diagnostics") or []}
        assert codes and codes != {"internal"}, answer.short()


OLD_ORDERS = ["1000-01-06T00:00:00Z", "1000-03-01T00:00:00Z", "1200-06-01T12:00:00Z", "1500-03-01T00:00:00Z",
              "1900-01-01T00:00:00Z"]


@pytest.fixture(scope="module")
def old_orders(rapport: Rapport, h: Tenant) -> None:
    rapport.ingest(h, [
        {"type": "track", "userId": f"old-{rapport.run_id}-{i}", "event": "Order Completed", "properties": {"revenue": 10 + i},
         "timestamp": ts}
        for i, ts in enumerate(OLD_ORDERS)
    ] + [
        {"type": "track", "userId": f"old-{rapport.run_id}-0", "event": "Order Completed", "properties": {"revenue": 1},
         "timestamp": "2024-05-01T00:00:00Z"},
    ])


@pytest.mark.parametrize("q", ["show retention by week since 1000-01-01", "show retention by month since 1000-01-01",
                               "show retention by week"])
def test_reports_respect_the_row_cap(rapport: Rapport, h: Tenant, old_orders: None, q: str) -> None:
    thread, result = query_in_background(rapport, h, q)
    assert_alive_while(rapport, thread)
    answer: Answer = result.get("answer") or pytest.fail(f"no answer: {result.get('error')}")
    assert answer.status == 200, answer.short()
    document = answer.json()
    assert document["truncated"] is True, f"{len(document['rows'])} rows, not truncated"
    assert len(document["rows"]) <= rapport.row_cap, f"{len(document['rows'])} rows over the cap of {rapport.row_cap}"
    assert len(answer.body) < 5 * MAX_ANSWER, f"the answer is {len(answer.body):,} bytes"


def test_queries_respect_the_row_cap(rapport: Rapport, h: Tenant) -> None:
    """The cap on an ordinary query (the control for the reports above)."""
    marker = f"cap-{rapport.run_id}"
    rapport.ingest(h, [{"type": "track", "userId": marker, "event": "Cap Probe", "properties": {"i": i}}
                       for i in range(rapport.row_cap + 20)])
    answer = rapport.query(h, "events | where name = \"Cap Probe\" | select ts, name")
    assert answer.status == 200, answer.short()
    assert answer.json()["truncated"] is True and len(answer.json()["rows"]) == rapport.row_cap, answer.short(300)


# --------------------------------------------------------------------------------------------
# Fuzzed RQL: token soups from Grammar/examples


TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2})?)?'
                   r'|\d+(?:\.\d+)?%?|[A-Za-z_][A-Za-z0-9_.]*|->|>=|<=|!=|[|(),;=<>*+\-/]')


def soups(count: int, seed: int) -> list[str]:
    text = "\n".join(re.sub(r"--[^\n]*", "", p.read_text()) for p in sorted((REPO / "Grammar/examples").glob("*.rql")))
    tokens = TOKEN.findall(text)
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", text).split(";") if s.strip()]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        if i % 5 == 1:
            # A real statement as is (many name what this tenant lacks; some run).
            out.append(rng.choice(statements))
        elif i % 3 == 0:
            # A real statement with a few tokens swapped, dropped or repeated.
            words = TOKEN.findall(rng.choice(statements))
            for _ in range(rng.randint(1, 4)):
                action = rng.choice(("swap", "drop", "dup", "insert"))
                if not words:
                    break
                j = rng.randrange(len(words))
                if action == "swap":
                    words[j] = rng.choice(tokens)
                elif action == "drop":
                    del words[j]
                elif action == "dup":
                    words[j:j] = [words[j]] * rng.randint(2, 50)
                else:
                    words.insert(j, rng.choice(tokens))
            out.append(" ".join(words))
        else:
            out.append(" ".join(rng.choice(tokens) for _ in range(rng.randint(1, 80))))
    return out


FUZZ_CASES = int(os.environ.get("RAPPORT_RQL_FUZZ_CASES", "300"))
FUZZ_SEED = int(os.environ.get("RAPPORT_RQL_FUZZ_SEED", "7"))


def test_fuzzed_rql(rapport: Rapport, h: Tenant, old_orders: None) -> None:
    problems = []
    statuses: dict[int, int] = {}
    for q in soups(FUZZ_CASES, FUZZ_SEED):
        answer = rapport.query(h, q)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        problem = None
        if answer.status not in (200, 400, 409, 413, 422):
            problem = f"status {answer.status}"
        elif answer.status == 409 and answer.json()["error"]["code"] != "definition-in-use":
            problem = "409 that is not definition-in-use"
        elif len(answer.body) >= MAX_ANSWER:
            problem = f"{len(answer.body):,} bytes"
        elif answer.status >= 400 and error_shape_problem(answer):
            problem = error_shape_problem(answer)
        if problem:
            problems.append(f"{problem}: q={q[:300]!r}\n    -> {answer.short(300)}")
    assert not problems, f"{len(problems)} of {FUZZ_CASES} fuzzed queries misbehaved:\n" + "\n".join(problems[:20])
    # The soups reach past the parser: some run, most are refused.
    assert statuses.get(200, 0) > 0 and statuses.get(400, 0) > 0, statuses
    assert rapport.client.get("/healthz").status == 200


# --------------------------------------------------------------------------------------------
# Hostile credentials


def basic(raw: bytes) -> str:
    import base64

    return "Basic " + base64.b64encode(raw).decode()


CREDENTIALS = [
    ("Basic !!!not-base64", "basic not base64"),
    (basic(b"\xff\xfe:"), "basic invalid UTF-8"),
    (basic(b":"), "basic empty"),
    (basic(b"rapport_x_y:" + b"p" * 10), "basic unknown key"),
    ("Bearer " + "a" * 60_000, "bearer 60 kB"),
    ("Bearer rapport_" + "_" * 50, "bearer underscores"),
    ("Bearer rapport_%00_x", "bearer percent NUL"),
    ("Negotiate abc", "other scheme"),
    ("Bearer", "bearer without key"),
]


@pytest.mark.parametrize("path,method", [("/v1/whoami", "GET"), ("/v1/track", "POST"), ("/v1/query", "POST"),
                                         ("/admin/v1/tenants", "GET"), ("/metrics", "GET")])
@pytest.mark.parametrize("header,label", CREDENTIALS, ids=[label for _, label in CREDENTIALS])
def test_hostile_credentials_are_refused(rapport: Rapport, h: Tenant, path: str, method: str, header: str, label: str) -> None:
    body = b'{"userId": "cred", "event": "E", "q": "count profiles"}' if method == "POST" else None
    before = rapport.db.counts(h.slug)
    answer = rapport.client.call(method, path, body=body, headers={"Authorization": header})
    expect_error(answer, {400, 401, 431} if len(header) > 8000 else 401)
    assert rapport.db.counts(h.slug) == before


@pytest.mark.parametrize("path,allowed", [
    ("/v1/profiles/lookup?" + "&".join(f"k{i}=v" for i in range(5_000)), (400, 414, 431)),
    ("/v1/privacy/requests?" + "status=pending&" * 3_000 + "limit=5", (200, 400, 414, 431)),
    ("/v1/segments/" + "s" * 20_000, (404, 414, 431)),
], ids=["5000-parameters", "3000-repeats", "20kB-segment-name"])
def test_hostile_urls(rapport: Rapport, h: Tenant, path: str, allowed: tuple) -> None:
    import requests as _requests

    scope = "privacy" if "privacy" in path else "query"
    try:
        answer = rapport.client.get(path, key=h.keys[scope])
    except _requests.ConnectionError:
        answer = None  # refusing the connection is an answer too, if the server lives on
    if answer is not None:
        assert answer.status in allowed, answer.short()
        if answer.status >= 400 and answer.body:
            assert error_shape_problem(answer) is None, answer.short()
    assert rapport.client.get("/healthz").status == 200
