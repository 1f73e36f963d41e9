"""The 直播 Live tab: the studio's one live channel (``anchor live`` in a process of its own) started and stopped,
scripts pasted into its playlist, its running order edited (up, down, remove, urgent), its health from
``live.json``, and the stream itself played in the page by hls.js served from this machine (no CDN).

The channel lives in ``<out>/live``: ``playlist/`` is the folder it watches, ``hls/`` its stream, ``live.sqlite`` its
queue, ``live.json`` its health, ``live.pid`` and ``live.log`` the process.  A channel left running by an earlier
studio (its pid alive) is shown as running and can be stopped here.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ...errors import InputError
from ...files import write_text_atomic
from .common import Studio, stays
from .text import LIVE_STATES, TEXT, _t

PLAYER_JS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "hls.min.js"
LIVE_ASPECTS = ("9:16", "16:9")
STOP_WAIT_S = 10.0
STALE_S = 5.0

_lock = threading.Lock()
_children: dict[Path, subprocess.Popen] = {}  # channels this studio started, by their folder


def live_dirs(out_dir: str | os.PathLike) -> tuple[Path, Path, Path]:
    """The channel's folder, the playlist folder it watches and its HLS folder, under the studio's output."""
    live = Path(out_dir) / "live"
    return live, live / "playlist", live / "hls"


def channel_command(live: Path, aspect: str = "9:16", loop: bool = False) -> list[str]:
    if aspect not in LIVE_ASPECTS:
        raise InputError(f"直播画面只能是 {' 或 '.join(LIVE_ASPECTS)}", f"the live picture is {' or '.join(LIVE_ASPECTS)}")
    _, playlist, hls = live_dirs(live.parent)
    return [sys.executable, "-m", "anchor.apps.cli", "live", str(playlist), "--hls", str(hls), "--out", str(live),
            "--aspect", aspect] + (["--loop"] if loop else [])


def running_pid(live: Path) -> int | None:
    """The pid of the channel running on ``live`` (started here or by an earlier studio), else None."""
    child = _children.get(live)
    if child is not None:
        if child.poll() is None:
            return child.pid
        return None
    try:
        pid = int((live / "live.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    import psutil

    try:
        proc = psutil.Process(pid)
        alive = proc.status() != psutil.STATUS_ZOMBIE and "live" in proc.cmdline()
    except psutil.Error:
        return None
    return pid if alive else None


def start_channel(live: Path, aspect: str = "9:16", loop: bool = False) -> tuple[int, bool]:
    """Start the channel (one per studio): (its pid, True), or (the pid already running, False)."""
    with _lock:
        pid = running_pid(live)
        if pid is not None:
            return pid, False
        command = channel_command(live, aspect, loop)
        _, playlist, hls = live_dirs(live.parent)
        for folder in (playlist, hls):
            folder.mkdir(parents=True, exist_ok=True)
        for stale in [*hls.glob("*.m3u8"), *hls.glob("*.ts")]:  # a stopped channel's stream must not play as live
            stale.unlink(missing_ok=True)
        (live / "live.json").unlink(missing_ok=True)
        with open(live / "live.log", "ab") as log:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        _children[live] = child
        write_text_atomic(live / "live.pid", str(child.pid))
        return child.pid, True


def stop_channel(live: Path, wait: float = STOP_WAIT_S) -> bool:
    """SIGTERM to the channel and up to ``wait`` s for it to end (then its whole session is killed); False when
    none was running."""
    import psutil

    with _lock:
        pid = running_pid(live)
        if pid is None:
            return False
        child = _children.get(live)
        try:
            os.kill(pid, signal.SIGTERM)
            (child.wait if child is not None else psutil.Process(pid).wait)(timeout=wait)
        except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
            if os.getpgid(pid) == pid:  # started with start_new_session: the channel, its encoder and renderer
                os.killpg(pid, signal.SIGKILL)
            if child is not None:
                child.wait(timeout=5)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
        return True


def log_tail(live: Path, lines: int = 6) -> str:
    try:
        text = (live / "live.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def channel_status(live: Path, lang: str) -> str:
    pid = running_pid(live)
    if pid is not None:
        return _t("live_running", lang, pid=pid)
    child = _children.get(live)
    if child is not None and child.returncode not in (None, 0, -signal.SIGTERM):
        tail = log_tail(live)
        return _t("live_exited", lang, rc=child.returncode, tail="\n".join(f"    {line}" for line in tail.splitlines()))
    stopped = (read_health(live) or {}).get("state") == "stopped"  # its last word: it ended cleanly
    return _t("live_stopped" if stopped else "live_not_running", lang)


# ------------------------------------------------------------------ the playlist and the queue

def script_text(title: str, body: str, urgent: bool = False) -> str:
    """A pasted story as a Markdown script with front matter (the format every studio script may use)."""
    import yaml

    fields = {"title": (title or "").strip(), **({"urgent": True} if urgent else {})}
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False).strip()
    return f"---\n{front}\n---\n{(body or '').strip()}\n"


def add_script(playlist: Path, title: str, body: str, urgent: bool = False) -> tuple[Path, str]:
    """Check the story, then write it into the playlist folder (atomically: the channel sees it whole)."""
    from ..intake import check_script

    if not (title or "").strip():
        raise InputError("请填写标题", "write a headline")
    text = script_text(title, body, urgent)
    script = check_script(text, ".md")
    playlist.mkdir(parents=True, exist_ok=True)
    path = playlist / f"studio-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}.md"
    write_text_atomic(path, text)
    return path, script.title


def queue_view(live: Path, lang: str) -> tuple[list[list[str]], list[int]]:
    """The table's rows (order, headline, state, urgent) and the item id of each row: what is on air, then what
    waits, in the order it will go, then the last few scripts skipped with their reason."""
    from ...live import PENDING, LiveQueue

    if not (live / "live.sqlite").is_file():
        return [], []
    queue = LiveQueue(live)
    on_air = queue.items(("on_air",))
    skipped = sorted(queue.items(("skipped",)), key=lambda i: -i.landed)[:5]
    state = lambda i: LIVE_STATES[i.state][0 if lang == "zh" else 1]  # noqa: E731
    urgent = _t("live_urgent", lang).split("（")[0].split(" (")[0]
    rows, ids = [], []
    for n, item in enumerate([*on_air, *queue.items(PENDING), *skipped]):
        order = "▶" if item.state == "on_air" else ("—" if item.state == "skipped" else str(n + 1 - len(on_air)))
        shown = state(item) + (f"：{item.reason}" if lang == "zh" else f": {item.reason}") * bool(item.reason)
        rows.append([order, item.title, shown, urgent if item.urgent else ""])
        ids.append(item.id)
    return rows, ids


def queue_action(live: Path, item_id: int | None, action: str, lang: str) -> str:
    """One of the operator's changes (up, down, remove, urgent: a toggle) on the picked item; what was done."""
    from ...live import PENDING, LiveQueue

    if item_id is None:
        raise InputError(_t("live_pick_first", "zh"), _t("live_pick_first", "en"))
    queue = LiveQueue(live)
    try:
        item = queue.get(item_id)
    except KeyError:
        item = None
    if item is None or item.state not in PENDING:
        raise InputError(_t("live_gone", "zh"), _t("live_gone", "en"))
    if action in ("up", "down"):
        queue.move(item_id, -1 if action == "up" else 1)
    elif action == "remove":
        queue.remove(item_id)
        if queue.get(item_id).state != "removed":  # being made into a clip right now: it stays
            raise InputError(_t("live_gone", "zh"), _t("live_gone", "en"))
    elif action == "urgent":
        queue.mark_urgent(item_id, not item.urgent)
    else:
        raise ValueError(action)
    word = {"up": "live_up", "down": "live_down", "remove": "live_remove",
            "urgent": "live_unmark_urgent" if item.urgent else "live_mark_urgent"}[action]
    return f"{_t(word, lang)}：《{item.title}》" if lang == "zh" else f"{_t(word, lang)}: \"{item.title}\""


# ------------------------------------------------------------------ health

def read_health(live: Path) -> dict | None:
    import json

    try:
        return json.loads((live / "live.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def health_text(health: dict | None, lang: str, now: float | None = None, running: bool = True) -> str:
    """live.json as the health panel shows it: what is on air, frames, late and dropped, lag, CPU, outputs."""
    t = lambda key, **v: _t(key, lang, **v)  # noqa: E731
    if health is None:
        return t("live_no_health") if not running else f"- **{t('live_h_state')}**：{LIVE_STATES['starting'][lang != 'zh']}"
    sep = "：" if lang == "zh" else ": "
    line = lambda key, value: f"- **{t(key)}**{sep}{value}"  # noqa: E731
    state = health.get("state") or "starting"
    lines = [line("live_h_state", LIVE_STATES.get(state, (state, state))[lang != "zh"])]
    on_air = health.get("on_air")
    if on_air:
        lines.append(line("live_h_on_air", f"《{on_air.get('title', '')}》 {on_air.get('elapsed') or 0:.0f} / "
                                           f"{on_air.get('duration') or 0:.0f} s"))
    elif state == "interval":
        lines.append(line("live_h_on_air", t("live_h_interval")))
    lines += [line("live_h_frames", f"{health.get('frames', 0):,}"),
              line("live_h_late", f"{health.get('frames_late', 0):,} / {health.get('frames_dropped', 0):,}"),
              line("live_h_lag", f"{health.get('max_lag_ms', 0):.0f} ms")]
    cpu = health.get("cpu") or {}
    if cpu:
        lines.append(line("live_h_cpu", t("live_h_cpu_value", **{k: cpu.get(k, 0) for k in
                                                                  ("playout", "render", "headroom", "cores")})))
    outputs = []
    for name, out in (health.get("outputs") or {}).items():
        restarts = out.get("restarts") or 0
        outputs.append(f"{name.upper()} {t('live_h_ok' if out.get('ok') else 'live_h_down')}"
                       + (f"（{t('live_h_restarts', n=restarts)}）" if lang == "zh" and restarts else "")
                       + (f" ({t('live_h_restarts', n=restarts)})" if lang != "zh" and restarts else ""))
    lines.append(line("live_h_outputs", " · ".join(outputs) or t("live_h_none")))
    latency = health.get("latency") or []
    if latency:
        lines.append(line("live_h_latency", " · ".join(f"《{x.get('title', '')}》 {x.get('landed_to_air_s', 0):.0f} s"
                                                         for x in latency[-3:])))
    updated = health.get("updated")
    if updated:
        age = (now if now is not None else time.time()) - updated
        stamp = time.strftime("%H:%M:%S", time.localtime(updated))
        lines.append(line("live_h_updated", stamp + (f" {t('live_h_stale', s=age)}" if age > STALE_S and
                                                     state != "stopped" else "")))
    return "\n".join(lines)


# ------------------------------------------------------------------ the player

def player_html(prefix: str, missing: str) -> str:
    """The <video> the player script attaches to; ``prefix`` is the page's root ("" or "/en": its login cookie's
    path, so the stream is fetched under it); ``missing`` is said when hls.js cannot be loaded."""
    import html

    return (f'<div id="live-player-box"><video id="live-player" muted autoplay playsinline controls '
            f'data-src="{prefix}/live/hls/index.m3u8" data-lib="{prefix}/live-player/hls.min.js" '
            f'style="width:100%;max-height:640px;background:#111"></video>'
            f'<p class="live-player-note" hidden data-missing="{html.escape(missing)}"></p></div>')


# hls.js on the <video>; it tries again every 3 s while there is no stream yet, and starts over when the picture
# has stood still for 10 s (the channel restarted).  Without hls.js: the browser's own HLS, if it has one.
PLAYER_LOAD = """
const video = element.querySelector('#live-player'), note = element.querySelector('.live-player-note');
const src = video.dataset.src;
let hls = null, timer = null, last = -1, still = 0;
const retry = () => { clearTimeout(timer); timer = setTimeout(attach, 3000); };
function attach() {
  if (!element.isConnected) return;
  if (hls) { hls.destroy(); hls = null; }
  if (window.Hls && window.Hls.isSupported()) {
    hls = new window.Hls({liveDurationInfinity: true, manifestLoadingMaxRetry: 0, levelLoadingMaxRetry: 2});
    hls.on(window.Hls.Events.ERROR, (e, d) => { if (d.fatal) retry(); });
    hls.on(window.Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.onerror = retry;
    video.src = src + '?t=' + Date.now();
    video.play().catch(() => {});
  }
}
setInterval(() => {
  if (!element.isConnected || video.paused && video.currentTime > 0) return;
  still = video.currentTime === last ? still + 1 : 0;
  last = video.currentTime;
  if (still >= 5) { still = 0; attach(); }
}, 2000);
if (window.Hls) attach();
else {
  const lib = document.createElement('script');
  lib.src = video.dataset.lib;
  lib.onload = attach;
  lib.onerror = () => { note.textContent = note.dataset.missing; note.hidden = false; attach(); };
  document.head.appendChild(lib);
}
"""


def build(studio: Studio):
    """The live tab's components and events (inside an open ``gr.Tab``); returns its gr.Timer, which the page
    runs only while the tab is shown."""
    import gradio as gr

    t, lang = studio.t, studio.lang
    live, playlist, _ = live_dirs(studio.service.out_dir)
    gr.Markdown(t("live_intro"))
    with gr.Row():
        aspect = gr.Radio(list(LIVE_ASPECTS), value="9:16", label=t("live_aspect"), elem_id="live-aspect")
        loop = gr.Checkbox(False, label=t("live_loop"), elem_id="live-loop")
        start = gr.Button(t("live_start"), variant="primary", elem_id="live-start")
        stop = gr.Button(t("live_stop"), variant="stop", elem_id="live-stop")
    status = gr.Markdown(channel_status(live, lang), elem_id="live-status")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            title = gr.Textbox(label=t("live_title"), elem_id="live-title")
            body = gr.Textbox(label=t("live_body"), lines=6, elem_id="live-body")
            urgent = gr.Checkbox(False, label=t("live_urgent"), elem_id="live-urgent")
            add = gr.Button(t("live_add"), elem_id="live-add")
            added = gr.Markdown(elem_id="live-added")
            table = gr.Dataframe(headers=studio.pick(TEXT["live_columns"]), label=t("live_queue"), interactive=False,
                                 wrap=True, elem_id="live-queue")
            picked_note = gr.Markdown(elem_id="live-picked")
            with gr.Row():
                buttons = {action: gr.Button(t(word), size="sm", elem_id=f"live-queue-{action}") for action, word in
                           (("up", "live_up"), ("down", "live_down"), ("remove", "live_remove"),
                            ("urgent", "live_mark_urgent"))}
        with gr.Column(scale=2):
            gr.Markdown(f"**{t('live_player')}**")
            gr.Markdown(t("live_no_player"), visible=not PLAYER_JS.is_file(), elem_id="live-no-player")
            gr.HTML(player_html("/en" if lang == "en" else "", t("live_no_player")), js_on_load=PLAYER_LOAD,
                    elem_id="live-player-html")
            gr.Markdown(f"**{t('live_health')}**")
            health = gr.Markdown(elem_id="live-health")
    ids = gr.State([])
    picked = gr.State(None)
    timer = gr.Timer(2.0, active=False)

    def refresh():
        pid = running_pid(live)
        rows, row_ids = queue_view(live, lang)
        shown = health_text(read_health(live), lang, running=pid is not None) if pid or read_health(live) \
            else t("live_no_health")
        return channel_status(live, lang), shown, rows or None, row_ids

    def on_start(aspect, loop):
        pid, fresh = start_channel(live, aspect, bool(loop))
        return t("live_started" if fresh else "live_already", pid=pid)

    def on_stop():
        return t("live_stopped" if stop_channel(live) else "live_not_running")

    def on_add(title, body, urgent):
        try:
            path, headline = add_script(playlist, title, body, bool(urgent))
        except InputError as e:  # the story stays in the boxes to be fixed
            return studio.said_error(e), gr.update(), gr.update(), gr.update()
        word = "live_added" if running_pid(live) else "live_added_idle"
        return t(word, title=headline, file=path.name), "", "", False

    def on_pick(row_ids, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if row is None or row >= len(row_ids):
            return None, ""
        item_id = row_ids[row]
        from ...live import LiveQueue

        return item_id, t("live_picked", title=LiveQueue(live).get(item_id).title)

    on_pick.__annotations__["evt"] = gr.SelectData  # gr is imported here, not where Gradio looks
    outputs = [status, health, table, ids]
    start.click(stays(studio, on_start), [aspect, loop], status).then(refresh, None, outputs)
    stop.click(stays(studio, on_stop), None, status).then(refresh, None, outputs)
    add.click(on_add, [title, body, urgent], [added, title, body, urgent]).then(refresh, None, outputs)
    table.select(on_pick, ids, [picked, picked_note])
    for action, button in buttons.items():
        button.click(stays(studio, lambda item_id, action=action: queue_action(live, item_id, action, lang)), picked,
                     picked_note).then(refresh, None, outputs)
    timer.tick(refresh, None, outputs, concurrency_limit=None, show_progress="hidden")
    return timer, refresh, outputs
