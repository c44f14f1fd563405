"""A real HTTP receiver for the activation tests: it verifies each webhook's signature,
records what arrives, and can be told to misbehave (500s, 429 with Retry-After, a slow
answer, refusing or rejecting chosen records) for a while."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Arrival:
    at: float
    path: str
    headers: dict
    body: dict
    status: int
    signature_ok: bool | None


@dataclass
class Faults:
    # The next `fail` requests get `fail_status` (with Retry-After `retry_after` when set).
    fail: int = 0
    fail_status: int = 500
    retry_after: str | None = None
    # Answer after this many seconds.
    delay: float = 0.0
    # A batch holding a record for which this says True is refused whole with a 400.
    refuse: object = None
    # Records for which this says True are rejected one by one ({"rejected": [...]}).
    reject: object = None


class Receiver:
    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.arrivals: list[Arrival] = []
        self.faults = Faults()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, answer, extra = receiver.handle(self.path, dict(self.headers), raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def verify(self, headers: dict, raw: bytes, max_age: float = 300) -> bool | None:
        if self.secret is None:
            return None
        timestamp = headers.get("Rapport-Timestamp", "")
        signature = headers.get("Rapport-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age:
            return False  # a stale timestamp is rejected
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest("v1=" + expected, signature)

    def records_of(self, body: dict) -> list[dict]:
        return body.get("records") or body.get("batch") or []

    def handle(self, path: str, headers: dict, raw: bytes):
        with self.lock:
            faults = self.faults
            delay = faults.delay
        if delay:
            time.sleep(delay)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        signature_ok = self.verify(headers, raw) if "Rapport-Signature" in headers else None
        with self.lock:
            status, answer, extra = 200, {"ok": True}, {}
            records = self.records_of(body)
            if signature_ok is False:
                status, answer = 401, {"error": "bad signature"}
            elif faults.fail > 0:
                faults.fail -= 1
                status, answer = faults.fail_status, {"error": "failing on purpose"}
                if faults.retry_after is not None:
                    extra["Retry-After"] = faults.retry_after
            elif faults.refuse is not None and any(faults.refuse(r) for r in records):
                status, answer = 400, {"error": "a record is malformed"}
            elif faults.reject is not None:
                rejected = [{"message_id": r["message_id"], "error": "no such contact"} for r in records if faults.reject(r)]
                if rejected:
                    answer = {"rejected": rejected}
            self.arrivals.append(Arrival(time.time(), path, headers, body, status, signature_ok))
        return status, answer, extra

    def delivered(self) -> list[dict]:
        """Each record of every batch answered 2xx, not rejected, in arrival order."""
        with self.lock:
            out = []
            for arrival in self.arrivals:
                if not 200 <= arrival.status < 300:
                    continue
                for record in self.records_of(arrival.body):
                    if self.faults.reject is not None and self.faults.reject(record):
                        continue
                    out.append(record)
            return out

    def wait_for(self, condition, timeout: float = 30.0, what: str = "records"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; got {len(self.arrivals)} requests: "
                             + json.dumps([a.body for a in self.arrivals[-3:]])[:2000])
