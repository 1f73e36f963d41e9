"""The broadcast package end to end: one render, three aspects, cues, music, sidecars and labels,
all read back from the files with a real decoder."""

import hashlib
import json
import subprocess

import numpy as np
import pytest
from PIL import Image

from anchor.audio import ffmpeg_exe
from anchor.export.probe import loudness, probe, read_audio, read_frames
from anchor.graphics import layout_for, load_station
from conftest import run_anchor

pytestmark = pytest.mark.slow

ASPECTS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
FPS = 25
TONE_HZ = 110.0

SCRIPT = """---
title: 县科技馆航天科普展开幕
ticker: 开放时间每天9点至17点
music: {file: media/tone.wav, volume: -6}
---
[画面: media/green.png 画中画]
今天上午，县科技馆航天科普展正式开幕，展出航天模型一百多件。

[画面: media/magenta.mp4 全屏]
全县中小学生将分批参观。

[人名条: 王强 / 县教育局副局长]
[滚动字幕: 预约电话12345]
欢迎市民朋友前来参观学习。
"""


def _media(folder):
    media = folder / "media"
    media.mkdir()
    green = np.zeros((360, 640, 3), np.uint8)
    green[..., 1] = 200
    green[::40] = 255  # a few lines so the Ken Burns move has something to move
    Image.fromarray(green).save(media / "green.png")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "color=c=magenta:size=320x180:rate=25:duration=3", "-pix_fmt", "yuv420p",
                    str(media / "magenta.mp4")], check=True)
    rate = 48000
    t = np.arange(rate * 6) / rate
    tone = (0.3 * np.sin(2 * np.pi * TONE_HZ * t)).astype("<f4")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-",
                    str(media / "tone.wav")], input=tone.tobytes(), check=True)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = tmp_path_factory.mktemp("broadcast")
    _media(folder)
    (folder / "fair.md").write_text(SCRIPT, encoding="utf-8")
    out = folder / "out"
    result = run_anchor("render", folder / "fair.md", "--out", out, "--aspect", "9:16,16:9,1:1", "--quiet")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    info = json.loads((out / "fair.json").read_text(encoding="utf-8"))
    return {"out": out, "summary": summary, "info": info}


def _video(package, aspect):
    return package["out"] / f"fair.{aspect.replace(':', 'x')}.mp4"


def test_one_render_writes_every_aspect_and_sidecar(package):
    names = sorted(p.name for p in package["out"].iterdir())
    expected = sorted([f"fair.{a}.mp4" for a in ("9x16", "16x9", "1x1")] + [f"fair.{a}.cover.jpg" for a in
                      ("9x16", "16x9", "1x1")] + ["fair.srt", "fair.vtt", "fair.json"])
    assert names == expected
    clip = package["summary"]["clips"][0]
    assert set(clip["videos"]) == set(ASPECTS) and set(clip["covers"]) == set(ASPECTS)
    files = {f["name"]: f for f in package["info"]["files"]}
    assert set(files) == set(expected) - {"fair.json"}
    for name, entry in files.items():
        data = (package["out"] / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)


@pytest.mark.parametrize("aspect", ASPECTS)
def test_each_aspect_is_platform_ready(package, aspect):
    p = probe(_video(package, aspect))
    assert (p.width, p.height) == ASPECTS[aspect] and round(p.fps) == FPS
    assert p.video_codec == "h264" and p.profile == "High" and p.pix_fmt == "yuv420p" and p.faststart
    assert p.audio_codec == "aac" and p.audio_rate == 48000 and p.audio_channels == 2
    assert abs(p.video_duration - p.audio_duration) <= 1 / FPS
    assert abs(p.video_duration - package["info"]["duration"]) <= 1 / FPS
    with Image.open(package["out"] / package["info"]["aspects"][aspect]["cover"]) as cover:
        assert cover.size == ASPECTS[aspect] and cover.format == "JPEG"


def test_implicit_labels_in_every_file(package):
    labels = {a: json.loads(probe(_video(package, a)).format_tags["AIGC"]) for a in ASPECTS}
    station = load_station()
    for aspect, label in labels.items():
        assert label["Label"] == "1" and label["ContentProducer"] == station.code
        assert label == package["info"]["aspects"][aspect]["aigc"]
    assert len({label["ProduceID"] for label in labels.values()}) == 3  # unique per clip
    assert len({label["ReservedCode1"] for label in labels.values()}) == 1  # the same content hash
    assert len(labels["9:16"]["ReservedCode1"]) == 64


def _box_pixels(frame, box):
    return frame[box.y:box.bottom, box.x:box.right].reshape(-1, 3).astype(int)


@pytest.mark.parametrize("aspect", ASPECTS)
def test_visible_label_shows_at_the_start_then_goes(package, aspect):
    layout = layout_for(*ASPECTS[aspect])
    box = layout.label_at(load_station().ai_label_position)
    seconds = load_station().ai_label_seconds
    first, during, after = read_frames(_video(package, aspect), [0.0, seconds - 0.3, seconds + 0.5])
    for frame in (first, during):
        pixels = _box_pixels(frame, box)
        white_text = (pixels.min(axis=1) > 200).mean()
        dark_panel = (pixels.max(axis=1) < 60).mean()
        assert white_text > 0.03 and dark_panel > 0.15, (white_text, dark_panel)
    assert np.abs(_box_pixels(after, box) - _box_pixels(during, box)).mean() > 20


@pytest.mark.parametrize("aspect", ASPECTS)
def test_broll_shows_at_its_cue_time(package, aspect):
    layout = layout_for(*ASPECTS[aspect])
    pip, full = package["info"]["broll"]
    assert (pip["mode"], full["mode"]) == ("pip", "full")
    times = [pip["start"] - 0.3, (pip["start"] + pip["end"]) / 2, (full["start"] + full["end"]) / 2, full["end"] + 0.3]
    before, pip_on, full_on, after = read_frames(_video(package, aspect), times)

    def green(frame):
        px = _box_pixels(frame, layout.pip)
        return ((px[:, 1] > 150) & (px[:, 0] < 80) & (px[:, 2] < 80)).mean()

    def magenta(frame):
        px = frame.reshape(-1, 3).astype(int)
        return ((px[:, 0] > 200) & (px[:, 1] < 60) & (px[:, 2] > 200)).mean()

    assert green(pip_on) > 0.6 and green(before) < 0.05
    assert magenta(full_on) > 0.5 and magenta(pip_on) < 0.01 and magenta(after) < 0.01


@pytest.mark.parametrize("aspect", ASPECTS)
def test_lower_third_comes_and_goes_when_the_script_says(package, aspect):
    layout = layout_for(*ASPECTS[aspect])
    (lower,) = package["info"]["lower_thirds"]
    assert lower["name"] == "王强" and lower["end"] - lower["start"] > 1.0
    times = [lower["start"] - 0.3, lower["start"] + 0.8, lower["end"] + 0.3]
    before, shown, after = read_frames(_video(package, aspect), times)
    primary = np.array(load_station().rgb("primary"))

    def brand_red(frame):
        px = _box_pixels(frame, layout.lower_third)
        return (np.abs(px - primary).sum(axis=1) < 60).mean()

    assert brand_red(shown) > 0.08 and brand_red(before) < 0.01 and brand_red(after) < 0.01


def test_ticker_changes_text_at_its_cue(package):
    tickers = package["info"]["ticker"]
    assert [t["text"] for t in tickers] == ["开放时间每天9点至17点", "预约电话12345"]
    assert tickers[0]["end"] == tickers[1]["start"] == package["info"]["lower_thirds"][0]["start"]


def test_vertical_keeps_the_bottom_fifth_clear(package):
    """Nothing that carries information (subtitles, ticker, lower third) enters the bottom 20% of 9:16."""
    info = package["info"]
    start, end = info["segments"]["anchor"]
    full = info["broll"][1]
    times = [t for t in np.arange(start + 0.2, end - 0.2, 0.37) if not full["start"] - 0.1 < t < full["end"] + 0.1]
    frames = read_frames(_video(package, "9:16"), list(times))
    bottom = np.stack([f[int(1920 * 0.8):].astype(np.int16) for f in frames])
    assert np.abs(bottom - bottom[0]).mean(axis=(1, 2, 3)).max() < 1.5


def test_music_is_ducked_under_speech(package):
    samples, rate = read_audio(_video(package, "9:16"))
    info = package["info"]
    speech_start, _ = info["segments"]["speech"]

    def tone_level(t0, t1):
        window = samples[int(t0 * rate):int(t1 * rate)]
        spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
        freqs = np.fft.rfftfreq(len(window), 1 / rate)
        return 20 * np.log10(spectrum[np.abs(freqs - TONE_HZ) < 3].max())

    # equal windows (an FFT peak grows with the window's length)
    alone = tone_level(speech_start - 1.1, speech_start - 0.5)  # intro card, music at its bed level
    under = tone_level(speech_start + 0.8, speech_start + 1.4)  # the anchor speaking
    assert alone - under > 9.0, (alone, under)
    lufs, peak = loudness(_video(package, "9:16"))
    assert abs(lufs - -14.0) <= 0.5 and peak <= -1.0, (lufs, peak)


def test_webvtt_matches_srt(package):
    vtt = (package["out"] / "fair.vtt").read_text(encoding="utf-8")
    srt = (package["out"] / "fair.srt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert vtt.count(" --> ") == srt.count(" --> ") == len(package["info"]["cues"])


def test_split_stories_with_broadcast_preset(tmp_path):
    script = tmp_path / "bulletin.md"
    script.write_text("---\ntitle: 今日要闻\n---\n## 秋粮收购全面启动\n今年全县设立收购网点36个。\n\n"
                      "## 图书馆延长开放时间\n县图书馆每天开放到晚上9点。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_anchor("render", script, "--out", out, "--split", "--preset", "broadcast", "--quiet")
    assert result.returncode == 0, result.stderr
    clips = json.loads(result.stdout.strip().splitlines()[-1])["clips"]
    assert [c["stem"] for c in clips] == ["bulletin-01", "bulletin-02"]
    assert [c["title"] for c in clips] == ["秋粮收购全面启动", "图书馆延长开放时间"]
    for clip in clips:
        video = clip["videos"]["16:9"]
        assert video.endswith(f"{clip['stem']}.mp4")
        p = probe(video)
        assert (p.width, p.height, round(p.fps)) == (1920, 1080, 25)
        lufs, peak = loudness(video)
        assert abs(lufs - -23.0) <= 0.5 and peak <= -1.0, (lufs, peak)
        info = json.loads(open(clip["metadata"], encoding="utf-8").read())
        assert info["preset"] == "broadcast" and info["story"]["of"] == 2


@pytest.mark.parametrize("args, needle", [
    (["--aspect", "4:3"], "aspect"),
    (["--preset", "tiktok"], "preset"),
    (["--template", "no-such"], "template"),
])
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, needle):
    script = tmp_path / "s.txt"
    script.write_text("标题\n正文。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_anchor("render", script, "--out", out, *args, "--quiet")
    assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("cue, needle", [
    ("[画面: media/missing.jpg 全屏]", "missing.jpg"),
    ("[画面: media/broken.mp4]", "broken.mp4"),
])
def test_missing_or_unreadable_media_names_the_cue_before_rendering(tmp_path, cue, needle):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "broken.mp4").write_bytes(b"not a video at all")
    script = tmp_path / "s.md"
    script.write_text(f"---\ntitle: 标题\n---\n{cue}\n正文。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_anchor("render", script, "--out", out, "--quiet")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0] and "第 1 段" in lines[0] and "paragraph 1" in lines[0]
    assert not out.exists() or list(out.iterdir()) == []


def test_a_stations_own_ident_video_opens_the_clip(tmp_path):
    """A template may use the station's own intro video (with its sound) instead of the title card."""
    ident = tmp_path / "ident.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "color=c=magenta:size=640x360:rate=25:duration=1.5", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1.5", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(ident)], check=True)
    template = tmp_path / "ident.yaml"
    template.write_text("title: 台标片头\nintro: {video: ident.mp4}\noutro: {seconds: 0}\n", encoding="utf-8")
    script = tmp_path / "s.txt"
    script.write_text("县里举办农民丰收节\n今天上午，县里举办农民丰收节。\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_anchor("render", script, "--out", out, "--template", template, "--quiet")
    assert result.returncode == 0, result.stderr
    info = json.loads((out / "s.json").read_text(encoding="utf-8"))
    assert info["segments"]["intro"][1] == pytest.approx(1.5, abs=0.05)
    assert info["segments"]["outro"][1] - info["segments"]["outro"][0] < 0.05  # no outro card
    during, after = read_frames(out / "s.mp4", [0.7, 2.2])

    def magenta(frame):
        px = frame.reshape(-1, 3).astype(int)
        return ((px[:, 0] > 200) & (px[:, 1] < 60) & (px[:, 2] > 200)).mean()

    assert magenta(during) > 0.8 and magenta(after) < 0.01
    samples, rate = read_audio(out / "s.mp4")
    window = samples[int(0.3 * rate):int(1.2 * rate)]
    spectrum = np.abs(np.fft.rfft(window))
    freqs = np.fft.rfftfreq(len(window), 1 / rate)
    assert freqs[np.argmax(spectrum)] == pytest.approx(440, abs=5)  # the ident's own sound
