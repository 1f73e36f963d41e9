"""Render benchmark: the demo script at 1080x1920, measured side by side in one run.

Prints
  * wall time / clip duration (real-time factor),
  * wall time / encode floor, where the floor is the same ffmpeg encoding the
    same number of frames of one precomputed composite frame, with the same
    audio and settings (the cost no renderer can avoid),
  * peak RSS of this process and of the encoder child.

Usage: .venv/bin/python bench/render.py [SCRIPT]
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from anchor.export import ClipWriter, ExportPreset
from anchor.pipeline import RenderOptions, render
from anchor.probe import read_audio, read_frames

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    script = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "scripts" / "demo.md"
    preset = ExportPreset()
    with tempfile.TemporaryDirectory() as tmp:
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def progress(stage, fraction):
            stages.setdefault(stage, time.perf_counter() - started)

        clip = render(script, tmp, RenderOptions(export=preset), progress=progress)
        wall = time.perf_counter() - started
        duration = clip.info["duration"]
        n_frames = round(duration * preset.fps)
        frame = read_frames(clip.video, [duration / 2])[0]
        audio, rate = read_audio(clip.video)

        started = time.perf_counter()
        with ClipWriter(Path(tmp) / "floor.mp4", preset, audio, rate, {}) as writer:
            for _ in range(n_frames):
                writer.write(frame)
        floor = time.perf_counter() - started

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "script": script.name,
        "clip_seconds": round(duration, 2),
        "frames": n_frames,
        "render_wall_seconds": round(wall, 2),
        "stage_started_at": {k: round(v, 2) for k, v in stages.items()},
        "encode_floor_seconds": round(floor, 2),
        "wall_over_clip_duration": round(wall / duration, 3),
        "wall_over_encode_floor": round(wall / floor, 3),
        "peak_rss_mb": round(own),
        "peak_rss_encoder_mb": round(child),
    }
    print(json.dumps(result, indent=2))
    print(f"\nwall/clip {result['wall_over_clip_duration']:.2f}x   wall/encode-floor {result['wall_over_encode_floor']:.2f}"
          f" (target <= 1.5, goal 1.25)   peak RSS {own:.0f} MB (+ encoder {child:.0f} MB; target <= 1536 MB)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
