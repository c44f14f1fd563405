"""The web console's benchmark (scripts/bench-console): a real `rapport serve` on a loaded
tenant, a real session, and the median time of each page next to the JSON API calls that
fetch the same data, measured in the same run. Prints a Markdown table."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    binary = os.environ.get("RAPPORT_BINARY") or next(
        (str(p) for p in (REPO / ".build/release/rapport", REPO / ".build-test/debug/rapport", REPO / ".build/debug/rapport") if p.exists()), None)
    if not binary:
        sys.exit("Build rapport first (swift build -c release --product rapport).")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    key = subprocess.run([binary, "keys", "create", "--tenant", args.tenant, "--scopes", "query,privacy,admin",
                          "--name", "bench-console", "--database-url", args.database_url],
                         capture_output=True, text=True, check=True, env=env).stdout.strip().splitlines()[-1].strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open("/tmp/rapport-bench-console.log", "wb")
    server = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", args.database_url,
                               "--no-activation-worker"], stdout=log, stderr=subprocess.STDOUT, env={**env, "LOG_LEVEL": "warning"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("rapport serve did not start; see /tmp/rapport-bench-console.log")
            time.sleep(0.3)
        print(f"binary {binary}; tenant {args.tenant}; median of {args.runs} runs", file=sys.stderr)
        run(base, key, args.runs)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def median_ms(call, runs: int) -> float:
    call()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 303), (response.status_code, response.text[:300])
    return statistics.median(times)


def run(base: str, key: str, runs: int) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    browser = requests.Session()
    page = browser.get(base + "/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert browser.post(base + "/sign-in", data={"csrf": token, "key": key}, allow_redirects=False).status_code == 303
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(base + "/profiles").text).group(1)

    # Profiles spread over the tenant, each with events; the README's segment saved.
    ids = []
    for start in (1, 250_000, 500_000, 750_000, 990_000):
        answer = api.post(base + "/v1/query", json={"q": f"profiles | where id >= {start} and did `Order Completed` | order by id | limit 1 | select id"}).json()
        ids.append(int(answer["rows"][0][0]))
    api.post(base + "/v1/query", json={"q": "segment buyers = profiles | where did `Order Completed`"})
    api.post(base + "/v1/query", json={"q": 'segment pro_de = profiles | where plan = "pro" and country = "DE"'})
    email = api.get(f"{base}/v1/profiles/{ids[2]}/identities").json()["identities"]
    email = next(i["value"] for i in email if i["kind"] == "email")

    rows = []

    def both(label, page_call, api_calls):
        page_ms = statistics.median([median_ms(lambda i=i: page_call(i), runs) for i in ids])
        api_ms = statistics.median([sum(median_ms(lambda c=c, i=i: c(i), runs) for c in api_calls) for i in ids])
        rows.append((label, page_ms, api_ms))

    both("profile page (identities, traits, 50 events, merges, catalogue)",
         lambda i: browser.get(f"{base}/profiles/{i}"),
         [lambda i: api.get(f"{base}/v1/profiles/{i}"), lambda i: api.get(f"{base}/v1/profiles/{i}/events?limit=50"),
          lambda i: api.get(f"{base}/v1/profiles/{i}/graph"), lambda i: api.get(f"{base}/v1/catalog")])
    both("a profile's segments and syncs (2 saved segments)",
         lambda i: browser.get(f"{base}/profiles/{i}/membership"),
         [lambda i: api.post(base + "/v1/query", json={"q": f"profiles | where id = {i} | select a = in buyers, b = in pro_de"})])
    rows.append(("search by email (redirect to the profile)",
                 median_ms(lambda: browser.get(f"{base}/profiles", params={"kind": "email", "value": email}, allow_redirects=False), runs),
                 median_ms(lambda: api.get(f"{base}/v1/profiles/lookup", params={"email": email}, allow_redirects=False), runs)))
    rows.append(("Ask page", median_ms(lambda: browser.get(f"{base}/ask"), runs), median_ms(lambda: api.get(f"{base}/v1/catalog"), runs)))
    rows.append(("Data page (counts, catalogue, newest events)", median_ms(lambda: browser.get(f"{base}/data"), runs),
                 median_ms(lambda: api.get(f"{base}/v1/events"), runs)))
    rows.append(("Segments page", median_ms(lambda: browser.get(f"{base}/segments"), runs),
                 median_ms(lambda: api.get(f"{base}/v1/segments"), runs)))

    print("| console | console ms | API baseline ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for label, page_ms, api_ms in rows:
        print(f"| {label} | {page_ms:.1f} | {api_ms:.1f} | {page_ms / api_ms:.2f} |")

    print()
    print("| the README's queries, from the Ask page (validate as typed, then run) | validate ms | run ms |")
    print("| --- | ---: | ---: |")
    headers = {"X-CSRF-Token": csrf}
    for q in ['count profiles where plan = "pro"',
              "profiles | where did `Order Completed` within 90 days | select email, orders = count(`Order Completed`), "
              "spent = sum(`Order Completed`.revenue) | order by spent desc | limit 20",
              "events | where ts within 30 days | group by name select n = count()",
              "profiles | where contry = \"DE\""]:
        validate = median_ms(lambda: browser.post(base + "/v1/query/validate", json={"q": q}, headers=headers), runs)
        answer = browser.post(base + "/v1/query", json={"q": q}, headers=headers)
        ran = median_ms(lambda: browser.post(base + "/v1/query", json={"q": q}, headers=headers), max(1, runs // 2)) if answer.status_code == 200 else float("nan")
        print(f"| `{q}` | {validate:.1f} | {'(refused: a typo)' if answer.status_code != 200 else f'{ran:.0f}'} |")


if __name__ == "__main__":
    main()
