"""Render benchmark: the demo script at 1080x1920, everything measured side by side in one run.

Three timings of the same clip, in one process:

* ``cold``: the first render, as one ``anchor render`` command pays it: importing
  TensorFlow and loading the speech model included;
* ``warm``: the same script rendered again in the same process, as a studio or batch
  worker renders its second clip: models loaded, but speech synthesised again (the
  speech cache is bypassed in both renders) and every frame composed and encoded again;
* ``floor``: the same ffmpeg encoding the same number of frames of one precomputed
  composite frame with the same audio and settings: the cost no renderer can avoid.  The frame
  goes in already in the encoder's format (YUV 4:2:0), as the writer sends its frames, so this is
  x264 alone;
* ``RGB floor``: the floor as it was measured before the writer converted colour itself (ffmpeg
  converting each RGB frame, about 5 ms of CPU a frame at 1080x1920), for comparison with earlier runs.

Prints wall / clip duration, wall / floor for both renders, where the time went, and
the peak resident memory of this process and of the encoder child (read from /proc
while it runs, since getrusage credits a vforked child with its parent's pages).

Then ``cold CLI``: ``anchor render`` run as a new process, the way the publish step calls it, on the
script with a sentence of its own added (no speech from the cache; the input-determined caches of the
backdrop, faces and text normalisation warm, as on any machine after its first clip): wall / clip
duration, when each stage started after launch (read off its progress lines), and the peak resident
memory of the renderer process.

Then, for the broadcast package:

* ``graphics per frame``: composing every frame of the clip (no encoding) with all of
  its graphics (headline, bug, labels, desk, a lower third sliding in and out, the
  scrolling ticker, subtitles) minus composing it with the anchor alone;
* ``three aspects``: one render to 9:16, 16:9 and 1:1 against three renders of one
  aspect each (all warm, same process).

Usage: .venv/bin/python bench/render.py [SCRIPT] [--quick]   (--quick skips the three-aspect part)
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


class ChildMemory(threading.Thread):
    """Polls the peak resident memory (VmHWM) of this process's child processes (the encoders).

    Reads only this process's own children lists, not every process of the machine: the poll must not cost
    the renders it measures.
    """

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self):
        me = os.getpid()
        while not self.stop.wait(0.1):
            try:
                tasks = os.listdir(f"/proc/{me}/task")
            except OSError:
                continue
            for task in tasks:
                try:
                    with open(f"/proc/{me}/task/{task}/children") as f:
                        children = f.read().split()
                except OSError:
                    continue
                for pid in children:
                    try:
                        with open(f"/proc/{pid}/status") as f:
                            for line in f:
                                if line.startswith("VmHWM:"):
                                    self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                    except (OSError, ValueError, IndexError):
                        continue


def timed_render(script: Path, out: Path, preset):
    from functools import partial

    from anchor.pipeline import RenderOptions, render
    from anchor.speech import dialogue
    from anchor.speech import synthesis as speech

    # measure synthesis every time: the speech cache would make a re-render skip it (anchor.speech.speak calls
    # synthesize from its own module)
    dialogue.synthesize = partial(speech.synthesize, cache=False)

    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage, fraction):
        stages.setdefault(stage, round(time.perf_counter() - started, 2))

    clip = render(script, out, RenderOptions(export=preset), progress=progress)[0]
    return clip, time.perf_counter() - started, stages


def rgb_floor(frame, n_frames: int, preset, audio, rate: int) -> float:
    """The floor as it was before the writer converted colour itself: the same encoder command, but fed RGB
    frames that ffmpeg converts to BT.709 YUV 4:2:0 each time (the scale filter the writer used to ask for)."""
    import subprocess

    from anchor.audio import write_wav
    from anchor.export.writer import encoder_command

    with tempfile.TemporaryDirectory(prefix="anchor-rgb-floor-") as tmp:
        wav = Path(tmp) / "a.wav"
        write_wav(wav, audio, rate)
        argv = encoder_command(Path(tmp) / "floor.mp4", preset, wav)
        argv[argv.index("yuv420p")] = "rgb24"  # the first -pix_fmt: the input's
        graph = argv.index("-filter_complex") + 1
        argv[graph] = argv[graph].replace("[0:v]", "[0:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,")
        data = np.ascontiguousarray(frame).tobytes()
        started = time.perf_counter()
        encoder = subprocess.Popen(argv, stdin=subprocess.PIPE)
        for _ in range(n_frames):
            encoder.stdin.write(data)
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise SystemExit("the RGB floor's ffmpeg failed")
        return time.perf_counter() - started


def cold_cli(script: Path, tmp: Path, body_times: int = 1) -> dict:
    """``anchor render`` as a fresh process on ``script`` (its body ``body_times`` over) plus a sentence of its own:
    wall, stage start times after launch, peak resident memory of that process (VmHWM, polled), the clip's
    duration."""
    import subprocess

    text = script.read_text(encoding="utf-8").rstrip()
    if body_times > 1:
        head, sep, body = text.partition("\n---\n") if text.startswith("---") else ("", "", text)
        text = head + sep + "\n\n".join([body.strip()] * body_times)
    text += f"\n\n本台将持续关注，这是第{int(time.time()) % 100000}次更新。\n"
    fresh = tmp / f"cold-{body_times}-{script.stem}{script.suffix}"
    fresh.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "anchor.apps.cli", "render", str(fresh), "--out", str(tmp / "cli")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    peak = {"kb": 0}

    def watch_memory():
        while child.poll() is None:
            try:
                with open(f"/proc/{child.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak["kb"] = max(peak["kb"], int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    stages: dict[str, float] = {}
    for line in child.stderr:  # tqdm redraws with \r: a stage's name is enough
        for stage in ("语音合成", "主播形象", "渲染编码"):  # the CLI's stage names
            if stage in line:
                stages.setdefault(stage, round(time.perf_counter() - started, 2))
    out = child.stdout.read()
    child.wait()
    wall = time.perf_counter() - started
    watcher.join()
    if child.returncode != 0:
        raise SystemExit(f"anchor render failed: {out[-500:]}")
    duration = json.loads(out.strip().splitlines()[-1])["clips"][0]["duration"]
    return {"wall": wall, "duration": duration, "stages": stages, "peak_rss_mb": peak["kb"] / 1024}


def graphics_cost(script: Path) -> tuple[float, float, int]:
    """(ms per frame with all graphics, ms per frame with the anchor alone, frames) at 1080x1920."""
    from dataclasses import replace

    from anchor import pipeline
    from anchor.avatar import perform
    from anchor.pipeline.clip import _prepare
    from anchor.graphics import build_cues, layout_for
    from anchor.render import (
        Seat, compose_frames, plan_story, scene_layers, speech_track, studio_set, subtitle_layers,
    )
    from anchor.script import load_script
    from anchor.speech import synthesize

    story = load_script(script)
    story = replace(story, ticker=story.ticker or "预约电话：12345 · 开放时间每天9:00-17:00")
    job = _prepare(story, pipeline.RenderOptions())
    layout = layout_for(1080, 1920)
    backdrop, [(rig, box)] = studio_set(layout, job.look, job.casts[0].avatars)
    speech = synthesize(story, job.casts[0].voices[0])
    plan = plan_story(story, speech, job.look, 25, job.options.lead_in, job.options.lead_out)
    timing = plan.timing
    timeline = speech.timeline.shifted(timing.speech_at)
    track = speech_track(speech.samples, timing, 48000)
    performance = perform(timeline, story.language, timing.n_frames, 25, track, 48000, 1)
    cues = build_cues(timeline, story.language)
    layers = [layer for layer in scene_layers(story, layout, job.look, plan)
              if type(layer).__name__ != "Stinger"]  # the title cards are not per-frame graphics
    subtitles = list(subtitle_layers(cues, layout, job.look, story.language))

    def run(layers, later) -> float:
        started = time.perf_counter()
        for _ in compose_frames(backdrop, [Seat(rig, box, performance)], layers, later):
            pass
        return (time.perf_counter() - started) / timing.n_frames * 1000

    run([], [])  # warm caches
    anchor_only = run([], [])
    with_graphics = run(layers, subtitles)
    return with_graphics, anchor_only, timing.n_frames


def three_aspects(script: Path, tmp: Path) -> tuple[float, float]:
    """(seconds for one render to three aspects, seconds for three one-aspect renders)."""
    from anchor.pipeline import RenderOptions, render

    started = time.perf_counter()
    render(script, tmp / "together", RenderOptions(aspects=("9:16", "16:9", "1:1")))
    together = time.perf_counter() - started
    started = time.perf_counter()
    for aspect in ("9:16", "16:9", "1:1"):
        render(script, tmp / aspect.replace(":", "x"), RenderOptions(aspects=(aspect,)))
    return together, time.perf_counter() - started


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    script = Path(args[0]) if args else ROOT / "scripts" / "demo.md"
    children = ChildMemory()
    children.start()
    cold_started = time.perf_counter()
    from anchor.export.writer import ExportPreset, encode_floor
    from anchor.export.probe import read_audio, read_frames

    preset = ExportPreset()
    with tempfile.TemporaryDirectory() as tmp:
        clip, cold, cold_stages = timed_render(script, Path(tmp) / "cold", preset)
        cold = time.perf_counter() - cold_started  # imports included, as the CLI pays them
        _, warm, warm_stages = timed_render(script, Path(tmp) / "warm", preset)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the two renders' peak, nothing else yet
        duration = clip.info["duration"]
        n_frames = round(duration * preset.fps)
        frame = read_frames(clip.video, [duration / 2])[0]
        audio, rate = read_audio(clip.video)
        floor = encode_floor(frame, n_frames, preset, audio, rate)
        floor_rgb = rgb_floor(frame, n_frames, preset, audio, rate)
        children.stop.set()
        children.join()
        cli = cold_cli(script, Path(tmp))
        cli_long = cold_cli(script, Path(tmp), body_times=3)  # is the renderer's memory flat with the clip's length?
        graphics_ms, anchor_ms, graphics_frames = graphics_cost(script)
        together = separate = None
        if "--quick" not in sys.argv:
            together, separate = three_aspects(script, Path(tmp))

    result = {
        "script": script.name,
        "clip_seconds": round(duration, 2),
        "frames": n_frames,
        "encode_floor_seconds": round(floor, 2),
        "encode_floor_rgb_seconds": round(floor_rgb, 2),
        "warm_over_rgb_floor": round(warm / floor_rgb, 3),
        "cold_seconds": round(cold, 2),
        "warm_seconds": round(warm, 2),
        "cold_stage_started_at": cold_stages,
        "warm_stage_started_at": warm_stages,
        "cold_over_clip": round(cold / duration, 3),
        "warm_over_clip": round(warm / duration, 3),
        "cold_over_floor": round(cold / floor, 3),
        "warm_over_floor": round(warm / floor, 3),
        "peak_rss_mb": round(own),
        "peak_rss_encoder_mb": round(children.peak_kb / 1024),
        "cold_cli_seconds": round(cli["wall"], 2),
        "cold_cli_clip_seconds": round(cli["duration"], 2),
        "cold_cli_over_clip": round(cli["wall"] / cli["duration"], 3),
        "cold_cli_stage_started_at": cli["stages"],
        "cold_cli_peak_rss_mb": round(cli["peak_rss_mb"]),
        "cold_cli_long_clip_seconds": round(cli_long["duration"], 2),
        "cold_cli_long_seconds": round(cli_long["wall"], 2),
        "cold_cli_long_peak_rss_mb": round(cli_long["peak_rss_mb"]),
        "compose_ms_per_frame_with_graphics": round(graphics_ms, 2),
        "compose_ms_per_frame_anchor_only": round(anchor_ms, 2),
        "graphics_ms_per_frame": round(graphics_ms - anchor_ms, 2),
        "three_aspects_one_render_seconds": round(together, 2) if together else None,
        "three_aspects_three_renders_seconds": round(separate, 2) if separate else None,
    }
    print(json.dumps(result, indent=2))
    print(f"\nclip {duration:.1f} s, floor {floor:.2f} s (with ffmpeg converting RGB, as before: {floor_rgb:.2f} s; "
          f"warm = {warm / floor_rgb:.2f}x that) | cold {cold:.2f} s = {cold / duration:.2f}x clip, "
          f"{cold / floor:.2f}x floor | warm {warm:.2f} s = {warm / duration:.2f}x clip, {warm / floor:.2f}x floor "
          f"(target <= 1.25) | peak RSS {own:.0f} MB, encoder {children.peak_kb / 1024:.0f} MB "
          f"(target <= 1024 MB)")
    print(f"cold anchor render (new process, {cli['duration']:.1f} s clip): {cli['wall']:.2f} s = "
          f"{cli['wall'] / cli['duration']:.2f}x clip (target <= 0.5); stages began at {cli['stages']} s after "
          f"launch; peak RSS {cli['peak_rss_mb']:.0f} MB (target <= 1024 MB); a {cli_long['duration']:.1f} s clip: "
          f"{cli_long['wall']:.2f} s = {cli_long['wall'] / cli_long['duration']:.2f}x, peak RSS "
          f"{cli_long['peak_rss_mb']:.0f} MB")
    print(f"graphics {graphics_ms - anchor_ms:.2f} ms/frame at 1080x1920 (compose {graphics_ms:.2f} with graphics, "
          f"{anchor_ms:.2f} anchor only, {graphics_frames} frames; target <= 5 ms)")
    if together:
        print(f"three aspects: one render {together:.1f} s vs three renders {separate:.1f} s "
              f"({together / separate:.2f}x)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
