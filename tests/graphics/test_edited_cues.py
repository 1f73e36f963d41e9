"""A producer's corrected subtitle texts on the clip's own cues (``with_texts``), and as options from the web."""

import pytest

from anchor.apps.intake import MAX_CUE_TEXT_CHARS, MAX_CUE_TEXTS, web_options
from anchor.errors import InputError
from anchor.graphics import Cue, with_texts
from anchor.jobs import render_options

CUES = [Cue(0.25, 4.2, ("从今天起", "县图书官每天开放到晚上九点")), Cue(4.2, 7.2, ("全县已有两千多名", "读者办理了借书证"), "融融")]


def test_texts_are_replaced_on_the_same_times_and_speakers():
    edited = with_texts(CUES, ["从今天起\n县图书馆每天开放到晚上九点", "全县已有两千多名读者办理了借书证。"], "zh")
    assert [(c.start, c.end, c.speaker) for c in edited] == [(c.start, c.end, c.speaker) for c in CUES]
    assert edited[0].lines == ("从今天起", "县图书馆每天开放到晚上九点")  # the line break the producer kept
    assert edited[1].lines == ("全县已有两千多名", "读者办理了借书证")  # broken as build_cues breaks, 。 dropped


def test_a_typed_break_gives_way_when_the_parts_would_need_three_lines():
    edited, = with_texts(CUES[:1], ["从今天起，县图书馆\n每天开放到晚上九点，全县已有\n读者"], "zh")
    assert len(edited.lines) == 2 and "".join(edited.lines) == "从今天起，县图书馆每天开放到晚上九点，全县已有读者"


def test_english_texts_are_broken_at_words():
    cue, = with_texts([Cue(0, 3, ("x",))], ["Starting Monday, the county library stays open until nine tonight."], "en")
    assert cue.lines == ("Starting Monday, the county library", "stays open until nine tonight.")


@pytest.mark.parametrize("texts, zh, en", [
    (["只有一条"], "字幕共有 2 条", "the clip has 2 subtitle cues but 1"),
    (["从今天起", "  \n "], "第 2 条字幕是空的", "subtitle cue 2 is empty"),
    (["从今天起", "全县已有两千多名读者办理了借书证，全县已有两千多名读者办理了借书证"], "第 2 条字幕太长", "at most two lines"),
])
def test_texts_that_cannot_be_cues_are_refused(texts, zh, en):
    with pytest.raises(InputError) as info:
        with_texts(CUES, texts, "zh")
    assert zh in info.value.zh and en in info.value.en


def test_web_options_take_a_list_of_texts_with_commas_and_slashes():
    options = web_options({"cue_texts": ["从今天起，县图书馆", "1/2 的读者, 全县"]})
    assert options["cue_texts"] == ["从今天起，县图书馆", "1/2 的读者, 全县"]
    assert render_options(options).cue_texts == ("从今天起，县图书馆", "1/2 的读者, 全县")  # not split at commas


@pytest.mark.parametrize("value, en", [
    ("从今天起，县图书馆", "must be a list of subtitle texts"),
    (["从今天起", 3], "must be a list of subtitle texts"),
    ({"0": "从今天起"}, "must be a list of subtitle texts"),
    (["字" * (MAX_CUE_TEXT_CHARS + 1)], f"subtitle 1 is too long ({MAX_CUE_TEXT_CHARS + 1} characters"),
    (["字"] * (MAX_CUE_TEXTS + 1), f"too many corrected subtitles ({MAX_CUE_TEXTS + 1}"),
])
def test_web_options_refuse_bad_texts_in_both_languages(value, en):
    with pytest.raises(InputError) as info:
        web_options({"cue_texts": value})
    assert en in info.value.en and info.value.zh and info.value.zh != info.value.en
