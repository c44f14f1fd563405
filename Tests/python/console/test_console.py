"""The web console end to end, in a real headless Chromium against a real `rapport serve`
(issue 19): signing in and out, finding and reading a profile, asking in RQL with diagnostics
at their positions, a funnel drawn, hostile data left inert, scopes, CSRF and tenants kept
apart. Each page visited is also saved as a screenshot (see conftest.py)."""

from __future__ import annotations

import re
import time

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from console_support import HOSTILE_EVENT, HOSTILE_IMG, HOSTILE_QUOTES, HOSTILE_TRAIT, assert_inert, wait


def ask_page(console, scope: str, downloads=None):
    """A browser signed in with the key of `scope`, on the Ask page, its editor emptied."""
    driver = console.browser()
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    console.sign_in(driver, console.a.keys[scope])
    driver.get(console.base + "/ask")
    editor = driver.find_element(By.ID, "rql")
    editor.clear()
    return driver, editor


def test_sign_in_find_a_profile_and_read_it(console):
    driver = console.browser()
    driver.get(console.base + "/")
    assert driver.current_url.endswith("/sign-in"), "an anonymous visitor is sent to sign in"
    console.shoot(driver, "01-sign-in")
    console.sign_in(driver, console.a.keys["all"])
    assert driver.current_url.endswith("/profiles")
    nav = driver.find_element(By.CSS_SELECTOR, "header nav").text
    assert nav.split() == ["Profiles", "Ask", "Segments", "Data", "Privacy"], nav

    Select(driver.find_element(By.ID, "kind")).select_by_value("email")
    driver.find_element(By.ID, "value").send_keys("ANN@example.com")  # normalised like the API does
    driver.find_element(By.ID, "find").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "identities")))
    ann = console.profiles["ann@example.com"]
    assert driver.current_url.endswith(f"/profiles/{ann}")
    assert driver.find_element(By.TAG_NAME, "h1").text == f"Profile {ann}"

    identities = driver.find_element(By.ID, "identities").text
    assert "ann@example.com" in identities and "u-ann" in identities
    traits = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[1].text
              for row in driver.find_elements(By.CSS_SELECTOR, "#traits tbody tr")}
    # Hostile values are shown as the text they are, and nothing of them ran.
    assert traits["bio"] == HOSTILE_TRAIT
    assert traits["nickname"] == HOSTILE_IMG
    assert traits["company"] == HOSTILE_QUOTES
    assert traits["plan"] == "pro"
    events = driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    assert len(events) == 50, "the timeline shows 50 events a page"
    assert HOSTILE_EVENT in driver.find_element(By.ID, "events").text
    assert_inert(driver)
    console.shoot(driver, "02-profile")


def test_timeline_filters_by_event_and_pages(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["query"])
    ann = console.profiles["ann@example.com"]
    driver.get(f"{console.base}/profiles/{ann}")
    first_page = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")]
    driver.find_element(By.ID, "older").click()
    wait(driver).until(EC.url_contains("cursor="))
    second_page = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")]
    held = console.client.get(f"/v1/profiles/{ann}/events?limit=1000", key=console.a.keys["query"]).json()["events"]
    assert len(held) == 64  # her identify, 60 views, the hostile click, the cart and the order
    assert len(first_page) == 50 and len(second_page) == 14, (len(first_page), len(second_page))
    assert not set(first_page) & set(second_page), "pages do not overlap"
    assert not driver.find_elements(By.ID, "older"), "the last page has no older page"

    driver.get(f"{console.base}/profiles/{ann}")
    Select(driver.find_element(By.ID, "event")).select_by_value("Order Completed")
    driver.find_element(By.ID, "filter").click()
    wait(driver).until(EC.url_contains("event=Order"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")
    assert len(rows) == 1 and "Order Completed" in rows[0].text and "revenue" in rows[0].text
    # An event name that is hostile filters like any other.
    Select(driver.find_element(By.ID, "event")).select_by_visible_text(HOSTILE_EVENT)
    driver.find_element(By.ID, "filter").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "events"), "Buy"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")) == 1
    assert_inert(driver)


def test_merge_history_and_unmerge_with_confirmation(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["all"])
    bob = console.profiles["bob@example.com"]
    driver.get(f"{console.base}/profiles/{bob}")
    merges = driver.find_element(By.ID, "merges").text
    assert "anon-bob" in merges or "u-bob" in merges, merges
    console.shoot(driver, "03-merge-history")
    unmerge = driver.find_element(By.CSS_SELECTOR, "#merges button.danger")
    # Declining the confirmation does nothing.
    unmerge.click()
    alert = wait(driver).until(EC.alert_is_present())
    assert "Unmerge profile" in alert.text
    alert.dismiss()
    assert driver.current_url.endswith(f"/profiles/{bob}")
    assert driver.find_elements(By.CSS_SELECTOR, "#merges button.danger")
    # Accepting it unmerges.
    driver.find_element(By.CSS_SELECTOR, "#merges button.danger").click()
    wait(driver).until(EC.alert_is_present()).accept()
    wait(driver).until(EC.url_contains("unmerged="))
    assert "was unmerged" in driver.find_element(By.ID, "outcome").text
    assert "undone" in driver.find_element(By.ID, "merges").text
    # A key without the admin scope sees no unmerge button.
    reader = console.browser()
    console.sign_in(reader, console.a.keys["query"])
    reader.get(f"{console.base}/profiles/{bob}")
    assert not reader.find_elements(By.CSS_SELECTOR, "form[action$='/unmerge']")


def test_a_search_that_finds_nothing_says_so(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["query"])
    driver.get(console.base + "/profiles?kind=email&value=nobody%40example.com")
    assert "No profile holds the email" in driver.find_element(By.ID, "outcome").text
    driver.get(console.base + "/profiles?kind=id&value=abc")
    assert "whole number" in driver.find_element(By.ID, "outcome").text
    driver.get(console.base + "/profiles/999999999")
    assert driver.find_element(By.TAG_NAME, "h1").text == "No such profile"


def test_ask_marks_a_typo_where_it_is(console):
    driver, editor = ask_page(console, "query")
    editor.send_keys('profiles | wher plan = "pro"')
    item = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#diagnostics li")))
    assert "line 1, column 12" in item.text, item.text
    marked = driver.find_element(By.CSS_SELECTOR, "#marks mark").text
    assert marked.startswith("wher"), marked
    console.shoot(driver, "04-ask-diagnostic")
    # Fixed, the diagnostics go, and Ctrl-Enter runs it.
    editor.clear()
    editor.send_keys('profiles | where plan = "pro" | select email, plan')
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#diagnostics li"))
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(driver).until(EC.presence_of_element_located((By.ID, "result-table")))
    cells = [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#result-table tbody td")]
    assert "ann@example.com" in cells and "carol@example.com" not in cells, cells
    assert "row" in driver.find_element(By.ID, "status").text
    # Saved under a name, it is there after a reload.
    driver.find_element(By.ID, "save").click()
    prompt = wait(driver).until(EC.alert_is_present())
    prompt.send_keys("pro emails")
    prompt.accept()
    driver.refresh()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#saved button[data-name='pro emails']"))).click()
    assert driver.find_element(By.ID, "rql").get_attribute("value") == 'profiles | where plan = "pro" | select email, plan'
    # The query is kept among the recent ones.
    kept = [button.get_attribute("title") for button in driver.find_elements(By.CSS_SELECTOR, "#recent button")]
    assert kept[0] == 'profiles | where plan = "pro" | select email, plan', kept
    assert_inert(driver)


def test_ask_draws_a_funnel(console):
    driver, editor = ask_page(console, "query")
    editor.send_keys("funnel shop = `Product Viewed` -> `Added to Cart` -> `Order Completed`; show funnel shop")
    driver.find_element(By.ID, "run").click()
    chart = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "svg[data-chart='funnel']")))
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 3
    widths = [float(bar.get_attribute("width")) for bar in bars]
    assert widths[0] > widths[1] > widths[2] > 0, widths
    # Ann, Bob and 20 shoppers viewed; Ann and 10 added; Ann and 5 bought.
    notes = [t.text for t in chart.find_elements(By.CSS_SELECTOR, "text")]
    assert "22 · 100%" in notes and "11 · 50%" in notes and "6 · 27.3%" in notes, notes
    console.shoot(driver, "05-ask-funnel")


def test_ask_sorts_pages_and_downloads_csv(console, tmp_path):
    driver, editor = ask_page(console, "query", downloads=tmp_path)
    editor.send_keys("profiles | select email, plan")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(driver).until(EC.presence_of_element_located((By.ID, "result-table")))
    headers = driver.find_elements(By.CSS_SELECTOR, "#result-table th")
    names = [h.text for h in headers]
    assert names == ["email", "plan"], names
    header = headers[0]
    header.click()
    emails = [row.find_elements(By.TAG_NAME, "td")[0].text for row in driver.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")]
    known = [e for e in emails if e]
    assert known[0] == "ann@example.com" and len(known) == 22, emails
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    descending = [row.find_elements(By.TAG_NAME, "td")[0].text for row in driver.find_elements(By.CSS_SELECTOR, "#result-table tbody tr")]
    assert [e for e in descending if e] == list(reversed(known)), descending
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    driver.find_element(By.ID, "csv").click()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not list(tmp_path.glob("*.csv")):
        time.sleep(0.2)
    files = list(tmp_path.glob("*.csv"))
    assert files, "the CSV was downloaded"
    lines = files[0].read_text().strip().splitlines()
    assert lines[0] == "email,plan"
    profiles = console.client.post("/v1/query", key=console.a.keys["query"], json_body={"q": "profiles | count"}).json()["rows"][0][0]
    assert len(lines) == 1 + profiles, (len(lines), profiles)
    assert "ann@example.com,pro" in lines


def test_a_key_without_the_query_scope_sees_no_query_page(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["privacy"])
    nav = driver.find_element(By.CSS_SELECTOR, "header nav").text
    assert nav.split() == ["Privacy"], nav
    driver.get(console.base + "/profiles")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    assert "query" in driver.find_element(By.ID, "problem").text
    # Nor can its session ask over the API.
    answer = driver.execute_script("""
        return fetch('/v1/query', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}, body: JSON.stringify({q: 'profiles | count'})})
          .then(function (r) { return r.status; });""")
    assert answer == 403


def session_for(console, key: str) -> tuple[requests.Session, str]:
    """Signs in as a browser would, with requests: returns the session and its CSRF token."""
    http = requests.Session()
    page = http.get(console.base + "/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    signed = http.post(console.base + "/sign-in", data={"csrf": token, "key": key}, allow_redirects=False)
    assert signed.status_code == 303, signed.text
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie, cookie
    profiles = http.get(console.base + "/profiles")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', profiles.text).group(1)
    return http, csrf


def test_csrf_is_required_and_headers_protect_the_pages(console):
    # The sign-in form without its token is refused.
    http = requests.Session()
    refused = http.post(console.base + "/sign-in", data={"key": console.a.keys["query"]}, allow_redirects=False)
    assert refused.status_code == 403 and "security token" in refused.text
    # A form past its limit is refused on a page, in words.
    huge = http.post(console.base + "/sign-in", data={"key": "x" * 300_000}, allow_redirects=False)
    assert huge.status_code == 413 and huge.headers["content-type"].startswith("text/html") and "larger than" in huge.text
    http, csrf = session_for(console, console.a.keys["all"])
    page = http.get(console.base + "/profiles")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    # A form without the session's token does nothing.
    bob = console.profiles["bob@example.com"]
    out = http.post(console.base + "/sign-out", data={}, allow_redirects=False)
    assert out.status_code == 403 and "CSRF" in out.text
    assert http.get(console.base + "/profiles", allow_redirects=False).status_code == 200, "still signed in"
    unmerge = http.post(f"{console.base}/profiles/{bob}/unmerge", data={"merged_id": "1", "csrf": "wrong"}, allow_redirects=False)
    assert unmerge.status_code == 403
    # The API through the session cookie: a change needs the token in X-CSRF-Token.
    no_token = http.post(console.base + "/v1/query", json={"q": "profiles | count"})
    assert no_token.status_code == 403 and no_token.json()["error"]["code"] == "csrf-token-missing"
    with_token = http.post(console.base + "/v1/query", json={"q": "profiles | count"}, headers={"X-CSRF-Token": csrf})
    assert with_token.status_code == 200, with_token.text
    # Sign-out with the token ends the session, for pages and API alike.
    done = http.post(console.base + "/sign-out", data={"csrf": csrf}, allow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/sign-in"
    assert http.get(console.base + "/profiles", allow_redirects=False).headers["location"] == "/sign-in"
    assert http.post(console.base + "/v1/query", json={"q": "profiles | count"}, headers={"X-CSRF-Token": csrf}).status_code == 401


def test_an_ingest_key_opens_no_console(console):
    """An ingest key is public by design (a browser's Segment library holds one)."""
    driver = console.browser()
    driver.get(console.base + "/sign-in")
    driver.find_element(By.ID, "key").send_keys(console.a.keys["ingest"])
    driver.find_element(By.ID, "sign-in").click()
    # The answer is a new page: wait for it (the old one's elements may still be there).
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "problem"), "query or privacy scope"))
    assert all(c["name"] != "rapport_session" for c in driver.get_cookies())


def test_a_wrong_key_is_refused_in_words(console):
    driver = console.browser()
    driver.get(console.base + "/sign-in")
    driver.find_element(By.ID, "key").send_keys("rapport_notakey")
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(EC.text_to_be_present_in_element((By.ID, "problem"), "not valid"))
    assert not driver.get_cookies() or all(c["name"] != "rapport_session" for c in driver.get_cookies())


def test_one_tenant_never_sees_another(console):
    http, _ = session_for(console, console.a.keys["query"])
    found = http.get(console.base + "/profiles?kind=email&value=carol%40example.com")
    assert "No profile holds" in found.text
    http_b, csrf_b = session_for(console, console.b.keys["query"])
    carol = http_b.get(console.base + "/profiles?kind=email&value=carol%40example.com", allow_redirects=False)
    assert carol.status_code == 303
    page = http_b.get(console.base + carol.headers["location"])
    assert "carol@example.com" in page.text and "ann@example.com" not in page.text
    answer = http_b.post(console.base + "/v1/query", json={"q": "profiles | select email"}, headers={"X-CSRF-Token": csrf_b}).json()
    assert [row[0] for row in answer["rows"]] == ["carol@example.com"]


def file_request(console, driver, kind: str, email: str) -> None:
    """Fills the privacy centre's form for `email` and submits it."""
    driver.get(console.base + "/privacy")
    Select(driver.find_element(By.ID, "type")).select_by_value(kind)
    Select(driver.find_element(By.ID, "subject-kind")).select_by_value("email")
    driver.find_element(By.ID, "subject-value").send_keys(email)
    driver.find_element(By.ID, "file-request").click()


def wait_for_request(driver, console, request_id: str, seconds: float = 90) -> None:
    """Waits on the privacy page (which follows open requests and reloads) until the request ends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = driver.find_elements(By.CSS_SELECTOR, f"tr[data-request='{request_id}']")
        try:
            if rows and rows[0].get_attribute("data-status") in ("completed", "failed", "cancelled"):
                return
        except Exception:  # noqa: BLE001 - the page reloaded under us
            pass
        time.sleep(0.5)
    raise AssertionError(f"request {request_id} did not end within {seconds} s")


def test_privacy_centre_files_an_export_and_downloads_it(console, tmp_path):
    driver = console.browser()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    console.sign_in(driver, console.a.keys["all"])
    file_request(console, driver, "export", "ann@example.com")
    notice = wait(driver).until(EC.presence_of_element_located((By.ID, "outcome"))).text
    request_id = re.search(r"Request (pr_\w+) was filed", notice).group(1)
    wait_for_request(driver, console, request_id)
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-request='{request_id}']")
    assert row.get_attribute("data-status") == "completed", row.text
    row.find_element(By.CSS_SELECTOR, "a.download").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not [p for p in tmp_path.iterdir() if p.suffix == ".json"]:
        time.sleep(0.2)
    files = [p for p in tmp_path.iterdir() if p.suffix == ".json"]
    assert files, "the export was downloaded"
    exported = files[0].read_text()
    assert "ann@example.com" in exported and "Product Viewed" in exported
    audit = driver.find_element(By.ID, "audit").text
    assert "privacy.export" in audit
    assert_inert(driver)
    console.shoot(driver, "07-privacy")


def test_an_erasure_says_what_it_reaches_then_completes(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["all"])
    file_request(console, driver, "erasure", "shopper3@example.com")
    # Nothing is filed before the confirmation, which says what the erasure reaches.
    wait(driver).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Confirm the erasure"))
    assert driver.find_element(By.ID, "reach-profiles").text == "1 profile"
    assert driver.find_element(By.ID, "reach-identifiers").text == "2 identifiers"
    assert driver.find_element(By.ID, "reach-events").text == "2 events"
    console.shoot(driver, "08-confirm-erasure")
    listed = console.client.get("/v1/privacy/requests", key=console.a.keys["privacy"]).json()["requests"]
    assert not [r for r in listed if r["type"] == "erasure"], "nothing was filed before the confirmation"
    driver.find_element(By.ID, "confirm-erasure").click()
    notice = wait(driver).until(EC.presence_of_element_located((By.ID, "outcome"))).text
    request_id = re.search(r"Request (pr_\w+) was filed", notice).group(1)
    wait_for_request(driver, console, request_id)
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-request='{request_id}']")
    assert row.get_attribute("data-status") == "completed", row.text
    assert "shopper3@example.com" not in row.text, "a finished request keeps only the subject's kind"
    driver.get(console.base + "/profiles?kind=email&value=shopper3%40example.com")
    assert "No profile holds" in driver.find_element(By.ID, "outcome").text


def test_a_query_only_key_sees_no_privacy_page(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["query"])
    assert "Privacy" not in driver.find_element(By.CSS_SELECTOR, "header nav").text
    driver.get(console.base + "/privacy")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    http, csrf = session_for(console, console.a.keys["query"])
    filed = http.post(console.base + "/privacy/requests", data={"csrf": csrf, "type": "erasure", "kind": "email",
                                                                "value": "ann@example.com", "confirmed": "yes"}, allow_redirects=False)
    assert filed.status_code == 403 and "privacy" in filed.text


def test_settings_that_are_not_json_are_refused_in_words(console):
    http, csrf = session_for(console, console.a.keys["all"])
    bad = http.post(console.base + "/privacy/settings", data={"csrf": csrf, "settings": "{purposes: nope"}, allow_redirects=False)
    assert bad.status_code == 400 and "not valid JSON" in bad.text
    page = http.get(console.base + "/privacy").text
    good = re.search(r'<textarea id="settings"[^>]*>([^<]*)</textarea>', page).group(1)
    import html
    saved = http.post(console.base + "/privacy/settings", data={"csrf": csrf, "settings": html.unescape(good)}, allow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/privacy?saved=1"


def test_segments_page_lists_definitions_and_members(console):
    saved = console.client.post("/v1/query", key=console.a.keys["query"],
                                json_body={"q": 'segment pros = profiles | where plan = "pro"; metric spend = sum(`Order Completed`.revenue)'})
    assert saved.status == 200, saved.short()
    driver = console.browser()
    console.sign_in(driver, console.a.keys["query"])
    driver.get(console.base + "/segments")
    assert "pros" in driver.find_element(By.ID, "segments").text
    assert 'where plan = "pro"' in driver.find_element(By.ID, "segments").text
    assert "spend" in driver.find_element(By.ID, "metrics").text
    count = driver.find_element(By.CSS_SELECTOR, "#segments td[data-count='pros']")
    wait(driver).until(lambda d: count.text != "…")
    assert count.text == "1", count.text
    assert not driver.find_elements(By.ID, "syncs-h"), "syncs are the admin scope's"
    driver.find_element(By.LINK_TEXT, "pros").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "members")))
    assert driver.find_element(By.ID, "member-count").text == "1 member now."
    assert "ann@example.com" in driver.find_element(By.ID, "members").text
    console.shoot(driver, "09-segment")
    # A profile page says which saved segments hold the profile (asked after it is shown).
    driver.get(f"{console.base}/profiles/{console.profiles['ann@example.com']}")
    held = wait(driver).until(EC.presence_of_element_located((By.ID, "in-segments")))
    assert [a.text for a in held.find_elements(By.TAG_NAME, "a")] == ["pros"], held.text
    assert "no sync" in driver.find_element(By.ID, "in-syncs").text
    driver.get(f"{console.base}/profiles/{console.profiles['bob@example.com']}")
    held = wait(driver).until(EC.presence_of_element_located((By.ID, "in-segments")))
    assert "none of the saved segments" in held.text
    admin = console.browser()
    console.sign_in(admin, console.a.keys["all"])
    admin.get(console.base + "/segments")
    assert admin.find_element(By.ID, "syncs-h").text == "Syncs"
    assert_inert(admin)


def test_data_page_counts_lists_the_catalogue_and_follows_arrivals(console):
    driver = console.browser()
    console.sign_in(driver, console.a.keys["query"])
    # A refused request is counted for the tenant whose key sent it.
    refused = console.client.post("/v1/batch", basic=console.a.keys["ingest"], json_body={"batch": [{"type": "nonsense"}]})
    assert refused.status == 400, refused.short()
    driver.get(console.base + "/data")
    assert driver.find_elements(By.ID, "rejected"), driver.find_element(By.TAG_NAME, "main").text
    assert int(driver.find_element(By.ID, "rejected").text) >= 1
    assert driver.find_element(By.ID, "last-rejection").text
    catalogue = driver.find_element(By.ID, "catalogue").text
    assert "plan" in catalogue and "Order Completed" in catalogue and HOSTILE_EVENT in catalogue
    counts = driver.find_element(By.ID, "counts").text
    assert "Profiles" in counts and "Events" in counts
    first = driver.find_element(By.CSS_SELECTOR, "#live tbody tr")
    assert first.get_attribute("data-message") and first.get_attribute("data-received")
    before = len(driver.find_elements(By.CSS_SELECTOR, "#live tbody tr"))
    driver.execute_script("window.__stayed = true")
    name = "Live <i onmouseover=\"window.__pwned='live'\">arrival</i>"
    console.ingest(console.a, [{"type": "track", "userId": "u-ann", "event": name, "messageId": "live-1", "properties": {"note": HOSTILE_IMG}}])
    wait(driver, 30).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "#live tbody tr"), "Live <i"))
    assert driver.execute_script("return window.__stayed === true"), "the event arrived without a reload"
    assert not driver.find_elements(By.CSS_SELECTOR, "#live i"), "a hostile name stays text"
    time.sleep(4)  # two more polls: what is shown is not shown twice
    rows = driver.find_elements(By.CSS_SELECTOR, "#live tbody tr")
    messages = [tr.get_attribute("data-message") for tr in rows]
    assert messages[0] == "live-1" and len(messages) == len(set(messages)) and len(messages) > before, (len(messages), before)
    from datetime import datetime
    received = [datetime.fromisoformat(tr.get_attribute("data-received").replace("Z", "+00:00")) for tr in rows]
    assert received == sorted(received, reverse=True), "newest first"
    assert_inert(driver)
    console.shoot(driver, "10-data")


def test_a_lost_server_is_said_in_words_and_the_session_survives_a_restart(console):
    driver, editor = ask_page(console, "query")
    editor.send_keys("profiles | count")
    console.server.stop()
    try:
        driver.find_element(By.ID, "run").click()
        error = wait(driver).until(EC.presence_of_element_located((By.ID, "run-error")))
        assert "could not be reached" in error.text, error.text
        assert driver.find_element(By.ID, "run").is_enabled(), "the page can run again"
    finally:
        console.server.start()
    # Sessions live in the database: the same page works again once the server is back.
    driver.find_element(By.ID, "run").click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "result-table")))
    # A 403 is said in words too: a query-only key may not save a sync.
    editor.clear()
    editor.send_keys("sync x to nowhere = profiles | select email manually")
    driver.find_element(By.ID, "run").click()
    error = wait(driver).until(EC.presence_of_element_located((By.ID, "run-error")))
    assert "admin" in error.text, error.text


def test_ask_completes_names_and_shows_explain(console):
    driver, editor = ask_page(console, "query")
    # The catalogue is fetched once the page is up; wait for a completion to be offered.
    editor.send_keys("profiles | where pla")
    offered = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#completions button")))
    assert offered.text == "plan"
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value") == "profiles | where plan"
    editor.clear()
    editor.send_keys('explain profiles | where plan = "pro" | count')
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    sql = wait(driver).until(EC.presence_of_element_located((By.ID, "sql"))).text
    assert "SELECT" in sql.upper() and "profiles" in sql


def test_ask_cancels_a_running_query(console):
    """A query held up by a lock another session keeps is cancelled from the page: the page
    says so, and the database no longer runs it."""
    import psycopg
    driver, editor = ask_page(console, "query")
    editor.send_keys('profiles | where plan = "pro" | count')
    with psycopg.connect(console.superuser_url) as holder:
        holder.execute(f'LOCK TABLE "t_{console.a.slug}".profiles IN ACCESS EXCLUSIVE MODE')
        driver.find_element(By.ID, "run").click()
        wait(driver).until(lambda d: d.find_element(By.ID, "cancel").is_enabled())
        with psycopg.connect(console.superuser_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%profiles%'").fetchone()[0]:
                time.sleep(0.1)
            assert watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0] >= 1, \
                "the query waits on the lock"
            driver.find_element(By.ID, "cancel").click()
            wait(driver).until(EC.text_to_be_present_in_element((By.ID, "status"), "Cancelled"))
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%profiles%'").fetchone()[0]:
                time.sleep(0.1)
            assert watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%profiles%'").fetchone()[0] == 0, \
                "the database stopped the query"
        holder.rollback()
    assert driver.find_element(By.ID, "run").is_enabled()


def test_every_page_fits_a_phone(console):
    driver = console.browser(width=390, height=844)
    console.sign_in(driver, console.a.keys["all"])
    for path in ("/profiles", "/ask", "/segments", "/data", "/privacy", f"/profiles/{console.profiles['bob@example.com']}",
                 f"/profiles/{console.profiles['ann@example.com']}"):
        driver.get(console.base + path)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a phone's screen"
    console.shoot(driver, "06-profile-phone")


def test_the_keyboard_alone_sorts_a_result_and_a_link_cannot_put_words_on_a_page(console):
    driver, editor = ask_page(console, "all")
    editor.send_keys("profiles | select email, plan")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait(driver).until(EC.presence_of_element_located((By.ID, "result-table")))
    # Tab from the editor's area to the table's first header, then Enter sorts by it.
    header = driver.find_elements(By.CSS_SELECTOR, "#result-table th")[0]
    for _ in range(40):
        if driver.switch_to.active_element == header:
            break
        driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element == header, "the header is reachable with Tab"
    header.send_keys(Keys.ENTER)
    assert header.get_attribute("aria-sort") == "ascending"
    header.send_keys(" ")
    assert header.get_attribute("aria-sort") == "descending"
    # The privacy page echoes only request ids.
    driver.get(console.base + "/privacy?filed=" + "Your%20account%20is%20closed")
    assert not driver.find_elements(By.ID, "outcome")
