"""Regenerate the README's anchor pictures and sync numbers.

* ``docs/stills/<kind>-<closed|half-open|open>.jpg``: each avatar kind (photo, presenter
  video loop, cartoon mascot) with the mouth closed, half open and open, head and
  shoulders over the studio, same crop for the three;
* ``docs/clip-contact-sheet.jpg`` and ``docs/mascot-contact-sheet.jpg``: 12 frames spread over
  renders of ``scripts/demo.md`` with the example photo anchor and with the mascot (the default);
* prints the measured sync of the demo render and of a copy with its audio delayed by 160 ms.

Usage: .venv/bin/python docs/make_stills.py   (about two minutes; renders through the ``anchor`` CLI)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from anchor.audio import ffmpeg_exe
from anchor.avatar import load_avatar
from anchor.avatar.face import find_face
from anchor.avatar.lipsync import Pose
from anchor.avatar.preview import studio_backdrop
from anchor.avatar.videoloop import record_idle_loop
from anchor.export.probe import probe, read_frames
from anchor.export.syncheck import measure_sync

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ANCHOR = str(Path(sys.executable).with_name("anchor"))
STATES = {"closed": Pose(0.0, viseme="closed", speaking=1.0, reading=1.0),
          "half-open": Pose(0.5, viseme="mid", speaking=1.0, reading=1.0),
          "open": Pose(1.0, viseme="open", speaking=1.0, reading=1.0)}


def render(rig, pose) -> np.ndarray:
    out = rig.base.copy()
    for x, y, pixels in rig.patches(pose):
        out[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
    return out


def head_and_shoulders(frame: np.ndarray, centre: tuple[float, float], half_width: int = 300) -> tuple[slice, slice]:
    cx, cy = centre
    top = max(int(cy) - 380, 0)
    left = min(max(int(cx) - half_width, 0), frame.shape[1] - 2 * half_width)
    return slice(top, top + 2 * half_width + 120), slice(left, left + 2 * half_width)


def stills(rigs: dict) -> None:
    (HERE / "stills").mkdir(exist_ok=True)
    for kind, (rig, centre) in rigs.items():
        crop = None
        for state, pose in STATES.items():
            frame = render(rig, pose)
            crop = crop or head_and_shoulders(frame, centre)
            Image.fromarray(frame[crop]).save(HERE / "stills" / f"{kind}-{state}.jpg", quality=88, optimize=True)
            print(HERE / "stills" / f"{kind}-{state}.jpg")


def contact_sheet(video: Path, info: dict, path: Path, columns: int = 6, rows: int = 2) -> None:
    start, end = info["segments"]["anchor"]
    times = np.linspace(start + 0.2, end - 0.2, columns * rows)
    frames = [np.asarray(Image.fromarray(f).resize((270, 480), Image.LANCZOS)) for f in read_frames(video, list(times))]
    sheet = np.vstack([np.hstack(frames[r * columns:(r + 1) * columns]) for r in range(rows)])
    Image.fromarray(sheet).save(path, quality=85, optimize=True)
    print(path)


def render_demo(out: Path, *extra: str, env=None) -> tuple[Path, dict]:
    subprocess.run([ANCHOR, "render", str(ROOT / "scripts" / "demo.md"), "--out", str(out), "--quiet", *extra],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return out / "demo.mp4", json.loads((out / "demo.json").read_text(encoding="utf-8"))


def main() -> None:
    studio = studio_backdrop(1080, 1920)
    with tempfile.TemporaryDirectory(prefix="anchor-docs-") as tmp:
        tmp = Path(tmp)
        photo = load_avatar("astronaut")
        # a presenter loop recorded from the photo anchor on a green screen, then keyed like a real one
        (tmp / "packs" / "presenter").mkdir(parents=True)
        green = np.full(studio.shape, (0, 177, 64), np.uint8)
        record_idle_loop(photo.rig(green), tmp / "packs" / "presenter" / "loop.mp4", seconds=3.0)
        (tmp / "packs" / "presenter" / "avatar.yaml").write_text(yaml.safe_dump({
            "name": "presenter", "kind": "video_loop", "source": "loop.mp4", "licence": "docs recording",
            "background": {"cutout": "chroma", "chroma_colour": "#00b140"}}), encoding="utf-8")
        os.environ["ANCHOR_AVATARS_DIR"] = str(tmp / "packs")
        loop = load_avatar("presenter")
        del os.environ["ANCHOR_AVATARS_DIR"]
        rigs = {}
        for kind, pack in (("photo", photo), ("video-loop", loop)):
            rig = pack.rig(studio)
            face = find_face(rig.base)
            rigs[kind] = (rig, tuple(face.points[[33, 263]].mean(axis=0)))
        mascot = load_avatar("mascot")
        framing = mascot.framing_for("vertical")
        rigs["mascot"] = (mascot.rig(studio), (studio.shape[1] / 2, framing.eye_line * studio.shape[0]))
        stills(rigs)

        # the example photo anchor (no consent record: a render to show what a photo anchor does)
        video, info = render_demo(tmp / "photo", "--avatar", "astronaut")
        contact_sheet(video, info, HERE / "clip-contact-sheet.jpg")
        mascot_video, mascot_info = render_demo(tmp / "mascot")  # the default anchor
        contact_sheet(mascot_video, mascot_info, HERE / "mascot-contact-sheet.jpg")
        delayed = tmp / "delayed.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(video), "-map", "0:v", "-map", "0:a", "-c:v", "copy",
                        "-af", "adelay=160:all=1", "-c:a", "aac", "-b:a", "128k", "-t", str(probe(video).video_duration),
                        str(delayed)], check=True)
        for name, clip in (("demo", video), ("demo, audio delayed 160 ms", delayed)):
            report = measure_sync(clip)
            print(json.dumps({"clip": name, "best_lag_frames": report.best_lag, "correlation": round(report.correlation, 3),
                              "frames": report.frames, "frames_with_face": report.frames_with_face}, ensure_ascii=False))


if __name__ == "__main__":
    main()
