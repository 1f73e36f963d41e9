"""A 问政 reply: the clip opens on the citizen's question card, then the anchor reads the reply with the
answering department as the lower third; the question is not read aloud unless the script asks."""

import json

import cv2
import numpy as np
import pytest

from anchor.errors import ScriptError
from anchor.export.probe import read_frames
from anchor.graphics import layout_for, question_seconds
from anchor.script import parse_script
from conftest import run_anchor

QUESTION = "城南小区从上周五开始每天晚上都停水，请问什么时候能恢复正常供水？"
SCRIPT = f"""\
---
title: 城南小区停水问题答复
voice: zh-espeak
question:
  text: {QUESTION}
  date: 2026-11-28
  channel: 枞情民意
  from: 网友“城南居民”
department: 县水务局
status: 已办结
---
您好，经核查，停水是泵房水泵故障所致，目前已恢复正常供水。
"""


def _render(folder, text, name, aspects="9:16,16:9"):
    (folder / f"{name}.md").write_text(text, encoding="utf-8")
    result = run_anchor("render", folder / f"{name}.md", "--out", folder / "out", "--aspect", aspects, "--quiet")
    assert result.returncode == 0, result.stderr
    clip = json.loads(result.stdout.strip().splitlines()[-1])["clips"][0]
    return clip, json.loads(open(clip["metadata"], encoding="utf-8").read())


@pytest.fixture(scope="module")
def reply(tmp_path_factory):
    return _render(tmp_path_factory.mktemp("wenzheng"), SCRIPT, "reply")


def test_the_script_form_is_read_and_checked():
    script = parse_script(SCRIPT, ".md")
    q = script.question
    assert (q.text, q.department, q.status, q.date, q.channel, q.asker, q.read) == (
        QUESTION, "县水务局", "已办结", "2026-11-28", "枞情民意", "网友“城南居民”", False)
    assert script.preamble() == []
    read = parse_script(SCRIPT.replace("status: 已办结", "status: 办理中\nread_question: true"), ".md")
    assert read.preamble() == [f"网友提问：{QUESTION}", "县水务局答复："]
    for bad, where in [("status: 已办结", "status: 处理好了"), ("department: 县水务局\n", "")]:
        with pytest.raises(ScriptError) as e:
            parse_script(SCRIPT.replace(bad, where), ".md")
        assert e.value.zh and ("status" in e.value.en or "department" in e.value.en)
    with pytest.raises(ScriptError):
        parse_script("---\ntitle: 标题\ndepartment: 县水务局\n---\n正文。\n", ".md")


def test_the_clip_opens_on_the_question_card_long_enough_to_read(reply):
    clip, info = reply
    assert info["template"] == "wenzheng"  # chosen by the question: the script names no template
    intro = info["segments"]["intro"]
    assert intro[1] == pytest.approx(question_seconds(parse_script(SCRIPT, ".md").question, 4.0), abs=0.05)
    for aspect in ("9:16", "16:9"):
        w, h = (1080, 1920) if aspect == "9:16" else (1920, 1080)
        layout = layout_for(w, h)
        card, anchor = read_frames(clip["videos"][aspect], [intro[1] / 2, info["segments"]["speech"][0] + 0.5])
        # the card: a large near-white panel with dark question text on it, the station red above it
        light = (card.min(axis=-1) > 235).mean()
        assert light > 0.3, (aspect, light)
        below_label = card[layout.label.bottom:]
        hsv = cv2.cvtColor(np.ascontiguousarray(below_label), cv2.COLOR_RGB2HSV)
        assert ((hsv[..., 0] >= 170) & (hsv[..., 1] > 120)).mean() > 0.01  # the red header band
        ink = (card.max(axis=-1) < 60).mean()
        assert ink > 0.01, (aspect, ink)  # the question's text
        assert (anchor.min(axis=-1) > 235).mean() < light  # then the studio


def test_the_question_is_shown_not_read_and_the_department_answers(reply):
    _, info = reply
    assert info["spoken_text"].startswith("您好")
    assert "请问什么时候" not in info["spoken_text"]
    assert all("请问" not in cue["text"] for cue in info["cues"])
    assert info["lower_thirds"][0]["name"] == "县水务局" and info["lower_thirds"][0]["title"] == "答复 · 已办结"
    assert info["lower_thirds"][0]["start"] == pytest.approx(info["segments"]["speech"][0], abs=0.01)


def test_read_question_reads_it_before_the_reply(tmp_path):
    _, info = _render(tmp_path, SCRIPT.replace("status: 已办结", "status: 已办结\nread_question: true"), "read", "1:1")
    spoken = info["spoken_text"].replace("\n", "")
    assert spoken.startswith("网友提问：城南小区") and "县水务局答复" in spoken
    assert spoken.index("县水务局答复") < spoken.index("您好")
