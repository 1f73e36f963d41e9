import math

import numpy as np
import pytest

from anchor.errors import InputError, RenderError
from anchor.files import PROJECT_DIR
from anchor.graphics import (
    SUPPORTED, Cue, Sprite, ai_label_sprite, blend, brand_sprite, corner_mark_sprite, desk_sprite, fonts as graphics,
    layout_for, studio_background,
)
from anchor.graphics.fonts import font_file, get_font
from anchor.graphics.linebreak import wrap_text
from anchor.graphics.station import Station, load_station
from anchor.graphics.template import Look, list_templates, load_template
from anchor.graphics.titles import (
    headline_lines, headline_sprite, lower_third_sprite, subtitle_sprites, ticker_art, title_card,
)
from anchor.script import LowerThird, Script

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


@pytest.fixture(scope="module", params=["news", "service"])
def look(request, station):
    return Look(load_template(request.param), station)


def overlay_sprites(script, layout, look):
    """Every still element of the package for ``script``, as the pipeline draws them."""
    sprites = [brand_sprite(layout, look), corner_mark_sprite(layout, look),
               headline_sprite(script.title, layout, look, script.language), ai_label_sprite(layout, look, script.language)]
    if script.lower_third:
        sprites.append(lower_third_sprite(script.lower_third.name, script.lower_third.title, layout, look))
    desk = desk_sprite(layout, look)
    return sprites + ([desk] if desk is not None else [])


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
    monkeypatch_free = load_station(PROJECT_DIR / "station.yaml")
    assert monkeypatch_free.ai_label_seconds >= 2.0


def test_ai_label_seconds_below_legal_minimum_is_clamped(tmp_path):
    with pytest.warns(UserWarning, match="2"):
        st = Station(ai_label_seconds=1.0)
    assert st.ai_label_seconds == 2.0
    path = tmp_path / "s.yaml"
    path.write_text("ai_label_seconds: 0.5\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        assert load_station(path).ai_label_seconds == 2.0
    sprite = ai_label_sprite(layout_for(1080, 1920), Look(load_template("news"), st))
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


def test_station_read_title_default(tmp_path):
    assert Station().read_title is False
    assert load_station(PROJECT_DIR / "station.yaml").read_title is False  # today's clips stay as they were
    path = tmp_path / "s.yaml"
    path.write_text("read_title: true\n", encoding="utf-8")
    assert load_station(path).read_title is True
    path.write_text("read_title: 'yes please'\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_station(path)
    assert str(e.value).startswith("台标配置中的 read_title 应为 true 或 false") and "must be true or false" in str(e.value)


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
    label = ai_label_sprite(layout, Look(load_template("news"), station), language)
    top, bottom = ink_rows(label)
    assert bottom - top + 1 >= 0.05 * min(size), (top, bottom)
    if size == (1080, 1920):
        assert bottom - top + 1 >= 54
    assert label.start == 0.0 and label.end >= max(2.0, station.ai_label_seconds)
    assert label.box.inside(*size)
    # high contrast: white text on a dark, nearly opaque panel
    panel = (label.alpha[..., 0] > 0.75) & (label.rgb.max(axis=2) < 60)
    assert panel.sum() > 0.3 * label.alpha.size


def test_label_and_corner_mark_timing(look):
    layout = layout_for(1080, 1920)
    label = ai_label_sprite(layout, look)
    assert label.visible(0.0) and label.visible(1.99) and not label.visible(look.station.ai_label_seconds + 0.01)
    mark = corner_mark_sprite(layout, look)
    assert mark.start == 0.0 and math.isinf(mark.end)


@pytest.mark.parametrize("position", ["top-left", "top-right"])
def test_ai_label_position_is_configurable(position):
    for size in SIZES:
        layout = layout_for(*size)
        label = ai_label_sprite(layout, Look(load_template("news"), Station(ai_label_position=position)))
        centre = label.x + label.width / 2
        assert (centre < size[0] / 2) == (position == "top-left")
        assert label.y < size[1] * 0.3 and label.box.inside(*size)


def test_templates_look_different(station):
    templates = list_templates()
    assert {"news", "service"} <= {t.name for t in templates}
    layout = layout_for(1080, 1920)
    news, service = (Look(load_template(n), station) for n in ("news", "service"))
    a = headline_sprite("县里举办农民丰收节", layout, news)
    b = headline_sprite("县里举办农民丰收节", layout, service)
    assert abs(float(a.rgb.mean()) - float(b.rgb.mean())) > 40  # red banner vs light card
    assert not np.array_equal(studio_background(layout, news), studio_background(layout, service))


def test_bad_template_is_a_clear_error(tmp_path, station):
    with pytest.raises(InputError, match="unknown graphics template"):
        load_template("no-such-template")
    path = tmp_path / "t.yaml"
    path.write_text("headline: {fill: not-a-colour}\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a colour"):
        load_template(str(path))
    path.write_text("ticker: {speed: fast}\n", encoding="utf-8")
    with pytest.raises(InputError, match="ticker.speed"):
        load_template(str(path))


def test_station_logo_replaces_the_emblem(tmp_path):
    logo = tmp_path / "logo.png"
    rgba = np.zeros((80, 80, 4), np.uint8)
    rgba[10:70, 10:70] = (0, 160, 80, 255)  # a green square with a transparent margin
    from PIL import Image

    Image.fromarray(rgba, "RGBA").save(logo)
    (tmp_path / "station.yaml").write_text("name: 测试台\nlogo: logo.png\n", encoding="utf-8")
    station = load_station(tmp_path / "station.yaml")
    bug = brand_sprite(layout_for(1080, 1920), Look(load_template("news"), station))
    green = (bug.rgb[..., 1] > 140) & (bug.rgb[..., 0] < 40) & (bug.alpha[..., 0] > 0.9)
    assert green.sum() > 0.5 * (bug.height * 60 / 80) ** 2
    (tmp_path / "station.yaml").write_text("logo: missing.png\n", encoding="utf-8")
    with pytest.raises(InputError, match="logo"):
        load_station(tmp_path / "station.yaml")


@pytest.mark.parametrize("size", SIZES)
def test_ticker_art_fits_its_band(size, look):
    layout = layout_for(*size)
    art = ticker_art("预约电话：12345 · 开放时间每天9:00-17:00", layout, look)
    assert art.band.box == layout.ticker or art.band.box.inside(*size)
    assert art.window.x >= layout.ticker.x and art.window.right <= layout.ticker.right
    assert art.strip_rgb.shape[0] == layout.ticker.h and art.px_per_second > 0
    chars = len("预约电话：12345·开放时间每天9:00-17:00")
    assert art.px_per_second == pytest.approx(look.template.ticker.speed * (art.strip_rgb.shape[1] - int(layout.ticker.h * 2.5)) / chars, rel=0.05)


@pytest.mark.parametrize("closing", [False, True])
def test_title_cards_fill_the_frame(closing, look):
    layout = layout_for(1920, 1080)
    card = title_card(layout, look, "县里举办农民丰收节", "zh", closing)
    assert card.shape == (1080, 1920, 3) and card.std() > 10


# --------------------------------------------------------------------------- fitting in the frame


LONG_TITLE = "我县召开2024年秋季防汛抗旱暨地质灾害防治工作部署会议要求各乡镇各部门立即行动压实责任确保群众生命财产安全"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("script", [ZH, EN, Script(title=LONG_TITLE, body="x", language="zh", lower_third=LowerThird("欧阳建国" * 3, "县人民政府办公室副主任兼县应急管理局党组书记局长"))])
def test_all_sprites_inside_frame(size, script, look):
    layout = layout_for(*size)
    cues = [Cue(0.0, 2.0, tuple(wrap_text("会议要求各乡镇严格落实防汛责任制，确保群众安全度汛", "zh"))),
            Cue(2.0, 4.0, ("W" * 42, "M" * 42))]
    sprites = overlay_sprites(script, layout, look) + subtitle_sprites(cues, layout, look)
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
    sprites = subtitle_sprites(cues, layout, Look(load_template("news"), station))
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
    look = Look(load_template("news"), station)
    a = studio_background(layout, look)
    b = studio_background(layout, look)
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


def test_a_template_extends_another_stating_only_what_differs(tmp_path):
    cut = load_template("desk-cut")  # shipped: the news template with the vertical desk cutting
    news = load_template("news")
    assert cut.desk.vertical == "cut" and news.desk.vertical == "two-shot"
    assert cut.headline == news.headline and cut.intro == news.intro and cut.name == "desk-cut"
    own = tmp_path / "own.yaml"
    own.write_text("extends: desk-cut\nticker: {speed: 8}\n", encoding="utf-8")
    mine = load_template(str(own))
    assert mine.desk.vertical == "cut" and mine.ticker.speed == 8 and mine.ticker.fill == news.ticker.fill
    own.write_text("extends: no-such\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_template(str(own))
    assert "找不到模板" in e.value.zh and "unknown template 'no-such'" in e.value.en
    own.write_text("extends: own.yaml\n", encoding="utf-8")
    with pytest.raises(InputError, match="circle"):
        load_template(str(own))
