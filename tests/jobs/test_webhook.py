"""The publish step's callbacks: a finished or failed job's result POSTed to a local receiver, signed with
HMAC-SHA256, retried after the receiver fails, every attempt in the job store; through the HTTP API (a
real render), through a batch manifest, and the Python client (submit, wait, download, cancel)."""

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from anchor.apps.api import create_api
from anchor.apps.service import RenderService
from anchor.client import Client, ClientError
from anchor.errors import InputError
from anchor.jobs import JobStore, Webhooks, check_callback, verify
from anchor.jobs.store import Artifact
from conftest import run_anchor

SECRET = "county-newsroom-secret"
SCRIPT = "县图书馆延长开放时间\n从今天起，县图书馆每天开放到晚上九点。\n"
QUICK = {"aspects": ["1:1"], "lead_in": 0.2, "lead_out": 0.3}


class Receiver:
    """A newsroom system's endpoint on 127.0.0.1: answers ``statuses`` in turn (then 200), keeps every request."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/anchor/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < n:
            assert time.monotonic() < deadline, f"{len(self.requests)} of {n} callbacks arrived"
            time.sleep(0.1)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver([500])  # fails once, then takes it
    yield r
    r.close()


def finished_job(store: JobStore, callback: str, ok: bool = True):
    """A job that went through the store's real life: queued, running, done (with its JSON) or failed."""
    job = store.add("k1", "library", {}, text=SCRIPT, callback=callback)
    store.claim(job.id)
    if ok:
        meta = store.folder / "library.json"
        meta.write_text(json.dumps({"title": "县图书馆延长开放时间", "duration": 4.2}, ensure_ascii=False), "utf-8")
        data = meta.read_bytes()
        store.finish(job.id, [Artifact("library.json", "metadata", None, hashlib.sha256(data).hexdigest(), len(data))],
                     ["a warning"], 3.0)
    else:
        store.fail(job.id, "input", "稿件为空", "the script is empty", 0.1)
    return store.get(job.id)


def test_a_finished_job_is_posted_signed_and_retried_after_the_receiver_fails(tmp_path, receiver):
    store = JobStore(tmp_path)
    hooks = Webhooks(store, SECRET, delays=(0.2, 0.2))
    job = finished_job(store, receiver.url)
    hooks.notify(job)
    assert hooks.drain(10)
    assert len(receiver.requests) == 2  # 500, then taken
    for headers, body in receiver.requests:
        assert verify(body, SECRET, headers["x-anchor-signature"])
        assert not verify(body, "another-secret", headers["x-anchor-signature"])
        assert headers["content-type"].startswith("application/json") and headers["x-anchor-event"] == "job.done"
    assert receiver.requests[0][1] == receiver.requests[1][1]  # the same body each time
    result = json.loads(receiver.requests[1][1])
    assert result["event"] == "job.done" and result["job"]["id"] == job.id and result["job"]["error"] is None
    assert result["job"]["artifacts"][0]["name"] == "library.json" and result["job"]["warnings"] == ["a warning"]
    assert result["clips"] == [{"title": "县图书馆延长开放时间", "duration": 4.2}]
    (delivery,) = hooks.log(job.id)
    assert delivery["state"] == "delivered" and delivery["url"] == receiver.url
    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    assert delivery["attempts"][0]["error"] == "HTTP 500"
    assert delivery["attempts"][1]["at"] - delivery["attempts"][0]["at"] >= 0.2  # it waited before trying again


def test_a_failed_job_says_why_and_an_unreachable_receiver_is_given_up_after_the_last_retry(tmp_path):
    store = JobStore(tmp_path)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/callback"
    job = finished_job(store, dead, ok=False)
    hooks = Webhooks(store, SECRET, delays=(0.1, 0.1), timeout=2)
    hooks.notify(job)
    assert hooks.drain(10)
    (delivery,) = hooks.log(job.id)
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 3
    assert all(a["status"] is None and "Connect" in a["error"] for a in delivery["attempts"])
    # a job with no callback, or one still running, sends nothing
    plain = store.add("k2", "other", {}, text=SCRIPT)
    hooks.notify(store.get(plain.id))
    assert hooks.log(plain.id) == []


def test_callback_urls_are_checked_before_any_work():
    assert check_callback(None, None) is None
    assert check_callback(" https://cms.example.cn/cb ", SECRET) == "https://cms.example.cn/cb"
    with pytest.raises(InputError) as e:
        check_callback("ftp://cms.example.cn/cb", SECRET)
    assert "回调地址" in e.value.zh and "http://" in e.value.en
    with pytest.raises(InputError) as e:
        check_callback("https://cms.example.cn/cb", None)
    assert "ANCHOR_WEBHOOK_SECRET" in e.value.zh and "signing secret" in e.value.en


def test_a_batch_manifests_callback_url_reports_each_job(tmp_path, receiver):
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"name,script,callback_url\nmissing,no-such-script.md,{receiver.url}\n", encoding="utf-8")
    result = run_anchor("batch", manifest, "--out", tmp_path / "out", "--quiet", "--webhook-secret", SECRET)
    assert result.returncode != 0  # the one job failed: its script does not exist
    receiver.wait_for(2, timeout=5)  # the batch waited for the retry before it ended
    headers, body = receiver.requests[-1]
    assert verify(body, SECRET, headers["x-anchor-signature"])
    job = json.loads(body)["job"]
    assert job["state"] == "failed" and job["name"] == "missing" and "no-such-script" in job["error"]["en"]
    refused = run_anchor("batch", manifest, "--out", tmp_path / "out2", "--quiet",
                         env={k: v for k, v in __import__("os").environ.items() if k != "ANCHOR_WEBHOOK_SECRET"})
    assert refused.returncode == 2 and "ANCHOR_WEBHOOK_SECRET" in refused.stderr
    assert not (tmp_path / "out2" / "jobs.sqlite").exists()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    service = RenderService(tmp_path_factory.mktemp("hooks"), webhook_secret=SECRET)
    yield service
    service.close()


@pytest.mark.slow
def test_a_render_through_the_api_calls_back_with_download_links(service, receiver):
    client = TestClient(create_api(service))
    job = client.post("/api/v1/jobs", json={"script": SCRIPT, "name": "hooked", "options": QUICK,
                                            "callback_url": receiver.url}).json()
    assert job["callback_url"] == receiver.url and job["callbacks"] == []
    receiver.wait_for(2, timeout=300)  # rendered, refused once (500), delivered 2 s later
    headers, body = receiver.requests[-1]
    assert verify(body, SECRET, headers["x-anchor-signature"])
    result = json.loads(body)
    files = {a["role"]: a for a in result["job"]["artifacts"]}
    assert result["event"] == "job.done" and set(files) >= {"video", "cover", "subtitles", "metadata"}
    video = client.get(files["video"]["url"])  # the link in the callback downloads the clip
    assert hashlib.sha256(video.content).hexdigest() == files["video"]["sha256"]
    assert result["clips"][0]["title"] == "县图书馆延长开放时间" and result["clips"][0]["aspects"]["1:1"]["aigc"]
    for _ in range(50):
        shown = client.get(job["url"]).json()["callbacks"]
        if shown and shown[0]["state"] == "delivered":
            break
        time.sleep(0.1)
    assert [a["status"] for a in shown[0]["attempts"]] == [500, 200]
    refused = client.post("/api/v1/jobs", json={"script": SCRIPT, "callback_url": "file:///etc/passwd"})
    assert refused.status_code == 422 and "回调地址" in refused.json()["zh"]


@pytest.mark.slow
def test_the_python_client_submits_waits_downloads_and_cancels(service, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_api(service, api_key="k3y"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        with Client(f"http://127.0.0.1:{port}", api_key="k3y") as studio:
            job = studio.submit(SCRIPT, options=QUICK, name="client-clip")
            later = studio.submit(SCRIPT.replace("九点", "十点"), options=QUICK)
            assert studio.cancel(later["id"])["state"] == "cancelled"
            with pytest.raises(ClientError) as e:
                studio.wait(later["id"], timeout=5)
            assert e.value.en == "cancelled"
            done = studio.wait(job["id"], timeout=300, poll=0.5)
            paths = studio.download(done["id"], tmp_path / "dl")
            assert {p.name for p in paths} == {Path(a["name"]).name for a in done["artifacts"]}
            video = next(p for p in paths if p.suffix == ".mp4")
            assert video.name == "client-clip.mp4" and video.stat().st_size > 10_000
            assert not list((tmp_path / "dl").glob(".*.partial"))
        with Client(f"http://127.0.0.1:{port}", api_key="wrong") as stranger, pytest.raises(ClientError) as e:
            stranger.job(job["id"])
        assert e.value.status == 401 and "API 密钥" in e.value.zh
    finally:
        server.should_exit = True
        thread.join(timeout=10)
