import math
import time
import warnings

import numpy as np
import pytest

from anchor import graphics
from anchor.errors import InputError, RenderError
from anchor.graphics import (
    Sprite,
    ai_label_sprite,
    blend,
    compose,
    font_file,
    get_font,
    headline_lines,
    overlay_sprites,
    split_static,
    studio_background,
    subtitle_sprites,
)
from anchor.layout import SUPPORTED, layout_for
from anchor.script import LowerThird, Script
from anchor.station import Station, load_station
from anchor.subtitles import Cue, wrap_text

SIZES = list(SUPPORTED)
ZH = Script(
    title="我县召开2024年秋季防汛工作部署会议",
    body="正文",
    language="zh",
    lower_third=LowerThird("张明", "县应急管理局局长"),
)
EN = Script(
    title="County holds 2024 autumn flood-prevention meeting",
    body="text",
    language="en",
    lower_third=LowerThird("Zhang Ming", "Director, County Emergency Management Bureau"),
)


@pytest.fixture(scope="module")
def station():
    return Station()


def ink_rows(sprite: Sprite) -> tuple[int, int]:
    """Rows spanned by the label's white text (bright and opaque), measured on the rendered sprite."""
    bright = (sprite.rgb.min(axis=2) > 200) & (sprite.alpha[..., 0] > 0.6)
    rows = np.nonzero(bright.any(axis=1))[0]
    return int(rows.min()), int(rows.max())


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("size", SIZES)
def test_layout_boxes_inside_frame(size):
    layout = layout_for(*size)
    for name, box in layout.boxes().items():
        assert box.inside(*size), (name, box)


def test_vertical_layout_keeps_subtitles_above_bottom_fifth():
    layout = layout_for(1080, 1920)
    assert layout.subtitles.y + layout.subtitles.h <= 0.8 * 1920
    assert layout.avatar.w == 1080 and 250 <= layout.avatar.y <= 400 and 1300 <= layout.avatar.bottom <= 1400
    assert layout.label.y < 1920 * 0.3  # top area


def test_unsupported_size():
    with pytest.raises(ValueError):
        layout_for(720, 1280)


# --------------------------------------------------------------------------- station


def test_station_defaults_and_file(tmp_path, monkeypatch):
    st = Station()
    assert st.ai_label == "AI生成" and st.ai_label_seconds >= 2.0 and st.primary == "#c8102e"
    path = tmp_path / "station.yaml"
    path.write_text("name: 江津区融媒体中心\ncode: jiangjin-rmt\nprimary: '#A00'\nai_label_seconds: 3\n", encoding="utf-8")
    st = load_station(path)
    assert (st.name, st.code, st.primary, st.ai_label_seconds) == ("江津区融媒体中心", "jiangjin-rmt", "#aa0000", 3.0)
    monkeypatch.setenv("ANCHOR_STATION", str(path))
    assert load_station().code == "jiangjin-rmt"


def test_repo_station_file_loads():
    monkeypatch_free = load_station(graphics.Path(__file__).resolve().parent.parent / "station.yaml")
    assert monkeypatch_free.ai_label_seconds >= 2.0


def test_ai_label_seconds_below_legal_minimum_is_clamped(tmp_path):
    with pytest.warns(UserWarning, match="2"):
        st = Station(ai_label_seconds=1.0)
    assert st.ai_label_seconds == 2.0
    path = tmp_path / "s.yaml"
    path.write_text("ai_label_seconds: 0.5\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        assert load_station(path).ai_label_seconds == 2.0
    sprite = ai_label_sprite(layout_for(1080, 1920), st)
    assert sprite.start == 0.0 and sprite.end >= 2.0


@pytest.mark.parametrize(
    "text, error",
    [("primary: red\n", InputError), ("colour: '#fff'\n", InputError), ("ai_label: ''\n", InputError), ("- a\n", InputError)],
)
def test_bad_station_files(tmp_path, text, error):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error):
        load_station(path)


def test_missing_explicit_station_file(tmp_path):
    with pytest.raises(InputError):
        load_station(tmp_path / "nope.yaml")


# --------------------------------------------------------------------------- fonts


def test_simplified_chinese_face_is_used():
    path, index = font_file("bold")
    name = " ".join(get_font(40, "bold").getname())
    assert "SC" in name.split() or "SC" in name, (path, index, name)
    assert "Mono" not in name


def test_missing_font_is_a_clear_render_error(monkeypatch):
    monkeypatch.setattr(graphics, "_FONT_FILES", {"bold": ("/nonexistent.ttc",), "regular": ("/nonexistent.ttc",)})
    monkeypatch.setattr(graphics, "_fc_match", lambda weight: [])
    monkeypatch.delenv("ANCHOR_FONT_BOLD", raising=False)
    font_file.cache_clear()
    try:
        with pytest.raises(RenderError) as err:
            font_file("bold")
        assert "fonts-noto-cjk" in err.value.zh and "fonts-noto-cjk" in err.value.en
        assert graphics.SETUP_COMMAND in err.value.en
    finally:
        font_file.cache_clear()


# --------------------------------------------------------------------------- AI label


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_ai_label_ink_height_and_timing(size, language, station):
    layout = layout_for(*size)
    label = ai_label_sprite(layout, station, language)
    top, bottom = ink_rows(label)
    assert bottom - top + 1 >= 0.05 * min(size), (top, bottom)
    if size == (1080, 1920):
        assert bottom - top + 1 >= 54
    assert label.start == 0.0 and label.end >= max(2.0, station.ai_label_seconds)
    assert label.box.inside(*size)
    # high contrast: white text on a dark, nearly opaque panel
    panel = (label.alpha[..., 0] > 0.75) & (label.rgb.max(axis=2) < 60)
    assert panel.sum() > 0.3 * label.alpha.size


def test_overlays_carry_label_and_persistent_corner_mark(station):
    duration = 12.0
    sprites = overlay_sprites(ZH, layout_for(1080, 1920), station, duration)
    kinds = {s.kind: s for s in sprites}
    assert {"headline", "label", "corner_mark", "brand", "lower_third"} <= set(kinds)
    assert kinds["label"].visible(0.0) and kinds["label"].visible(1.99)
    mark = kinds["corner_mark"]
    assert mark.start == 0.0 and mark.end >= duration
    lt = kinds["lower_third"]
    assert 0 <= lt.start <= 1.0 and lt.end - lt.start >= 4.0
    assert sprites[-1].kind == "label"  # drawn on top of everything


def test_no_lower_third_without_one(station):
    script = Script(title="标题", body="正文", language="zh")
    kinds = [s.kind for s in overlay_sprites(script, layout_for(1080, 1920), station, 5.0)]
    assert "lower_third" not in kinds


# --------------------------------------------------------------------------- fitting in the frame


LONG_TITLE = "我县召开2024年秋季防汛抗旱暨地质灾害防治工作部署会议要求各乡镇各部门立即行动压实责任确保群众生命财产安全"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("script", [ZH, EN, Script(title=LONG_TITLE, body="x", language="zh", lower_third=LowerThird("欧阳建国" * 3, "县人民政府办公室副主任兼县应急管理局党组书记局长"))])
def test_all_sprites_inside_frame(size, script, station):
    layout = layout_for(*size)
    cues = [Cue(0.0, 2.0, tuple(wrap_text("会议要求各乡镇严格落实防汛责任制，确保群众安全度汛", "zh"))),
            Cue(2.0, 4.0, ("W" * 42, "M" * 42))]
    sprites = overlay_sprites(script, layout, station, 30.0) + subtitle_sprites(cues, layout, station)
    for s in sprites:
        assert s.box.inside(*size), (s.kind, s.box)
        assert s.alpha.dtype == np.float32 and s.rgb.dtype == np.uint8
        assert 0.0 <= float(s.alpha.min()) and float(s.alpha.max()) <= 1.0


def test_headline_at_most_two_lines_and_fits():
    layout = layout_for(1080, 1920)
    font, lines = headline_lines(ZH.title, layout, "zh")
    assert len(lines) == 2 and "".join(lines) == ZH.title
    big = headline_lines(ZH.title, layout, "zh")[0].size
    font, lines = headline_lines(LONG_TITLE, layout, "zh")  # shrinks to fit two lines
    assert len(lines) == 2 and "".join(lines) == LONG_TITLE and font.size < big
    font, lines = headline_lines(LONG_TITLE * 3, layout, "zh")  # too long even then: cut with an ellipsis
    assert len(lines) == 2 and lines[1].endswith("…")
    for line in lines:
        l, _, r, _ = font.getbbox(line)
        assert r - l <= layout.headline.w


def test_subtitle_sprites_centred_in_box_and_timed(station):
    layout = layout_for(1080, 1920)
    cues = [Cue(0.5, 2.5, ("会议要求各乡镇严格落实防汛", "责任制，确保群众安全度汛")), Cue(2.5, 3.2, ("好",))]
    sprites = subtitle_sprites(cues, layout, station)
    assert len(sprites) == 2
    box = layout.subtitles
    for s, cue in zip(sprites, cues):
        assert (s.start, s.end) == (cue.start, cue.end)
        assert box.x <= s.x and s.x + s.width <= box.right
        assert box.y <= s.y and s.y + s.height <= box.bottom <= 0.8 * 1920
        assert abs((s.x + s.width / 2) - (box.x + box.w / 2)) <= 2
    # white text is there
    assert (sprites[0].rgb.min(axis=2) > 230).sum() > 2000


# --------------------------------------------------------------------------- background and blending


def test_studio_background_is_deterministic_and_not_flat(station):
    layout = layout_for(1080, 1920)
    a = studio_background(layout, station)
    b = studio_background(layout, station)
    assert a.shape == (1920, 1080, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert a.std() > 10
    assert len(np.unique(a.reshape(-1, 3)[::97], axis=0)) > 500


def test_blend_math_and_clipping():
    frame = np.zeros((100, 100, 3), np.uint8)
    sprite = Sprite(np.full((10, 10, 3), 200, np.uint8), np.full((10, 10, 1), 0.5, np.float32), 95, -5)
    blend(frame, sprite)
    assert np.all(frame[0:5, 95:100] == 100)
    assert frame[5:, :].max() == 0 and frame[:, :95].max() == 0
    blend(frame, Sprite(np.zeros((4, 4, 3), np.uint8), np.ones((4, 4, 1), np.float32), 200, 200))  # off-frame: no-op
    opaque = Sprite(np.full((2, 3, 3), 7, np.uint8), np.full((2, 3), 255, np.uint8), 0, 0)  # uint8 alpha accepted
    blend(frame, opaque)
    assert np.all(frame[0:2, 0:3] == 7)


def test_compose_respects_time_window_and_split_static():
    frame = np.zeros((10, 10, 3), np.uint8)
    s1 = Sprite(np.full((1, 1, 3), 255, np.uint8), np.ones((1, 1, 1), np.float32), 0, 0, 1.0, 2.0)
    s2 = Sprite(np.full((1, 1, 3), 255, np.uint8), np.ones((1, 1, 1), np.float32), 1, 0)
    compose(frame, [s1, s2], 0.5)
    assert frame[0, 0, 0] == 0 and frame[0, 1, 0] == 255
    compose(frame, [s1], 1.0)
    assert frame[0, 0, 0] == 255
    static, dynamic = split_static([s1, s2], 5.0)
    assert static == [s2] and dynamic == [s1]


def test_blend_speed():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (1920, 1080, 3), dtype=np.uint8)
    sprite = Sprite(rng.integers(0, 255, (200, 1080, 3), dtype=np.uint8), rng.random((200, 1080, 1), dtype=np.float32), 0, 1300)
    for _ in range(5):
        blend(frame, sprite)
    n = 100
    t = time.perf_counter()
    for _ in range(n):
        blend(frame, sprite)
    per = (time.perf_counter() - t) / n
    assert per < 0.005, f"blend of 1080x200 took {per * 1000:.2f} ms"
