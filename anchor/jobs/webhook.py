"""The publish step's callbacks: when a job with a callback URL finishes or fails, its result JSON is POSTed
there, signed, and retried with backoff until the newsroom's system takes it; every attempt is logged.

The body is signed with HMAC-SHA256 over its exact bytes with a secret shared with the receiver
(``ANCHOR_WEBHOOK_SECRET`` or ``--webhook-secret``); the hex digest travels in ``X-Anchor-Signature``,
and a receiver checks it with :func:`verify`.  A delivery counts as taken on any 2xx answer.  Others
(an error status, a refused connection, a timeout) are tried again after each of :data:`DELAYS`, then
the delivery is given up.  Deliveries and attempts are rows in the job store's database, so a service
restarted in the middle goes on with the ones still due.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from ..errors import AnchorError, InputError
from .store import Job, JobStore

SIGNATURE_HEADER = "X-Anchor-Signature"
SECRET_ENV = "ANCHOR_WEBHOOK_SECRET"
DELAYS = (2.0, 10.0, 30.0, 120.0)  # before the 2nd, 3rd, ... attempt: five attempts over about 3 minutes
MAX_URL = 2000
EVENTS = {"done": "job.done", "failed": "job.failed"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    url TEXT NOT NULL,
    body BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    due REAL NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, due);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    delivery_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at REAL NOT NULL,
    status INTEGER,
    error TEXT,
    seconds REAL NOT NULL
);
"""


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """Whether ``signature`` (the ``X-Anchor-Signature`` header) is this body's, signed with ``secret``."""
    return bool(signature) and hmac.compare_digest(sign(body, secret), signature.strip().lower())


def webhook_secret(given: str | None = None) -> str | None:
    return given or os.environ.get(SECRET_ENV) or None


def check_callback(url: str | None, secret: str | None) -> str | None:
    """``url`` as a job may carry it (None for none); an InputError when it is not an http(s) address or no
    secret is configured to sign what is sent there."""
    if url is None or not str(url).strip():
        return None
    url = str(url).strip()
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"回调地址应为 http:// 或 https:// 开头的网址：{url[:100]}",
                         f"the callback URL must be an http:// or https:// address: {url[:100]}")
    if not secret:
        raise InputError(f"要使用回调地址，请先设置签名密钥（环境变量 {SECRET_ENV} 或 --webhook-secret）",
                         f"a callback URL needs a signing secret: set {SECRET_ENV} or --webhook-secret")
    return url


def result_body(job: Job, folder: Path, link: Callable[[str, str], str] | None = None) -> bytes:
    """What a finished job's callback carries: the job (state, error, warnings, files with checksums and,
    from the service, download links) and each clip's JSON sidecar."""
    files = []
    clips = []
    for a in job.artifacts:
        entry = {"name": a.path, "role": a.role, "aspect": a.aspect, "bytes": a.bytes, "sha256": a.sha256}
        if link is not None:
            entry["url"] = link(job.id, a.path)
        files.append(entry)
        if a.role == "metadata":
            with contextlib.suppress(OSError, ValueError):
                clips.append(json.loads((folder / a.path).read_text(encoding="utf-8")))
    error = None if job.state == "done" else {"kind": job.error_kind, "zh": job.error_zh, "en": job.error_en}
    payload = {"event": EVENTS.get(job.state, f"job.{job.state}"),
               "job": {"id": job.id, "name": job.name, "state": job.state, "origin": job.origin,
                       "finished": job.finished, "duration": job.duration, "error": error,
                       "warnings": job.warnings, "artifacts": files},
               "clips": clips}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


class Webhooks:
    """Delivers the callbacks of one job store from a background thread (:meth:`start`); :meth:`notify`
    is the runner's ``on_change``."""

    def __init__(self, store: JobStore, secret: str | None, *, delays: tuple[float, ...] = DELAYS,
                 timeout: float = 10.0, link: Callable[[str, str], str] | None = None):
        self.store = store
        self.secret = secret
        self.delays = delays
        self.timeout = timeout
        self.link = link
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with store.connect() as db:  # the job store's own database: a delivery is recorded beside its job
            db.executescript(_SCHEMA)

    def notify(self, job: Job) -> None:
        """Queue the callback of a job that has just finished or failed (anything else: nothing)."""
        if not job.callback or job.state not in EVENTS or not self.secret:
            return
        body = result_body(job, self.store.folder, self.link)
        now = time.time()
        with self.store.connect() as db:
            db.execute("INSERT INTO deliveries (job_id, url, body, due, created) VALUES (?, ?, ?, ?, ?)",
                       (job.id, job.callback, body, now, now))
        self._wake.set()

    def start(self) -> "Webhooks":
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="anchor-webhooks", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 5)

    def drain(self, timeout: float) -> bool:
        """Deliver in this thread until nothing is pending or ``timeout`` passes (the end of a batch);
        True when nothing is left pending."""
        deadline = time.monotonic() + timeout
        while True:
            self.deliver_due()
            due = self._next_due()
            if due is None:
                return True
            wait = due - time.time()
            if time.monotonic() + max(wait, 0) > deadline:
                return False
            time.sleep(max(wait, 0.05))

    def deliver_due(self) -> int:
        """Try every delivery that is due now; returns how many were tried."""
        with self.store.connect() as db:
            rows = db.execute("SELECT * FROM deliveries WHERE state = 'pending' AND due <= ? ORDER BY due",
                              (time.time(),)).fetchall()
        for row in rows:
            self._attempt(row)
        return len(rows)

    def log(self, job_id: str) -> list[dict]:
        """The job's deliveries, newest last, each with its attempts (time, HTTP status or error)."""
        with self.store.connect() as db:
            out = []
            for d in db.execute("SELECT * FROM deliveries WHERE job_id = ? ORDER BY id", (job_id,)):
                attempts = [{"attempt": a["attempt"], "at": a["at"], "status": a["status"], "error": a["error"],
                             "seconds": a["seconds"]}
                            for a in db.execute("SELECT * FROM delivery_attempts WHERE delivery_id = ? "
                                                "ORDER BY attempt", (d["id"],))]
                out.append({"url": d["url"], "state": d["state"], "attempts": attempts,
                            "next_attempt": d["due"] if d["state"] == "pending" else None})
        return out

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except (sqlite3.Error, AnchorError):  # a busy or briefly unavailable store: try again on the next turn
                pass
            due = self._next_due()
            self._wake.wait(1.0 if due is None else min(max(due - time.time(), 0.05), 1.0))
            self._wake.clear()

    def _next_due(self) -> float | None:
        with self.store.connect() as db:
            row = db.execute("SELECT MIN(due) FROM deliveries WHERE state = 'pending'").fetchone()
        return row[0]

    def _attempt(self, row: sqlite3.Row) -> None:
        import httpx

        body = bytes(row["body"])
        headers = {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: sign(body, self.secret or ""),
                   "X-Anchor-Event": json.loads(body)["event"], "User-Agent": "anchor-webhook"}
        started = time.time()
        status, error = None, None
        try:
            answer = httpx.post(row["url"], content=body, headers=headers, timeout=self.timeout)
            status = answer.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"[:300]
        attempt = row["attempts"] + 1
        if error is None:
            state, due = "delivered", row["due"]
        elif attempt > len(self.delays):
            state, due = "failed", row["due"]
        else:
            state, due = "pending", time.time() + self.delays[attempt - 1]
        with self.store.connect() as db:
            db.execute("INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, seconds) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (row["id"], attempt, started, status, error, time.time() - started))
            db.execute("UPDATE deliveries SET attempts = ?, state = ?, due = ? WHERE id = ?",
                       (attempt, state, due, row["id"]))
