"""A breaking-news flash (``anchor render --flash``): a sting under a second, no title card, the headline held,
the urgent band under the anchor.  Checked on the rendered MP4's decoded frames."""

import json

import cv2
import numpy as np
import pytest

from anchor.errors import InputError
from anchor.export.probe import read_frames
from anchor.graphics import layout_for, load_look, load_station
from anchor.graphics.template import load_template
from conftest import run_anchor

SCRIPT = """---
title: 城南大道东段临时封闭
voice: zh-espeak
---
城南大道与滨江路交叉口发生交通事故，东段临时封闭，请绕行。
"""
RED, GOLD = (170, 180), (15, 30)  # OpenCV hues (0-180) of the demo station's primary (#c8102e) and accent (#f2c14e)


def _share_near(pixels: np.ndarray, hues: tuple[int, int]) -> float:
    """The share of strongly coloured pixels whose hue is in ``hues`` (shades of one brand colour)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(pixels, np.uint8), cv2.COLOR_RGB2HSV)
    hue, saturation, value = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    return float(((hue >= hues[0]) & (hue <= hues[1]) & (saturation > 120) & (value > 90)).mean())


@pytest.fixture(scope="module")
def flash(tmp_path_factory):
    folder = tmp_path_factory.mktemp("flash")
    (folder / "flash.md").write_text(SCRIPT, encoding="utf-8")
    result = run_anchor("render", folder / "flash.md", "--out", folder / "out", "--flash", "--quiet")
    assert result.returncode == 0, result.stderr
    clip = json.loads(result.stdout.strip().splitlines()[-1])["clips"][0]
    info = json.loads(open(clip["metadata"], encoding="utf-8").read())
    return clip["videos"]["9:16"], info


def test_the_flash_opens_on_a_short_sting_and_has_no_title_card_or_outro(flash):
    video, info = flash
    intro, anchor, outro = (info["segments"][k] for k in ("intro", "anchor", "outro"))
    assert info["template"] == "flash"
    assert 0 < intro[1] <= 1.0 and outro[1] - outro[0] < 0.05
    assert info["segments"]["speech"][0] < 1.5  # the anchor speaks within a second and a half
    sting, after = read_frames(video, [0.2, intro[1] + 0.3])
    assert _share_near(sting, RED) > 0.5  # the sting: the station's red, full frame
    layout = layout_for(1080, 1920)
    box = layout.avatar
    assert _share_near(after[box.y:box.bottom, box.x:box.right], RED) < 0.15  # then the anchor in the studio (a red tie)


def test_the_headline_and_the_urgent_band_stay_on_screen(flash):
    video, info = flash
    layout = layout_for(1080, 1920)
    start = info["segments"]["intro"][1] + 0.3
    frames = read_frames(video, [start, (start + info["duration"]) / 2, info["duration"] - 0.1])
    h, t = layout.headline, layout.ticker
    headlines = [f[h.y:h.bottom, h.x:h.right].astype(int) for f in frames]
    assert all(np.abs(a - headlines[0]).mean() < 2.0 for a in headlines[1:])  # the same banner throughout
    assert all(_share_near(a, RED) > 0.3 for a in headlines)
    for f in frames:
        band = f[t.y + 4:t.bottom - 4, t.x:t.right]
        assert _share_near(band, RED) > 0.5  # the urgent band in the ticker's place
        label = band[:, :band.shape[1] // 10]
        assert _share_near(label, GOLD) > 0.3  # its 快讯 label on the accent colour


def test_a_sting_over_a_second_is_refused(tmp_path):
    template = tmp_path / "slow.yaml"
    template.write_text("intro: {seconds: 2.5, card: flash}\nurgent: {}\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_template(str(template))
    assert "1.0" in e.value.en
    look = load_look("flash", load_station())
    assert look.template.urgent is not None and look.template.intro.card == "flash"
