"""What the console tests share: the handle on the server and tenants, a real headless
Chromium (Selenium with Debian's chromedriver), signing in through the page, the seed data,
and the checks that hostile data stayed text."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Values that would run a script if a page put them into its HTML unescaped. Each sets
# window.__pwned, so a test can ask the page whether any of them ran.
HOSTILE_TRAIT = "</script><script>window.__pwned='trait'</script>"
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned='img';alert(1)\">"
HOSTILE_QUOTES = "O'Brien \"the quoted\" & co"
HOSTILE_EVENT = "Clicked <b onmouseover=\"window.__pwned='event'\">Buy</b>"


@dataclass
class Console:
    server: Any
    client: Any
    a: Any
    b: Any
    screenshots: Path
    database_url: str
    binary: str
    superuser_url: str = ""
    browsers: list = field(default_factory=list)
    # Each browser's TMPDIR: Chromium leaves folders of its own there, removed with it.
    scratch: list = field(default_factory=list)
    profiles: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base_url

    def browser(self, width: int = 1280, height: int = 900) -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}", "--lang=en-US"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        scratch = tempfile.mkdtemp(prefix="rapport-chromium-")
        self.scratch.append(scratch)
        service = Service("/usr/bin/chromedriver", env=dict(os.environ, TMPDIR=scratch))
        driver = webdriver.Chrome(service=service, options=options)
        driver.set_page_load_timeout(30)
        self.browsers.append(driver)
        return driver

    def quit_browsers(self) -> None:
        for driver in self.browsers:
            try:
                driver.quit()
            except Exception:  # noqa: BLE001 - a browser that already died
                pass
        self.browsers.clear()
        for scratch in self.scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        self.scratch.clear()

    def sign_in(self, driver: webdriver.Chrome, key: str) -> None:
        driver.get(self.base + "/sign-in")
        driver.find_element(By.ID, "key").send_keys(key)
        driver.find_element(By.ID, "sign-in").click()
        wait(driver).until(EC.presence_of_element_located((By.ID, "sign-out")))

    def shoot(self, driver: webdriver.Chrome, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    def ingest(self, tenant: Any, messages: list[dict]) -> None:
        answer = self.client.post("/v1/batch", basic=tenant.keys["ingest"], json_body={"batch": messages})
        assert answer.status == 200, answer.short()


def wait(driver: webdriver.Chrome, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def assert_inert(driver: webdriver.Chrome) -> None:
    """No hostile value became markup or ran: no script set window.__pwned, no alert is open,
    no <img src=x> or injected <b> exists, and the browser reported no Content-Security-Policy
    violation (which an injected inline handler or script would cause)."""
    assert driver.execute_script("return window.__pwned === undefined"), "a hostile value ran a script"
    try:
        driver.switch_to.alert
        raise AssertionError("a hostile value opened an alert")
    except NoAlertPresentException:
        pass
    assert not driver.find_elements(By.CSS_SELECTOR, 'img[src="x"]'), "a hostile <img> became an element"
    assert not driver.find_elements(By.CSS_SELECTOR, "b[onmouseover]"), "a hostile <b> became an element"
    # No element of the page has an event-handler attribute: the console writes none, so any
    # would have come from the data (and CSP would only stop it running, not from being there).
    handlers = driver.execute_script("""
        return Array.prototype.concat.apply([], Array.prototype.map.call(document.querySelectorAll('*'), function (el) {
          return Array.prototype.filter.call(el.attributes, function (a) { return /^on/i.test(a.name); })
            .map(function (a) { return el.tagName + ' ' + a.name; });
        }));""")
    assert not handlers, handlers
    violations = [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert not violations, violations


def iso(seconds_ago: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - seconds_ago))


def message(kind: str, **fields: Any) -> dict:
    return {"type": kind, "messageId": str(uuid.uuid4()), **fields}


def seed(console: Console) -> None:
    """Tenant A: Ann (hostile traits, 60 page views with a hostile property, a funnel she
    completes), Bob (a merge of an anonymous visitor into him), 20 shoppers for the funnel;
    tenant B: Carol, whom A must never see."""
    a, b = console.a, console.b
    batch = [
        message("identify", userId="u-ann", timestamp=iso(3600 * 24 * 3), traits={
            "email": "ann@example.com", "name": "Ann", "plan": "pro", "bio": HOSTILE_TRAIT,
            "nickname": HOSTILE_IMG, "company": HOSTILE_QUOTES}),
    ]
    for i in range(60):
        batch.append(message("track", userId="u-ann", event="Product Viewed", timestamp=iso(3600 * 24 * 2 - i * 60),
                             properties={"sku": f"sku-{i}", "note": HOSTILE_IMG}))
    batch.append(message("track", userId="u-ann", event=HOSTILE_EVENT, timestamp=iso(3600 * 20), properties={"x": 1}))
    batch.append(message("track", userId="u-ann", event="Added to Cart", timestamp=iso(3600 * 10), properties={"sku": "sku-1"}))
    batch.append(message("track", userId="u-ann", event="Order Completed", timestamp=iso(3600 * 9), properties={"revenue": 42}))
    for i in range(20):
        user = f"u-shopper-{i}"
        batch.append(message("identify", userId=user, timestamp=iso(3600 * 30), traits={"email": f"shopper{i}@example.com", "plan": "free"}))
        batch.append(message("track", userId=user, event="Product Viewed", timestamp=iso(3600 * 29), properties={"sku": "sku-9"}))
        if i % 2 == 0:
            batch.append(message("track", userId=user, event="Added to Cart", timestamp=iso(3600 * 28), properties={"sku": "sku-9"}))
        if i % 4 == 0:
            batch.append(message("track", userId=user, event="Order Completed", timestamp=iso(3600 * 27), properties={"revenue": 10}))
    # Bob: an anonymous visitor first, then known; the message that names both merges them.
    batch += [
        message("track", anonymousId="anon-bob", event="Product Viewed", timestamp=iso(3600 * 50), properties={"sku": "sku-2"}),
        message("identify", userId="u-bob", timestamp=iso(3600 * 49), traits={"email": "bob@example.com", "plan": "free"}),
        message("identify", userId="u-bob", anonymousId="anon-bob", timestamp=iso(3600 * 48), traits={"name": "Bob"}),
    ]
    console.ingest(a, batch)
    console.ingest(b, [message("identify", userId="u-carol", timestamp=iso(3600), traits={"email": "carol@example.com", "plan": "pro"})])
    for email in ("ann@example.com", "bob@example.com"):
        answer = console.client.get(f"/v1/profiles/lookup?email={email}", key=a.keys["query"])
        assert answer.status in (200, 308), answer.short()
        console.profiles[email] = answer.json()["id"] if answer.status == 200 else int(answer.headers["location"].split("/")[-1])
