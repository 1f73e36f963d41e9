"""Render benchmark: the demo script at 1080x1920, everything measured side by side in one run.

Three timings of the same clip, in one process:

* ``cold``: the first render, as one ``anchor render`` command pays it: importing
  TensorFlow and loading the speech model included;
* ``warm``: the same script rendered again in the same process, as a studio or batch
  worker renders its second clip: models loaded, but speech synthesised again and
  every frame composed and encoded again (nothing of the first render is reused);
* ``floor``: the same ffmpeg encoding the same number of frames of one precomputed
  composite frame with the same audio and settings: the cost no renderer can avoid.

Prints wall / clip duration, wall / floor for both renders, where the time went, and
the peak resident memory of this process and of the encoder child (read from /proc
while it runs, since getrusage credits a vforked child with its parent's pages).

Usage: .venv/bin/python bench/render.py [SCRIPT]
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
    """Polls the peak resident memory (VmHWM) of this process's child processes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self):
        me = str(os.getpid())
        while not self.stop.wait(0.1):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().rsplit(")", 1)[1].split()[1] != me:
                            continue
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except (OSError, IndexError, ValueError):
                    continue


def timed_render(script: Path, out: Path, preset):
    from anchor.pipeline import RenderOptions, render

    stages: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage, fraction):
        stages.setdefault(stage, round(time.perf_counter() - started, 2))

    clip = render(script, out, RenderOptions(export=preset), progress=progress)
    return clip, time.perf_counter() - started, stages


def main() -> None:
    script = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "scripts" / "demo.md"
    children = ChildMemory()
    children.start()
    cold_started = time.perf_counter()
    from anchor.export import ExportPreset, encode_floor
    from anchor.probe import read_audio, read_frames

    preset = ExportPreset()
    with tempfile.TemporaryDirectory() as tmp:
        clip, cold, cold_stages = timed_render(script, Path(tmp) / "cold", preset)
        cold = time.perf_counter() - cold_started  # imports included, as the CLI pays them
        _, warm, warm_stages = timed_render(script, Path(tmp) / "warm", preset)
        duration = clip.info["duration"]
        n_frames = round(duration * preset.fps)
        frame = read_frames(clip.video, [duration / 2])[0]
        audio, rate = read_audio(clip.video)
        floor = encode_floor(frame, n_frames, preset, audio, rate)
    children.stop.set()
    children.join()

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "script": script.name,
        "clip_seconds": round(duration, 2),
        "frames": n_frames,
        "encode_floor_seconds": round(floor, 2),
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
    }
    print(json.dumps(result, indent=2))
    print(f"\nclip {duration:.1f} s, floor {floor:.2f} s | cold {cold:.2f} s = {cold / duration:.2f}x clip, "
          f"{cold / floor:.2f}x floor | warm {warm:.2f} s = {warm / duration:.2f}x clip, {warm / floor:.2f}x floor "
          f"(target <= 1.5, goal 1.25) | peak RSS {own:.0f} MB, encoder {children.peak_kb / 1024:.0f} MB "
          f"(target <= 1536 MB)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
