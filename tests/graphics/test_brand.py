"""The brand page's library side: a producer's edits saved into the station file (comments kept, the previous
version kept), checked first, and the new logo, name and credit seen where the clip draws them."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from anchor.errors import InputError
from anchor.files import PROJECT_DIR
from anchor.graphics import brand_fields, brand_sprite, layout_for, load_station, save_station, title_card
from anchor.graphics.brand import HISTORY_KEEP, edit_yaml
from anchor.graphics.linebreak import text_width
from anchor.graphics.station import Station
from anchor.graphics.template import Look, load_template

NOTO_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
LATIN_ONLY = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GREEN, BLUE = (0, 160, 80), (16, 96, 224)


@pytest.fixture
def station_yaml(tmp_path, monkeypatch):
    """A copy of the repo's station.yaml, the file load_station() and save_station() use through ANCHOR_STATION."""
    path = tmp_path / "station" / "station.yaml"
    path.parent.mkdir()
    shutil.copy(PROJECT_DIR / "station.yaml", path)
    monkeypatch.setenv("ANCHOR_STATION", str(path))
    return path


def rgba_logo(path: Path, opaque: bool = False) -> Path:
    """A green bar, on a transparent margin unless ``opaque`` (then on white, still an RGBA file)."""
    rgba = np.zeros((80, 160, 4), np.uint8)
    if opaque:
        rgba[:] = (255, 255, 255, 255)
    rgba[10:70, 10:150] = (*GREEN, 255)
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def svg_logo(path: Path) -> Path:
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
                    '<circle cx="50" cy="50" r="45" fill="#1060e0"/><rect x="110" y="10" width="80" height="80" '
                    'fill="#1060e0"/></svg>', encoding="utf-8")
    return path


def bug_for(station: Station):
    return brand_sprite(layout_for(1080, 1920), Look(load_template("news"), station))


def coloured(sprite, rgb, tolerance=40) -> int:
    """How many opaque pixels of ``sprite`` have the colour ``rgb``."""
    near = np.abs(sprite.rgb.astype(int) - rgb).max(axis=2) < tolerance
    return int((near & (sprite.alpha[..., 0] > 0.9)).sum())


def bilingual(error: InputError) -> None:
    assert re.search(r"[\u4e00-\u9fff]", error.zh) and re.search(r"[a-z]{3}", error.en)
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"'[^']*'", "", error.en))  # but for the value quoted


def test_a_saved_name_is_the_next_loads_and_the_comments_stay(station_yaml):
    before = station_yaml.read_text(encoding="utf-8")
    station = save_station({"name": "江津区融媒体中心", "primary": "#1A5FB4", "code": "jiangjin-rmt"})
    assert station.name == load_station().name == "江津区融媒体中心"
    assert load_station().primary == "#1a5fb4" and load_station().code == "jiangjin-rmt"
    after = station_yaml.read_text(encoding="utf-8")
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new) if a != b]
    assert [b.split(":")[0] for _, b in changed] == ["name", "code", "primary"]
    for a, b in changed:  # each edited line keeps its comment, in the same column (CJK counted double)
        assert a[a.index(" # "):] == b[b.index(" # "):]
        assert text_width(a[:a.index(" # ")]) == text_width(b[:b.index(" # ")])
    assert 'primary: "#1a5fb4"          # banner red' in new
    assert [ln for ln in old if ln.lstrip().startswith("#")] == [ln for ln in new if ln.lstrip().startswith("#")]
    history = list((station_yaml.parent / "brand-history").iterdir())
    assert [h.read_text(encoding="utf-8") for h in history] == [before]  # the previous version, byte for byte


def test_unchanged_values_write_nothing(station_yaml):
    before = station_yaml.read_bytes()
    save_station(brand_fields(load_station()))  # what the page shows, saved back as it is
    assert station_yaml.read_bytes() == before
    assert not (station_yaml.parent / "brand-history").exists()


def test_history_keeps_the_last_versions_only(station_yaml):
    for n in range(HISTORY_KEEP + 3):
        save_station({"name": f"第{n}融媒体中心"})
    history = sorted((station_yaml.parent / "brand-history").iterdir())
    assert len(history) == HISTORY_KEEP
    assert "name: 第11融媒体中心" in history[-1].read_text(encoding="utf-8")  # the one before the last save
    assert load_station().name == "第12融媒体中心"


@pytest.mark.parametrize("changes, field", [
    ({"primary": "red"}, "primary"),
    ({"secondary": "#12345"}, "secondary"),
    ({"name": "   "}, "name"),
    ({"code": ""}, "code"),
    ({"code": "江津台"}, "code"),
    ({"code": "jiangjin rmt"}, "code"),
    ({"ai_label_position": "bottom"}, "ai_label_position"),
    ({"colour": "#ffffff"}, "colour"),
])
def test_a_bad_value_is_refused_and_nothing_is_written(station_yaml, tmp_path, changes, field):
    before = station_yaml.read_bytes()
    with pytest.raises(InputError) as refused:
        save_station(changes, logo=rgba_logo(tmp_path / "logo.png"))
    bilingual(refused.value)
    assert field in refused.value.en
    assert station_yaml.read_bytes() == before
    assert sorted(p.name for p in station_yaml.parent.iterdir()) == ["station.yaml"]  # no logo, no history


@pytest.mark.parametrize("make", ["opaque rgba", "rgb", "jpeg"])
def test_an_opaque_logo_is_refused(station_yaml, tmp_path, make):
    if make == "opaque rgba":
        upload = rgba_logo(tmp_path / "logo.png", opaque=True)
    else:
        upload = tmp_path / ("logo.png" if make == "rgb" else "logo.jpg")
        Image.new("RGB", (120, 60), GREEN).save(upload)
    before = station_yaml.read_bytes()
    with pytest.raises(InputError) as refused:
        save_station({}, logo=upload)
    bilingual(refused.value)
    assert "透明" in refused.value.zh and "transparent" in refused.value.en and "box" in refused.value.en
    assert station_yaml.read_bytes() == before and not (station_yaml.parent / "brand").exists()


def test_an_rgba_png_becomes_the_logo_on_the_station_bug(station_yaml, tmp_path):
    old_bug = bug_for(load_station())
    assert coloured(old_bug, GREEN) == 0
    station = save_station({"name": "江津区融媒体中心"}, logo=rgba_logo(tmp_path / "upload-名字.png"))
    assert Path(station.logo) == station_yaml.parent / "brand" / "logo.png"
    assert "logo: brand/logo.png" in station_yaml.read_text(encoding="utf-8")
    bug = bug_for(load_station())
    logo_w = round(bug.height * 160 / 80)
    assert coloured(bug, GREEN) > 0.6 * (bug.height * 60 / 80) * (logo_w * 140 / 160)
    assert bug.width != old_bug.width  # the longer name and the logo's width


def test_an_svg_logo_is_rasterised_with_transparency(station_yaml, tmp_path):
    station = save_station({}, logo=svg_logo(tmp_path / "logo.svg"))
    with Image.open(station.logo) as png:
        assert png.format == "PNG" and png.mode == "RGBA" and png.size == (1024, 512)
        alpha = np.asarray(png)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255
    bug = bug_for(load_station())
    assert coloured(bug, BLUE) > 0.3 * bug.height ** 2
    # the transparent gap between the circle and the square shows the bug's white plate, not a box of colour
    gap = bug.rgb[bug.height // 2, int(bug.height * 1.0)]
    assert gap.min() > 200


def test_the_credit_line_shows_on_the_outro(station_yaml):
    layout = layout_for(1080, 1920)
    default = title_card(layout, Look(load_template("news"), load_station()), "", "zh", closing=True)
    assert load_station().credit_line("zh") == "融媒体中心出品"  # today's wording when there is no credit
    assert load_station().credit_line("en") == "Produced by Media Center"
    save_station({"credit": "江津区融媒体中心 × 县委宣传部 联合出品", "credit_en": "A Jiangjin Media production"})
    station = load_station()
    credited = title_card(layout, Look(load_template("news"), station), "", "zh", closing=True)
    rows = np.nonzero(np.abs(credited.astype(int) - default).max(axis=2) > 60)[0]
    H = layout.height
    assert rows.size and rows.min() > H * 0.55 and rows.max() < H * 0.66  # only the credit line changed
    english = title_card(layout, Look(load_template("news"), station), "", "en", closing=True)
    plain = title_card(layout, Look(load_template("news"), Station()), "", "en", closing=True)
    assert np.abs(english.astype(int) - plain).max() > 60
    save_station({"credit": ""})  # cleared: the default wording is back
    again = title_card(layout, Look(load_template("news"), load_station()), "", "zh", closing=True)
    assert np.array_equal(again, default)


@pytest.mark.skipif(not NOTO_BOLD.is_file(), reason="needs fonts-noto-cjk (setup.sh installs it)")
def test_fonts_are_copied_under_a_fixed_name_and_checked(station_yaml, tmp_path):
    station = save_station({}, font_bold=NOTO_BOLD)
    assert Path(station.font_bold) == station_yaml.parent / "brand" / "font-bold.ttc"
    not_a_font = tmp_path / "font.ttf"
    not_a_font.write_text("not a font", encoding="utf-8")
    fakes = [not_a_font] + ([LATIN_ONLY] if LATIN_ONLY.is_file() else [])
    for fake in fakes:
        before = station_yaml.read_bytes()
        with pytest.raises(InputError) as refused:
            save_station({}, font_regular=fake)
        bilingual(refused.value)
        assert station_yaml.read_bytes() == before
        assert not (station_yaml.parent / "brand" / "font-regular.ttf").exists()


def test_a_missing_station_file_is_created(tmp_path, monkeypatch):
    path = tmp_path / "new" / "station.yaml"
    monkeypatch.setenv("ANCHOR_STATION", str(path))
    save_station({"name": "新县融媒体中心", "ai_label_seconds": 3})
    assert load_station().name == "新县融媒体中心" and load_station().ai_label_seconds == 3.0
    assert not (path.parent / "brand-history").exists()


def test_edit_yaml_keeps_line_endings_and_quotes():
    text = "# top\r\nname: 旧  # 注释\r\nsecondary: '#fff' # 'quoted # not a comment'\r\n"
    out = edit_yaml(text, {"name": "yes", "secondary": "#000000", "credit": "出品: 县台"})
    assert out == ('# top\r\nname: "yes"  # 注释\r\ncredit: "出品: 县台"\r\n'
                   'secondary: "#000000"  # \'quoted # not a comment\'\r\n')


def test_an_empty_upload_keeps_the_logo_and_a_blank_removes_it(station_yaml, tmp_path):
    save_station({}, logo=rgba_logo(tmp_path / "logo.png"))
    kept = save_station({"name": "江津区融媒体中心", "logo": None, "font_bold": None})  # upload boxes left empty
    assert kept.logo and coloured(bug_for(load_station()), GREEN) > 0
    cleared = save_station({"logo": "", "credit": "  "})
    assert cleared.logo is None and load_station().logo is None and load_station().credit is None
    assert coloured(bug_for(load_station()), GREEN) == 0  # the emblem with the station's first character again


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)])
def test_the_logo_opens_and_closes_the_clip_above_the_name(station_yaml, tmp_path, size):
    look = lambda: Look(load_template("news"), load_station())  # noqa: E731
    layout = layout_for(*size)
    before = title_card(layout, look(), "县图书馆延长开放时间")
    assert (np.abs(before.astype(int) - GREEN).max(axis=2) < 40).sum() == 0
    save_station({}, logo=rgba_logo(tmp_path / "logo.png"))
    for closing in (False, True):
        card = title_card(layout, look(), "县图书馆延长开放时间", closing=closing)
        rows = np.flatnonzero((np.abs(card.astype(int) - GREEN).max(axis=2) < 40).any(axis=1))
        assert len(rows) > 0.05 * min(size)  # the logo is there, at a readable size
        name_rows = np.flatnonzero((np.abs(card.astype(int) - 255).max(axis=2) < 30).any(axis=1))
        assert rows.max() < name_rows.min()  # above the station's name (the first white ink), not over it
