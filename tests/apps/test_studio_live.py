"""The studio's 直播 tab: the stream's routes, the queue's buttons on a real queue, the health panel, the channel's
command, and the channel started, fed, played by the bundled hls.js and stopped in a real browser."""

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from anchor.apps.studio import live as tab
from anchor.errors import InputError
from anchor.live import LiveQueue

STORY = ("县图书馆延长开放时间", "从今天起，县图书馆每天开放到晚上九点。")


# --------------------------------------------------------------------------- routes


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from anchor.apps.service import RenderService
    from anchor.apps.web import create_app

    service = RenderService(tmp_path_factory.mktemp("studio"))
    with TestClient(create_app(service)) as c:
        yield c, service.out_dir
    service.close()


def test_the_stream_is_served_from_the_live_folder(client):
    c, out = client
    hls = tab.live_dirs(out)[2]
    assert c.get("/live/hls/index.m3u8").status_code == 404  # no channel yet: the player tries again
    hls.mkdir(parents=True, exist_ok=True)
    (hls / "index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:4\nseg00001.ts\n")
    (hls / "seg00001.ts").write_bytes(b"G" + bytes(187))
    for root in ("", "/en"):
        r = c.get(f"{root}/live/hls/index.m3u8")
        assert r.status_code == 200 and r.text.startswith("#EXTM3U") and "no-cache" in r.headers["cache-control"]
        assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
        r = c.get(f"{root}/live/hls/seg00001.ts")
        assert r.status_code == 200 and r.content == b"G" + bytes(187) and r.headers["content-type"] == "video/mp2t"


def test_only_stream_files_are_served(client):
    c, out = client
    live, _, hls = tab.live_dirs(out)
    hls.mkdir(parents=True, exist_ok=True)
    (live / "live.json").write_text("{}")
    (hls / "notes.txt").write_text("secret")
    for name in ("..%2Flive.json", "%2E%2E%2Flive.json", "notes.txt", ".hidden.m3u8", "..%2F..%2Fetc%2Fpasswd",
                 "%2Fetc%2Fpasswd"):
        assert c.get(f"/live/hls/{name}").status_code == 404, name
    assert c.get("/live/hls/../live.json").status_code == 404


def test_the_player_is_served_from_this_machine(client):
    c, _ = client
    r = c.get("/live-player/hls.min.js")
    assert tab.PLAYER_JS.is_file(), "bash setup.sh bundles hls.js"
    assert r.status_code == 200 and r.content == tab.PLAYER_JS.read_bytes()
    assert r.headers["content-type"].startswith("text/javascript") and b"Hls" in r.content[:200_000]


def test_with_a_login_the_stream_needs_it(tmp_path):
    from fastapi.testclient import TestClient

    from anchor.apps.service import RenderService
    from anchor.apps.web import create_app

    service = RenderService(tmp_path / "studio")
    try:
        with TestClient(create_app(service, ("editor", "pw"), "key-1")) as c:
            assert c.get("/live/hls/index.m3u8").status_code == 401
            assert c.get("/live-player/hls.min.js", auth=("editor", "wrong")).status_code == 401
            assert c.get("/live/hls/index.m3u8", auth=("editor", "pw")).status_code == 404  # let in; no stream yet
            assert c.get("/live/hls/index.m3u8", headers={"X-API-Key": "key-1"}).status_code == 404
            assert c.post("/login", data={"username": "editor", "password": "pw"}).status_code == 200
            assert c.get("/live/hls/index.m3u8").status_code == 404  # the studio's login cookie is enough
    finally:
        service.close()


# --------------------------------------------------------------------------- the playlist and the queue


def _queue_with_stories(tmp_path, n=3):
    live, playlist, _ = tab.live_dirs(tmp_path)
    queue = LiveQueue(live)
    items = []
    for k in range(n):
        path, title = tab.add_script(playlist, f"{STORY[0]}（{k + 1}）", STORY[1])
        items.append(queue.add(path))
    return live, queue, items


def test_a_pasted_story_becomes_a_script_file_the_channel_reads(tmp_path):
    from anchor.script import load_script

    _, playlist, _ = tab.live_dirs(tmp_path)
    path, title = tab.add_script(playlist, "突发：暴雨预警 #1", STORY[1], urgent=True)
    assert path.parent == playlist and path.suffix == ".md" and title == "突发：暴雨预警 #1"
    assert not [p for p in playlist.iterdir() if p.name.startswith(".")]  # written atomically, no leftovers
    story = load_script(path)
    assert story.title == "突发：暴雨预警 #1" and story.urgent and "九点" in "".join(story.paragraphs)
    assert "urgent" not in tab.script_text(*STORY) and tab.script_text(*STORY).startswith("---\ntitle: ")
    for title, body, message in (("", STORY[1], "headline"), (STORY[0], "  ", "no body text")):
        with pytest.raises(InputError, match=message):
            tab.add_script(playlist, title, body)
    assert len(list(playlist.iterdir())) == 1


def test_the_queue_buttons_change_the_running_order(tmp_path):
    live, queue, (a, b, c) = _queue_with_stories(tmp_path)
    rows, ids = tab.queue_view(live, "zh")
    assert ids == [a.id, b.id, c.id] and [r[0] for r in rows] == ["1", "2", "3"] and rows[0][2] == "待生成"
    assert "下移" in tab.queue_action(live, a.id, "down", "zh")
    assert [i.id for i in queue.pending()] == [b.id, a.id, c.id]
    tab.queue_action(live, c.id, "up", "en")
    assert [i.id for i in queue.pending()] == [b.id, c.id, a.id]
    assert "Mark urgent" in tab.queue_action(live, a.id, "urgent", "en")
    rows, ids = tab.queue_view(live, "en")
    assert ids[0] == a.id and rows[0][3] == "Urgent" and [r[3] for r in rows[1:]] == ["", ""]
    assert "取消紧急" in tab.queue_action(live, a.id, "urgent", "zh")  # the same button takes it back
    assert not queue.get(a.id).urgent
    tab.queue_action(live, b.id, "remove", "zh")
    assert [i.id for i in queue.pending()] == [c.id, a.id] and queue.get(b.id).state == "removed"
    with pytest.raises(InputError, match="no longer waiting"):
        tab.queue_action(live, b.id, "up", "en")
    with pytest.raises(InputError, match="pick an item"):
        tab.queue_action(live, None, "up", "en")
    queue.set_state(c.id, "on_air")
    rows, ids = tab.queue_view(live, "zh")
    assert rows[0][0] == "▶" and rows[0][2] == "播出中" and ids == [c.id, a.id]


def test_a_script_that_cannot_be_read_is_listed_with_its_reason(tmp_path):
    live, queue, _ = _queue_with_stories(tmp_path, 1)
    broken = tab.live_dirs(tmp_path)[1] / "broken.txt"
    broken.write_text("只有标题\n", encoding="utf-8")
    queue.add(broken)
    rows, _ = tab.queue_view(live, "en")
    assert rows[-1][0] == "—" and rows[-1][2].startswith("skipped: ") and "body" in rows[-1][2]


# --------------------------------------------------------------------------- health and the channel's command


SAMPLE = {"state": "on_air", "on_air": {"id": 3, "title": "县图书馆延长开放时间", "elapsed": 12.4, "duration": 31.0},
          "frames": 12345, "frames_late": 7, "frames_dropped": 1, "max_lag_ms": 38.6,
          "cpu": {"cores": 16, "playout": 1.25, "render": 3.5, "headroom": 11.25},
          "outputs": {"hls": {"ok": True, "restarts": 0}, "rtmp": {"ok": False, "restarts": 2}},
          "latency": [{"title": "县图书馆延长开放时间", "landed_to_air_s": 41.2}], "updated": 1_700_000_000.0}


def test_the_health_panel_reads_live_json():
    zh = tab.health_text(SAMPLE, "zh", now=SAMPLE["updated"] + 1)
    for said in ("播出中", "《县图书馆延长开放时间》 12 / 31 s", "12,345", "7 / 1", "39 ms", "播出 1.25", "生成 3.50",
                 "余量 11.25 / 16", "HLS 正常", "RTMP 中断（重启 2 次）", "41 s"):
        assert said in zh, said
    assert "⚠️" not in zh
    en = tab.health_text(SAMPLE, "en", now=SAMPLE["updated"] + 30)
    for said in ("on air", "headroom 11.25 of 16", "HLS ok", "RTMP down (2 restarts)", "⚠️ 30 s ago"):
        assert said in en, said
    interval = tab.health_text({**SAMPLE, "state": "interval", "on_air": None}, "zh", now=SAMPLE["updated"])
    assert "待播中" in interval and "下一条生成中" in interval
    assert "未开始" in tab.health_text(None, "zh", running=False)
    assert "starting" in tab.health_text(None, "en", running=True)
    stopped = tab.health_text({"state": "stopped", "updated": 1.0}, "en", now=1e9)
    assert "stopped" in stopped and "ago" not in stopped


def test_the_channel_command_and_one_channel_per_studio(tmp_path, monkeypatch):
    live = tab.live_dirs(tmp_path)[0]
    command = tab.channel_command(live, "16:9", loop=True)
    assert command[:4] == [sys.executable, "-m", "anchor.apps.cli", "live"]
    assert command[4:] == [str(live / "playlist"), "--hls", str(live / "hls"), "--out", str(live), "--aspect", "16:9",
                           "--loop"]
    assert "--loop" not in tab.channel_command(live)
    with pytest.raises(InputError):
        tab.channel_command(live, "1:1")

    # a stand-in for the channel that lives until SIGTERM, named like it: start, refuse a second, stop
    started = []
    stand_in = [sys.executable, "-c", "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0));"
                " [time.sleep(0.1) for _ in range(600)]", "live"]
    monkeypatch.setattr(tab, "channel_command", lambda *a: started.append(a) or stand_in)
    (live / "hls").mkdir(parents=True)
    (live / "hls" / "index.m3u8").write_text("#EXTM3U\n")  # a stopped channel's stream is not shown as live
    pid, fresh = tab.start_channel(live, "9:16", False)
    try:
        assert fresh and tab.running_pid(live) == pid and (live / "live.pid").read_text() == str(pid)
        assert not (live / "hls" / "index.m3u8").exists() and (live / "playlist").is_dir()
        assert tab.start_channel(live, "16:9", True) == (pid, False) and len(started) == 1
        assert os.getpgid(pid) == pid  # its own session: the studio's Ctrl-C does not reach it
        assert "进程 %d" % pid in tab.channel_status(live, "zh")
        tab._children.pop(live)  # a new studio: only live.pid says a channel runs
        assert tab.running_pid(live) == pid
        assert tab.stop_channel(live) and tab.running_pid(live) is None
        assert not tab.stop_channel(live) and "not running" in tab.channel_status(live, "en")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------- the channel in a real browser


@contextlib.contextmanager
def _studio_server(tmp_path):
    """The studio in its own process on a free port, its output (and so its channel) under ``tmp_path``."""
    from test_studio import start_studio

    out = tmp_path / "studio"
    server, url = start_studio(out)
    try:
        yield {"url": url, "out": out.resolve()}
    finally:
        tab.stop_channel((out / "live").resolve())  # a failed test leaves no channel running
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_start_feed_watch_and_stop_the_channel_in_the_browser(tmp_path):
    from test_studio import CHROMIUM, CHROMIUM_ARGS, _screenshot

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: bash setup.sh test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with _studio_server(tmp_path) as studio, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        offsite = []
        page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith((studio["url"], "data:", "blob:"))
                else None)
        page.goto(studio["url"] + "/")
        page.get_by_role("tab", name="直播").click()
        page.locator("#live-start").click()
        page.wait_for_function("() => /直播已开始|直播进行中/.test(document.querySelector('#live-status').innerText)",
                               timeout=30_000)
        page.locator("#live-title textarea, #live-title input").first.fill(STORY[0])
        page.locator("#live-body textarea").fill(STORY[1])
        page.locator("#live-add").click()
        page.locator("#live-added").get_by_text("已加入播单").wait_for(timeout=30_000)
        page.wait_for_function("() => document.querySelector('#live-queue').innerText.includes('县图书馆')",
                               timeout=60_000)
        page.wait_for_function("() => /播出中|待播中/.test(document.querySelector('#live-health').innerText)",
                               timeout=120_000)
        page.wait_for_function("() => document.querySelector('#live-player').currentTime > 2", timeout=120_000)
        assert page.evaluate("() => !!window.Hls")  # played by the bundled hls.js, not the browser on its own
        with contextlib.suppress(Exception):  # the picture for the README: the story itself on air, if it gets there
            page.wait_for_function("() => document.querySelector('#live-health').innerText.includes('播出中')",
                                   timeout=60_000)
        page.wait_for_timeout(1000)
        _screenshot(page, "live", tmp_path)
        page.locator("#live-stop").click()
        page.locator("#live-status").get_by_text("直播已停止").wait_for(timeout=30_000)
        live = studio["out"] / "live"
        deadline = time.monotonic() + 15
        while json.loads((live / "live.json").read_text(encoding="utf-8"))["state"] != "stopped":
            assert time.monotonic() < deadline, "live.json never said stopped"
            time.sleep(0.5)
        assert not (live / "live.pid").exists()
        browser.close()
        assert not offsite, offsite  # fully offline: hls.js and the stream came from the studio itself
