"""Headline reading (``read_title``): the anchor reads the headline, pauses, then reads the body."""

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest

from anchor.pipeline import RenderOptions
from anchor.pipeline.clip import _prepare
from anchor.render import paragraph_spans
from anchor.script import parse_script
from anchor.speech import Timeline
from anchor.speech.timeline import Phrase

BODY = "今天上午，县里召开大会。\n\n下午举行了表彰活动。"


def _timeline(*phrases: tuple[str, float, float]) -> Timeline:
    return Timeline(tuple(Phrase(text, text, start, end) for text, start, end in phrases), phrases[-1][2])


def test_paragraph_spans_skip_the_headline():
    paragraphs = ["今天上午，县里召开大会。", "下午举行了表彰活动。"]
    tl = _timeline(("县城新闻快报", 0.0, 2.0), ("今天上午，", 2.6, 3.7), ("县里召开大会。", 3.8, 5.4),
                   ("下午举行了表彰活动。", 6.0, 8.4))
    assert paragraph_spans(tl, paragraphs, "县城新闻快报") == [(2.6, 5.4), (6.0, 8.4)]
    assert paragraph_spans(tl, paragraphs)[0][0] == 0.0  # without telling it, the headline lands on paragraph 1
    # a body that opens with the headline's words: the first reading is the headline's, the second the body's
    tl = _timeline(("县城新闻快报", 0.0, 2.0), ("县城新闻快报：", 2.6, 4.0), ("下午举行了表彰活动。", 4.6, 6.0))
    assert paragraph_spans(tl, ["县城新闻快报：", "下午举行了表彰活动。"], "县城新闻快报") == [(2.6, 4.0), (4.6, 6.0)]


def test_station_default_and_script_choice(tmp_path):
    plain = parse_script(f"县城新闻快报\n{BODY}")
    assert plain.read_title is None
    assert plain.with_read_title(True).read_title is True
    assert plain.with_read_title(False).read_title is False
    assert replace(plain, read_title=False).with_read_title(True).read_title is False  # the script wins
    assert replace(plain, read_title=True).with_read_title(False).read_title is True
    recorded = replace(plain, recording=tmp_path / "reading.wav")
    assert recorded.with_read_title(True).read_title is False  # a recording starts with the headline only if told
    station = tmp_path / "station.yaml"
    station.write_text("read_title: true\n", encoding="utf-8")
    assert [s.read_title for s in _prepare(plain, RenderOptions(station=str(station), voice="zh-espeak")).stories] == [True]
    assert [s.read_title for s in _prepare(plain, RenderOptions(voice="zh-espeak")).stories] == [False]


# --------------------------------------------------------------------------- rendered clips

SCRIPT = """---
title: 县城新闻快报
{read_title}---
[人名条: 王强 / 县文化馆馆长]
[画面: still.png]
今天上午，县里召开大会。

下午举行了表彰活动。
"""


def _render(anchor_cli, folder, read_title: str):
    folder.mkdir()
    cv2.imwrite(str(folder / "still.png"), np.full((360, 640, 3), 120, np.uint8))
    (folder / "news.md").write_text(SCRIPT.format(read_title=read_title), encoding="utf-8")
    result = anchor_cli("render", folder / "news.md", "--out", folder / "out", "--voice", "zh-espeak",
                        "--aspect", "1:1", "--quiet")
    assert result.returncode == 0, result.stderr
    return json.loads((folder / "out" / "news.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_rendered_clip_reads_its_headline_first(tmp_path, anchor_cli):
    without = _render(anchor_cli, tmp_path / "without", "")
    headline = _render(anchor_cli, tmp_path / "with", "read_title: true\n")
    assert headline["duration"] > without["duration"] + 1.0
    assert headline["speech_duration"] > without["speech_duration"] + 1.0
    assert headline["spoken_text"].startswith("县城新闻快报\n") and not without["spoken_text"].startswith("县城")
    first, second = headline["cues"][:2]
    assert first["text"] == "县城新闻快报"  # what is said is subtitled, the headline as its own cue
    assert without["cues"][0]["text"] != "县城新闻快报" and len(headline["cues"]) == len(without["cues"]) + 1
    # the cues on paragraph 1 start when paragraph 1 is read, not with the headline
    assert second["text"].startswith("今天上午")
    assert [b["start"] for b in headline["broll"]] == [second["start"]]
    assert [lt["start"] for lt in headline["lower_thirds"]] == [second["start"]]
    assert headline["broll"][0]["start"] >= first["end"] + 0.3
    # ... and in the clip without the headline, when it is read too
    assert [b["start"] for b in without["broll"]] == [without["cues"][0]["start"]]
