"""A live channel: a playlist made into clips ahead of air and played out, without a break, as HLS and/or RTMP.

:func:`run_live` is the whole of ``anchor live``.  Three threads share the :class:`LiveQueue`:

* intake: a watched folder (each settled script joins the queue) or a manifest (re-read when it changes);
* the :class:`Prerenderer`: the next queued item made into a clip, at a lower priority;
* the playout (this thread): one frame every 1/25 s on the wall clock, from the item on air or, when the
  next one is not ready, the :class:`Interval`; the 直播 mark and the time drawn over both.

Frames are numbered, never timed by the clock: frame *n* goes on air at *n*/25 s after the start, and the
playout hands it to the encoder up to ``LiveOptions.lead_seconds`` before that, so a pause in making frames
(a clip opening, the renderer loading its models) is taken up by that lead instead of reaching the stream.
A frame handed over after its air time is counted late; the pacer then writes without waiting until it
has caught up, so the stream's time stays the wall clock's.  The channel's health goes to ``live.json``
once a second, and a line to the log for each item.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import psutil

from ..avatar import load_avatar
from ..export import aigc_json, aigc_label
from ..files import write_text_atomic
from ..graphics import SpriteLayer, live_mark_sprite, load_look
from ..jobs import read_source, settled_scripts
from ..script import FORMATS
from ..version import __version__
from .encoder import LiveEncoder, hls_output, rtmp_output, write_label
from .options import FPS, LiveOptions
from .prerender import Prerenderer
from .queue import LiveQueue
from .scenes import Bed, ClipSource, Interval


class Channel:
    def __init__(self, playlist: str | os.PathLike, out_dir: str | os.PathLike, options: LiveOptions, log=None):
        self.playlist, self.out_dir, self.options = Path(playlist), Path(out_dir), options
        self.log = log or (lambda line: print(time.strftime("%H:%M:%S"), line, file=sys.stderr, flush=True))
        self.store = LiveQueue(self.out_dir)
        self.stop = threading.Event()
        self.frames = self.late = 0
        self.max_lag = 0.0  # the latest a frame reached the encoder after its air time (0 while never late)
        self._t0: float | None = None  # the monotonic time frame 0 goes on air
        self.on_air: dict | None = None
        self.latency: list[dict] = []
        self.state = "starting"
        self._cpu = _CpuMeter()

    def run(self, seconds: float | None = None) -> dict:
        """Stream until :meth:`stop` is set (SIGTERM, Ctrl-C) or for ``seconds``; the final health."""
        if not self.playlist.exists():
            from ..errors import InputError
            raise InputError(f"找不到播单：{self.playlist}", f"playlist not found: {self.playlist}")
        self.store.recover()
        look = load_look(None, _station(self.options))
        self.look, self.language = look, "zh"
        label = aigc_label(look.station.code, f"live:{look.station.code}:{int(time.time())}")
        service = {"service_provider": look.station.name, "service_name": f"{look.station.name} {look.station.ai_label}"}
        outputs = []
        if self.options.hls_dir:
            outputs.append(hls_output(self.options.hls_dir, self.options, self.log))
            write_label(self.options.hls_dir, label)
        if self.options.rtmp_url:
            outputs.append(rtmp_output(self.options.rtmp_url, {"AIGC": aigc_json(label), "title": look.station.name,
                                                                "comment": f"anchor {__version__} live"}, self.log))
        interval = Interval(self.options.size, look, load_avatar(self.options.avatar),
                            Bed(self.options.max_silence), self.language)
        self.encoder = LiveEncoder(self.options, service, outputs).start()
        self.renderer = Prerenderer(self.store, self.out_dir / "clips", self.options, self.log).start(self.stop)
        threads = [threading.Thread(target=self._intake, daemon=True, name="live-intake"),
                   threading.Thread(target=self._report, daemon=True, name="live-health")]
        for thread in threads:
            thread.start()
        self.log(f"开始直播 / on air: {self.options.aspect}, " + ", ".join(o.name for o in outputs))
        try:
            self._play(interval, seconds)
        finally:
            self.stop.set()
            self.renderer.close()
            self.encoder.close()
            self.state = "stopped"
            health = self.health()
            self._write_health(health)
            self.log(f"停止直播 / off air after {self.frames / FPS:.1f} s: {self.late} frames late, "
                     f"{health['frames_dropped']} dropped")
        return health

    # ------------------------------------------------------------------ playout
    def _play(self, interval: Interval, seconds: float | None) -> None:
        mark, mark_second = None, None
        end = None if seconds is None else int(seconds * FPS)
        while not self.stop.is_set() and (end is None or self.frames < end):
            item = self.store.next_to_air()
            if item is None:
                self.state, self.on_air = "interval", None
                source = interval.frames([i.title for i in self.store.pending()])
            else:
                self.state = "on_air"
                self.store.set_state(item.id, "on_air")
                self.on_air = {"id": item.id, "title": item.title, "started": self._air_clock(),
                               "duration": item.duration}
                self.latency.append({"title": item.title, "landed_to_air_s": round(self._air_clock() - item.landed, 1)})
                self.log(f"播出 / on air: {item.title}")
                source = ClipSource(item.clip, interval.bed).frames()
            for frame, sound in source:
                lag = self._pace()
                second = int(self._air_clock())
                if second != mark_second:  # the clock (the frame's own time on air) changes once a second
                    mark_second = second
                    stamp = time.strftime("%H:%M:%S", time.localtime(second))
                    mark = SpriteLayer(live_mark_sprite(interval.layout, self.look, stamp), 0)
                box = mark.box
                under = frame[box.y:box.bottom, box.x:box.right].copy()  # the compositor's buffer stays its own
                mark.draw(frame, 0.0, box)
                self.encoder.write(frame, sound)
                frame[box.y:box.bottom, box.x:box.right] = under
                self.frames += 1
                if lag > 0:
                    self.late += 1
                    self.max_lag = max(self.max_lag, lag)
                if self.stop.is_set() or (end is not None and self.frames >= end):
                    break
                if item is None and not interval.fading and self.frames % FPS == 0 \
                        and self.store.next_to_air() is not None:
                    interval.fade_out()
            source.close()
            if item is not None and self.store.get(item.id).state == "on_air" and not self.stop.is_set():
                self.store.finished(item.id, self.options.loop)
        if not self.stop.is_set() and self._t0 is not None:  # the last frame is on air before the stream ends
            self.stop.wait(max(0.0, self._t0 + self.frames / FPS - time.monotonic()))

    def _pace(self) -> float:
        """Wait until frame ``self.frames`` may go to the encoder (``lead_seconds`` before its air time); how many
        seconds after its air time it goes (negative: ahead, as it should be).  The clock starts at the first
        frame, once it is made, with the lead still to fill."""
        now = time.monotonic()
        if self._t0 is None:
            self._t0, self._wall0 = now + self.options.lead_seconds, time.time() + self.options.lead_seconds
        air = self._t0 + self.frames / FPS
        if now < air - self.options.lead_seconds:
            time.sleep(air - self.options.lead_seconds - now)
        return now - air

    def _air_clock(self) -> float:
        """The time of day at which the next frame goes on air."""
        if self._t0 is None:
            return time.time() + self.options.lead_seconds
        return self._wall0 + self.frames / FPS

    # ------------------------------------------------------------------ intake
    def _intake(self) -> None:
        seen: dict = {}
        manifest_stamp = None
        while not self.stop.is_set():
            try:
                if self.playlist.is_dir():
                    paths = settled_scripts(self.playlist, seen)
                else:
                    stamp = self.playlist.stat().st_mtime_ns
                    paths = [] if stamp == manifest_stamp else self._manifest_scripts()
                    manifest_stamp = stamp
                for path in paths:
                    before = len(self.store.items())
                    item = self.store.add(path)
                    if len(self.store.items()) > before:
                        self.log(f"入队 / queued: {item.title}" + (" (紧急 urgent)" if item.urgent else "")
                                 if item.state != "skipped" else f"跳过 / skipped: {path}: {item.reason}")
            except Exception as e:  # an unreadable manifest must not stop the stream
                self.log(f"播单读取失败 / cannot read the playlist: {e}")
            self.stop.wait(self.options.poll)

    def _manifest_scripts(self) -> list[Path]:
        scripts = []
        folder = self.out_dir / "scripts"
        for entry in read_source(self.playlist):
            if entry.source and Path(entry.source).suffix.lower() in FORMATS and not entry.text:
                scripts.append(Path(entry.source))
            elif entry.text is not None:
                folder.mkdir(exist_ok=True)
                path = folder / f"{entry.name}{entry.fmt}"
                if not path.exists() or path.read_text(encoding="utf-8") != entry.text:
                    write_text_atomic(path, entry.text)
                scripts.append(path)
        return scripts

    # ------------------------------------------------------------------ health
    def health(self) -> dict:
        elapsed = max(0.0, time.monotonic() - self._t0) if self._t0 is not None else 0.0
        pids = self.encoder.pids() if hasattr(self, "encoder") else []
        render_pid = self.renderer.pid() if hasattr(self, "renderer") else None
        cpu = self._cpu.sample([os.getpid(), *pids], render_pid)
        on_air = dict(self.on_air, elapsed=round(max(0.0, time.time() - self.on_air["started"]), 1)) \
            if self.on_air else None
        start = getattr(self.encoder, "latest_start", None) if hasattr(self, "encoder") else None
        behind = start - self._t0 if start is not None and self._t0 is not None else 0.0  # the encoder's worst
        return {"state": self.state, "on_air": on_air, "seconds": round(elapsed, 1), "frames": self.frames,
                "frames_late": self.late, "frames_dropped": getattr(self.encoder, "drop_frames", 0)
                if hasattr(self, "encoder") else 0, "max_lag_ms": round(self.max_lag * 1000, 1),
                "encoder_behind_ms": round(max(0.0, behind) * 1000), "cpu": cpu,
                "cpu_mean": self._cpu.mean(),
                "outputs": {o.name: o.health() for o in getattr(self.encoder, "outputs", [])},
                "queue": [i.record() for i in self.store.items()], "latency": self.latency[-20:],
                "options": asdict(self.options), "updated": time.time()}

    def _report(self) -> None:
        while not self.stop.wait(1.0):
            self._write_health(self.health())

    def _write_health(self, health: dict) -> None:
        write_text_atomic(self.out_dir / "live.json", json.dumps(health, ensure_ascii=False, indent=1))


class _CpuMeter:
    """Cores used since the last sample: the playout (this process, its encoder and outputs) and the renderer (its
    worker and that worker's ffmpeg); the headroom is what the playout leaves, which the renderer takes when idle."""

    def __init__(self):
        self.last: dict[int, float] = {}
        self.at = time.monotonic()
        self.cores = psutil.cpu_count() or 1
        self.totals = {"playout": 0.0, "render": 0.0, "seconds": 0.0}  # core-seconds over the whole run

    def sample(self, playout: list[int], renderer: int | None) -> dict:
        now = time.monotonic()
        used = {"playout": 0.0, "render": 0.0}
        groups = [("playout", pid) for pid in playout] + [("render", pid) for pid in _with_children(renderer)]
        span = max(now - self.at, 1e-3)
        for group, pid in groups:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            total = times.user + times.system
            used[group] += max(0.0, total - self.last.get(pid, total)) / span
            self.last[pid] = total
        self.at = now
        for group in used:
            self.totals[group] += used[group] * span
        self.totals["seconds"] += span
        return self._cores(used)

    def mean(self) -> dict:
        """Cores used on average since the channel started."""
        seconds = max(self.totals["seconds"], 1e-3)
        return self._cores({group: self.totals[group] / seconds for group in ("playout", "render")})

    def _cores(self, used: dict) -> dict:
        return {"cores": self.cores, "playout": round(used["playout"], 2), "render": round(used["render"], 2),
                "headroom": round(self.cores - used["playout"], 2)}


def _with_children(pid: int | None) -> list[int]:
    """``pid`` and every process under it (the renderer's own ffmpeg), or none."""
    if pid is None:
        return []
    try:
        return [pid] + [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _station(options: LiveOptions):
    from ..graphics import load_station
    return load_station(options.station)


def run_live(playlist: str | os.PathLike, out_dir: str | os.PathLike, options: LiveOptions,
             seconds: float | None = None) -> dict:
    """``anchor live``: stream until SIGTERM / Ctrl-C (or ``seconds``); the final health."""
    channel = Channel(playlist, out_dir, options)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: channel.stop.set())
    pid = Path(out_dir) / "live.pid"
    write_text_atomic(pid, str(os.getpid()))
    try:
        return channel.run(seconds)
    finally:
        pid.unlink(missing_ok=True)
