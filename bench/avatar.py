"""Avatar benchmark: milliseconds per 1080x1920 frame for each avatar kind, beside the encoder's, in one run.

For the photo anchor (the 512 px portrait, framed at most 1.3x its size, and a 1536 px
photo that fills the frame), a presenter video loop (recorded from the photo anchor on a
green screen, then keyed), the cartoon mascot and a digital twin (made with
``add_twin_avatar`` from a 30 s recording of the 1536 px photo anchor reading aloud;
its analysis is timed per second of recording, and its mouths are planned for the clip
before the frames are timed):

* ``prepare``: building the rig once per clip (landmarks, matte, mouth states; the
  photo's landmark analysis is cached on disk after the very first run);
* ``avatar``: per frame on ONE core (OpenCV limited to one thread), over 10 s of
  speech-like poses: the rig's patches pasted into a 1080x1920 frame, as the
  renderer does; mean and 95th percentile;
* ``encoder``: per frame, the same frames through the real H.264 writer
  (``anchor.export.ClipWriter``, all cores, the shipped settings);
* ``landmark runs``: how often the landmark model ran while frames were made (0:
  it runs once per avatar, when the rig is built).

Usage: .venv/bin/python bench/avatar.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import skimage.data
import yaml

from anchor.avatar import face as face_module, load_avatar, perform, plan_rig
from anchor.avatar.preview import studio_backdrop
from anchor.avatar.videoloop import record_idle_loop
from anchor.export import ClipWriter, ExportPreset
from anchor.graphics import layout_for
from anchor.speech.timeline import Phrase, Timeline, Token

FPS = 25
SECONDS = 10
ENCODED_FRAMES = 60


def speech_like(seconds: float, rate: int = 48000):
    """A timeline of Chinese syllables (5 a second, a pause every 2.4 s) and an audio envelope to match."""
    rng = np.random.default_rng(1)
    text = "今天我们报道县里的新闻天气交通教育医疗"
    phrases, tokens, t = [], [], 0.4
    while t < seconds - 0.5:
        tokens.append(Token(text[len(tokens) % len(text)], t, t + 0.2))
        t += 0.2
        if len(tokens) % 12 == 0:
            phrases.append(Phrase("", "", tokens[-12].start, tokens[-1].end, tuple(tokens[-12:])))
            t += 0.4
    samples = np.zeros(int(seconds * rate), np.float32)
    for tok in tokens:
        a, b = int(tok.start * rate), int(tok.end * rate)
        samples[a:b] = 0.2 * np.hanning(b - a) * rng.standard_normal(b - a)
    return Timeline(tuple(phrases), seconds), samples, rate


class LandmarkCounter:
    """Counts every run of the landmark model (single pictures and video tracking)."""

    def __init__(self):
        self.runs = 0
        self._find, self._track = face_module.find_face, face_module.FaceTracker.find

    def __enter__(self):
        counter = self

        def find_face(image):
            counter.runs += 1
            return counter._find(image)

        def track(tracker, frame):
            counter.runs += 1
            return counter._track(tracker, frame)

        face_module.find_face, face_module.FaceTracker.find = find_face, track
        return self

    def __exit__(self, *exc):
        face_module.find_face, face_module.FaceTracker.find = self._find, self._track


def measure(rig, performance, box, frame: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-frame seconds for every pose, and the first few composed frames (for the encoder)."""
    frame[box.y:box.y + box.h, box.x:box.x + box.w] = rig.base
    times, kept = [], []
    for i in range(len(performance)):
        started = time.perf_counter()
        for x, y, pixels in rig.patches(performance.pose(i)):
            h, w = pixels.shape[:2]
            frame[box.y + y:box.y + y + h, box.x + x:box.x + x + w] = pixels
        times.append(time.perf_counter() - started)
        if len(kept) < ENCODED_FRAMES:
            kept.append(frame.copy())
    return np.array(times), kept


def encoder_seconds(frames: list[np.ndarray]) -> float:
    preset = ExportPreset()
    audio = np.zeros(round(len(frames) / FPS * preset.audio_rate), np.float32)
    with tempfile.TemporaryDirectory(prefix="anchor-bench-") as tmp:
        started = time.perf_counter()
        with ClipWriter(Path(tmp) / "enc.mp4", preset, audio, preset.audio_rate, {}, n_frames=len(frames)) as writer:
            for f in frames:
                writer.write(f)
        return time.perf_counter() - started


def presenter_loop_pack(root: Path) -> str:
    """A video_loop pack recorded from the photo anchor idling on a green screen (3 s)."""
    folder = root / "presenter"
    folder.mkdir(parents=True)
    green = np.full((1000, 1080, 3), (0, 177, 64), np.uint8)
    record_idle_loop(load_avatar("astronaut").rig(green), folder / "loop.mp4", seconds=3.0)
    (folder / "avatar.yaml").write_text(yaml.safe_dump({
        "name": "presenter", "kind": "video_loop", "source": "loop.mp4", "licence": "benchmark recording",
        "background": {"cutout": "chroma", "chroma_colour": "#00b140"}}), encoding="utf-8")
    return "presenter"


def large_photo_pack(root: Path) -> str:
    """A photo pack from a 1536 px photo (the portrait enlarged 3x): a face that fills the frame at 1080x1920."""
    folder = root / "large"
    folder.mkdir(parents=True)
    image = cv2.resize(skimage.data.astronaut(), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(folder / "photo.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    (folder / "avatar.yaml").write_text(yaml.safe_dump({
        "name": "large", "kind": "photo", "source": "photo.png", "licence": "benchmark picture"}), encoding="utf-8")
    return "large"


TWIN_READING = ("从今天起，县图书馆每天开放到晚上九点。全县已有两千多名读者办理了借书证。图书馆还为老年读者准备了大字版图书和老花镜，"
                "周末有志愿者帮助大家使用电子阅览室。今年夏天，图书馆将在各个乡镇设立流动借阅点，每周送书下乡一次。"
                "馆长表示，希望让每一位村民都能方便地读到好书，也欢迎大家把家中闲置的图书捐给图书馆。")


def twin_pack(root: Path, photo_pack: str) -> tuple[str, dict]:
    """A twin made with add_twin_avatar from a 720x960 recording of the 1536 px photo anchor reading 30 s aloud;
    the analysis is timed (the landmark model already loaded, as in a running studio)."""
    from anchor.avatar import add_twin_avatar, consent_request
    from anchor.avatar.face import FaceTracker
    from anchor.avatar.twin.evaluate import record_reading

    recording = root / "reading.mp4"
    previous = os.environ.get("ANCHOR_AVATARS_DIR")
    os.environ["ANCHOR_AVATARS_DIR"] = str(root)
    try:
        record_reading(load_avatar(photo_pack), recording, TWIN_READING)
        FaceTracker().__exit__()  # mediapipe imported and its graph loaded once, outside the timing
        cv2.setNumThreads(0)
        started = time.perf_counter()
        pack = add_twin_avatar(recording, "twin", "twin", consent=consent_request(None, "benchmark", "twin"))
        seconds = time.perf_counter() - started
    finally:
        if previous is None:
            del os.environ["ANCHOR_AVATARS_DIR"]
        else:
            os.environ["ANCHOR_AVATARS_DIR"] = previous
    length = pack.recording["seconds"]
    return "twin", {"recording_s": length, "add_twin_s": round(seconds, 2), "per_recording_s": round(seconds / length, 3)}


def main() -> None:
    layout = layout_for(1080, 1920)
    box = layout.avatar
    backdrop = studio_backdrop(1080, 1920)
    timeline, samples, rate = speech_like(SECONDS)
    performance = perform(timeline, "zh", SECONDS * FPS, FPS, samples, rate, seed=3)
    frame = np.zeros((1920, 1080, 3), np.uint8)
    results = {}
    with tempfile.TemporaryDirectory(prefix="anchor-bench-packs-") as packs:
        loop_name = presenter_loop_pack(Path(packs))
        large_name = large_photo_pack(Path(packs))
        twin_name, twin_analysis = twin_pack(Path(packs), large_name)
        kinds = [("photo", lambda: load_avatar("astronaut")),
                 ("photo, 1536 px", lambda: _in(packs, large_name)),
                 ("photo, no head motion", lambda: replace(load_avatar("astronaut"), motion=0)),
                 ("video_loop", lambda: _in(packs, loop_name)),
                 ("sprite (mascot)", lambda: load_avatar("mascot")),
                 ("twin", lambda: _in(packs, twin_name))]
        for name, pack in kinds:
            cv2.setNumThreads(0)
            started = time.perf_counter()
            rig = pack().rig(backdrop)
            prepare = time.perf_counter() - started
            started = time.perf_counter()
            planned = plan_rig(rig, performance)  # a twin chooses its mouths for the whole clip
            plan = time.perf_counter() - started
            cv2.setNumThreads(1)  # the avatar's per-frame work on one core
            with LandmarkCounter() as landmarks:
                times, frames = measure(rig, performance, box, frame)
            cv2.setNumThreads(0)
            encode = encoder_seconds(frames) / len(frames)
            results[name] = {"prepare_s": round(prepare, 2), "plan_s": round(plan, 2) if planned else None,
                             "avatar_ms_mean": round(1000 * times.mean(), 2),
                             "avatar_ms_p95": round(1000 * np.percentile(times, 95), 2),
                             "encoder_ms": round(1000 * encode, 2),
                             "avatar_over_encoder": round(times.mean() / encode, 2),
                             "landmark_runs_while_rendering": landmarks.runs}
            del frames
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\n1080x1920, {SECONDS} s of speech-like poses at {FPS} fps; avatar on one core, encoder on all "
          f"({os.cpu_count()}) cores, libx264 veryfast crf 20")
    print(f"{'kind':<24}{'prepare s':>10}{'avatar ms/frame':>17}{'p95':>8}{'encoder ms/frame':>18}{'ratio':>7}"
          f"{'landmark runs':>15}")
    for name, r in results.items():
        print(f"{name:<24}{r['prepare_s']:>10.2f}{r['avatar_ms_mean']:>17.2f}{r['avatar_ms_p95']:>8.2f}"
              f"{r['encoder_ms']:>18.2f}{r['avatar_over_encoder']:>7.2f}{r['landmark_runs_while_rendering']:>15}")
    print("target: photo, sprite and twin <= 15 ms per frame on one core, below the encoder's per-frame cost")
    print(f"twin: add-twin took {twin_analysis['add_twin_s']:.1f} s for a {twin_analysis['recording_s']:.1f} s "
          f"recording ({twin_analysis['per_recording_s']:.2f} s per second; target <= 1), planning a {SECONDS} s clip "
          f"{results['twin']['plan_s']:.2f} s")
    results["twin"]["analysis"] = twin_analysis


def _in(folder: str, name: str):
    previous = os.environ.get("ANCHOR_AVATARS_DIR")
    os.environ["ANCHOR_AVATARS_DIR"] = folder
    try:
        return load_avatar(name)
    finally:
        if previous is None:
            del os.environ["ANCHOR_AVATARS_DIR"]
        else:
            os.environ["ANCHOR_AVATARS_DIR"] = previous


if __name__ == "__main__":
    main()
