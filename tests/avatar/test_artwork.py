"""The station's own mascot from its designer's artwork: a layered PSD or a folder of PNG layers, rendered for real."""

import json
import os
import shutil

import cv2
import numpy as np
import pytest
import yaml
from PIL import Image, ImageDraw

from anchor.avatar import add_mascot_avatar, load_avatar
from anchor.avatar.lipsync import Pose
from anchor.avatar.mascot import MascotParts
from anchor.avatar.pack import avatars_dir
from anchor.avatar.preview import studio_backdrop
from anchor.errors import AvatarError
from anchor.export.probe import read_audio, read_frames
from anchor.files import PROJECT_DIR
from anchor.graphics import layout_for
from anchor.pipeline import RenderOptions, render

SCRIPT = "---\ntitle: 融融试播\n---\n大家好，今天天气晴朗。\n"
FPS = 25
SIZE = (600, 900)  # the artwork's canvas
BODY, SHADE, HEAD, EYE = (42, 111, 219), (21, 55, 110), (245, 209, 66), (30, 30, 30)
PRIMARY = (31, 158, 74)  # the test station's primary colour
# (centre, half width, half height, colour): clearly different sizes and colours
MOUTHS = {"rest": ((300, 455), 40, 8, (120, 30, 40)), "closed": ((300, 455), 60, 5, (60, 20, 20)),
          "open": ((300, 470), 70, 55, (150, 0, 20)), "mid": ((300, 465), 55, 35, (180, 40, 60)),
          "wide": ((300, 460), 90, 22, (200, 60, 90)), "round": ((300, 465), 32, 40, (90, 0, 120)),
          "teeth": ((300, 458), 50, 16, (250, 250, 250))}


def _layer(draw) -> Image.Image:
    image = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    draw(ImageDraw.Draw(image))
    return image


def _body(d):
    d.rounded_rectangle((110, 520, 490, 960), 120, fill=BODY)
    d.rectangle((110, 700, 490, 740), fill=SHADE)  # a belt in a darker shade of the body colour


def artwork_layers() -> dict[str, Image.Image]:
    """A simple mascot: a blue body, a yellow round head, eyes in three states and seven mouths."""
    layers = {
        "body": _layer(_body),
        "head": _layer(lambda d: d.ellipse((110, 170, 490, 550), fill=HEAD)),
        "eyes_open": _layer(lambda d: [d.ellipse((x - 28, 302, x + 28, 358), fill=EYE) for x in (230, 370)]),
        "eyes_half": _layer(lambda d: [d.chord((x - 28, 302, x + 28, 358), 0, 180, fill=EYE) for x in (230, 370)]),
        "eyes_closed": _layer(lambda d: [d.line((x - 28, 340, x + 28, 340), fill=EYE, width=8) for x in (230, 370)]),
    }
    for shape, ((cx, cy), rx, ry, colour) in MOUTHS.items():
        layers[f"mouth_{shape}"] = _layer(lambda d, cx=cx, cy=cy, rx=rx, ry=ry, c=colour:
                                          d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=c))
    return layers


def write_psd(path, layers: dict[str, Image.Image], mode="RGBA"):
    """A layered PSD as a designer hands it over: Chinese names for body and head, the mouths in a group, only
    the resting mouth and open eyes showing.  In ``mode`` RGB each layer's transparency is a layer mask."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import Group, PixelLayer

    psd = PSDImage.new(mode, SIZE)
    mouths = None
    for name, image in layers.items():
        if name.startswith("mouth_") and mouths is None:
            mouths = Group.new(psd, "mouths")
        box = image.getbbox()
        layer = PixelLayer.frompil(image.crop(box), mouths if name.startswith("mouth_") else psd, "layer",
                                   top=box[1], left=box[0])
        layer.name = {"body": "身体", "head": "头"}.get(name, name)  # set after: the unicode name is its own record
        layer.visible = name in ("body", "head", "eyes_open", "mouth_rest")
    psd.save(path)
    return path


def write_png_folder(folder, layers: dict[str, Image.Image]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in layers.items():
        image.save(folder / f"{name}.png")
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A packs folder and a station with its own primary colour, for the whole module."""
    root = tmp_path_factory.mktemp("artwork")
    station = root / "station.yaml"
    station.write_text('name: 融媒体中心\nprimary: "#1f9e4a"\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANCHOR_AVATARS_DIR", str(root / "packs"))
        patch.setenv("ANCHOR_STATION", str(station))
        yield root


@pytest.fixture(scope="module")
def layers():
    return artwork_layers()


@pytest.fixture(scope="module")
def psd_pack(world, layers, anchor_cli):
    """The PSD added the way a producer does it, its body tinted with the station colour."""
    psd = write_psd(world / "融融.psd", layers)
    added = anchor_cli("avatar", "add-mascot", psd, "--name", "融融", "--tint", "body=primary", env=dict(os.environ))
    assert added.returncode == 0, added.stderr
    row = json.loads(added.stdout.strip().splitlines()[-1])
    assert row["id"] == "rong-rong" and row["kind"] == "sprite"
    return load_avatar("rong-rong")


@pytest.fixture(scope="module")
def png_pack(world, layers):
    return add_mascot_avatar(write_png_folder(world / "layers", layers), "融融二号", avatar_id="rong-png")


def _render(world, avatar: str):
    script = world / f"{avatar}.md"
    script.write_text(SCRIPT, encoding="utf-8")
    out = world / f"out-{avatar}"
    render(script, out, RenderOptions(avatar=avatar))
    return out / f"{avatar}.mp4", json.loads((out / f"{avatar}.json").read_text(encoding="utf-8"))


def _loud_and_quiet(video, info, loud=3):
    """Frames where the speech is loudest (``loud`` of them), then two inside pauses of the anchor's part."""
    samples, rate = read_audio(video)
    hop = rate // FPS
    rms = np.sqrt((samples[: len(samples) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1))
    first, last = (round(t * FPS) for t in info["segments"]["anchor"])
    loudest = first + np.argsort(rms[first:last])[::-1][:loud]
    quiet = [i for i in range(first + 2, last - 2) if rms[i - 2:i + 3].max() < 0.003]
    assert quiet, "no pause in the anchor's part"
    frames = read_frames(video, [i / FPS for i in [*loudest, quiet[0], quiet[-1]]])
    return frames[:loud], frames[loud:]


def _head_box(frame):
    """(x0, y0, x1, y1) of the yellow head in the anchor area of a decoded 9:16 frame (or in a rig's picture)."""
    box = layout_for(1080, 1920).avatar if frame.shape[:2] == (1920, 1080) else None
    area = (frame if box is None else frame[box.y:box.bottom, box.x:box.right]).astype(int)
    yellow = (np.abs(area - HEAD).max(axis=2) < 40).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(yellow)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h = stats[k, :4]
    x, y = (x, y) if box is None else (x + box.x, y + box.y)
    return x, y, x + w, y + h


def _mouth_pixels(frame, away=60) -> np.ndarray:
    """The pixels of the lower middle of the head that are not head-coloured: the mouth on screen (N x 3)."""
    x0, y0, x1, y1 = _head_box(frame)
    w, h = x1 - x0, y1 - y0
    lower = frame[y0 + int(0.55 * h):y0 + int(0.9 * h), x0 + w // 4:x1 - w // 4].reshape(-1, 3).astype(int)
    return lower[np.abs(lower - HEAD).max(axis=1) > away]


def _mouth_area(frame) -> int:
    return len(_mouth_pixels(frame))


def _mouth_shown(frame) -> str:
    """Which of the drawn mouths the frame shows, by the colour of its inside."""
    inside = np.median(_mouth_pixels(frame, away=120), axis=0)
    return min(MOUTHS, key=lambda shape: float(np.abs(inside - MOUTHS[shape][3]).max()))


def _colour_below_head(frame, drop=60):
    x0, _, x1, y1 = _head_box(frame)
    cx = (x0 + x1) // 2
    return frame[y1 + drop - 5:y1 + drop + 5, cx - 5:cx + 5].reshape(-1, 3).mean(axis=0)


# -- rendered through the real pipeline ---------------------------------------------------------

@pytest.mark.slow
def test_psd_mascot_reads_the_news_in_the_station_colour(world, psd_pack, tmp_path):
    folder = psd_pack.folder
    assert sorted(p.name for p in folder.iterdir()) == ["artwork.psd", "avatar.yaml", "preview.jpg"]
    data = yaml.safe_load((folder / "avatar.yaml").read_text(encoding="utf-8"))
    assert data["consent"] == {"needed": False, "reason": "drawn artwork / 原创卡通形象"}
    assert data["licence"] == "本台原创形象 / the station's own artwork"
    assert data["layers"]["body"] == "身体" and data["layers"]["mouth_open"] == "mouths/mouth_open"
    assert data["tint"] == {"body": "primary"}

    video, info = _render(world, "rong-rong")
    assert info["avatar"] == "rong-rong"
    loud, quiet = _loud_and_quiet(video, info)
    for frame in loud + quiet:
        x0, y0, x1, y1 = _head_box(frame)
        # framed as the pack says: the head 0.30 of the anchor area's height (1000 px in 9:16)
        assert 0.27 * 1000 < y1 - y0 < 0.33 * 1000, (y0, y1)
        assert abs((x0 + x1) / 2 - 540) < 25
        # the body shows the station's primary colour, not the artwork's blue
        assert np.abs(_colour_below_head(frame) - PRIMARY).max() < 14, _colour_below_head(frame)
    # loud syllables show the designer's open mouths, pauses the resting one
    shown = [_mouth_shown(f) for f in loud + quiet]
    assert all(s in ("open", "mid", "wide", "round", "teeth") for s in shown[:-2]), shown
    assert all(s in ("rest", "closed") for s in shown[-2:]), shown
    assert min(_mouth_area(f) for f in loud) > 1.5 * max(_mouth_area(f) for f in quiet)


@pytest.mark.slow
def test_png_layer_mascot_renders_the_artwork_colours(world, png_pack):
    assert sorted(p.name for p in (png_pack.folder / "layers").iterdir()) == sorted(
        f"{name}.png" for name in artwork_layers())
    video, info = _render(world, "rong-png")
    loud, quiet = _loud_and_quiet(video, info)
    for frame in loud + quiet:
        assert np.abs(_colour_below_head(frame) - BODY).max() < 14  # untinted: the designer's own blue
        x0, y0, x1, y1 = _head_box(frame)
        head = frame[y0 + (y1 - y0) // 5, (x0 + x1) // 2].astype(int)  # forehead
        assert np.abs(head - HEAD).max() < 14
    shown = [_mouth_shown(f) for f in loud + quiet]
    assert all(s not in ("rest", "closed") for s in shown[:-2]) and all(s in ("rest", "closed") for s in shown[-2:])


@pytest.mark.slow
def test_the_drawn_panda_still_reads_the_news(world):
    shutil.copytree(PROJECT_DIR / "avatars" / "mascot", avatars_dir() / "mascot")  # the built-in pack, as shipped
    assert isinstance(load_avatar("mascot").rig(studio_backdrop(1080, 1920)).parts, MascotParts)
    video, info = _render(world, "mascot")
    loud, _ = _loud_and_quiet(video, info, loud=1)
    box = layout_for(1080, 1920).avatar
    blazer = np.abs(loud[0][box.y:box.bottom, box.x:box.right].astype(int) - (28, 54, 112)).max(axis=2) < 20
    assert blazer.sum() > 20000  # the panda's navy blazer fills the lower anchor area


# -- the rig --------------------------------------------------------------------------------------

def _frame(rig, pose):
    out = rig.base.copy()
    for x, y, pixels in rig.patches(pose):
        out[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
    return out


def test_mouths_eyes_and_head_tilt_follow_the_pose(world, png_pack):
    rig = png_pack.rig(studio_backdrop(1080, 1920))
    assert np.array_equal(_frame(rig, Pose()), rig.base)
    shapes = {v: _frame(rig, Pose(0.9, viseme=v)) for v in MOUTHS}
    assert len({f.tobytes() for f in shapes.values()}) == len(MOUTHS)
    assert not np.array_equal(_frame(rig, Pose(blink=1.0)), rig.base)
    # the mouth opens by degrees: a wider opening of the same shape shows more of it
    sizes = [_mouth_area(_frame(rig, Pose(opening, viseme="open"))) for opening in (0.3, 0.6, 0.9)]
    assert sizes[0] < sizes[1] < sizes[2], sizes

    def eye_slope(frame):  # right eye's centre minus left eye's, in rows
        x0, y0, x1, y1 = _head_box(frame)
        dark = np.abs(frame[y0:y1, x0:x1].astype(int) - EYE).max(axis=2) < 40
        ys, xs = np.nonzero(dark)
        mid = (x1 - x0) / 2
        return ys[xs > mid].mean() - ys[xs < mid].mean()

    assert abs(eye_slope(rig.base)) < 0.5
    # + roll tilts the head clockwise as seen: the eye on the right drops
    assert eye_slope(_frame(rig, Pose(roll=0.7))) > 2 > -2 > eye_slope(_frame(rig, Pose(roll=-0.7)))


def test_artwork_is_shrunk_with_smooth_edges_and_tint_keeps_shading(world, layers):
    folder = write_png_folder(world / "tinted-layers", layers)
    pack = add_mascot_avatar(folder, "染色", avatar_id="tinted", tint={"body": "primary", "head": "#e05a00"})
    rig = pack.rig(np.zeros((1000, 1080, 3), np.uint8))
    picture = rig.base
    head_x, head_y = 540, rig.head.rect[1] + rig.head.rect[3] // 5
    assert np.abs(picture[head_y, head_x].astype(int) - (224, 90, 0)).max() <= 2
    # the body's main tone is the station's colour, its darker belt a darker shade of it
    column = picture[:, 540].astype(int)
    body_rows = np.flatnonzero(np.abs(column - PRIMARY).max(axis=1) <= 2)
    belt_rows = np.flatnonzero(np.abs(column - np.array(PRIMARY) * 0.5).max(axis=1) <= 3)
    assert len(body_rows) > 100 and len(belt_rows) > 20 and belt_rows.min() > body_rows.min()
    # the outline is averaged down, not cut: a smooth ramp from the head to the black behind it
    row = picture[head_y + 40].astype(int)
    edge = np.flatnonzero((row[:, 0] > 10) & (row[:, 0] < 214))
    assert 1 <= len(edge) <= 8


def test_optional_arms_and_blink_layers(world, layers):
    arms, lashes = (200, 30, 200), (250, 120, 0)
    extra = {**layers,
             "手臂": _layer(lambda d: [d.rectangle((x, 600, x + 40, 800), fill=arms) for x in (80, 480)]),
             "blink": _layer(lambda d: [d.line((x - 30, 325, x + 30, 325), fill=lashes, width=6) for x in (230, 370)])}
    pack = add_mascot_avatar(write_png_folder(world / "extra-layers", extra), "手臂", avatar_id="with-arms")
    assert pack.layers["arms"] == "手臂" and pack.layers["blink"] == "blink"
    rig = pack.rig(studio_backdrop(1080, 1920))

    def count(frame, colour):
        return int((np.abs(frame.astype(int) - colour).max(axis=2) < 30).sum())

    assert count(rig.base, arms) > 1000  # over the body, where the designer put them
    assert count(rig.base, lashes) == 0 < count(_frame(rig, Pose(blink=1.0)), lashes)


def test_psd_layers_read_like_the_png_layers_masks_and_hidden_layers_too(world, layers, tmp_path):
    from anchor.avatar.artwork import read_artwork

    pngs = read_artwork(write_png_folder(tmp_path / "layers", layers))
    for mode in ("RGBA", "RGB"):
        psd = read_artwork(write_psd(tmp_path / f"{mode}.psd", layers, mode))
        assert set(psd.parts) == set(pngs.parts) == set(layers)
        for part, layer in psd.parts.items():
            png = pngs.parts[part]
            assert layer.box == png.box, (mode, part)
            x0, y0, x1, y1 = layer.box
            alpha = layer.pixels[y0 - layer.top:y1 - layer.top, x0 - layer.left:x1 - layer.left, 3]
            assert np.array_equal(alpha, png.pixels[y0:y1, x0:x1, 3]), (mode, part)
    assert psd.head_pivot == (300.5, 551.0)  # the middle of the head's lower edge (PIL draws the box inclusive)


# -- refusals ---------------------------------------------------------------------------------------

def test_missing_layers_are_named_and_nothing_is_written(world, layers, tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path / "packs"))
    partial = {k: v for k, v in layers.items() if k not in ("mouth_round", "eyes_half")}
    for source in (write_png_folder(tmp_path / "layers", partial), write_psd(tmp_path / "art.psd", partial)):
        with pytest.raises(AvatarError) as error:
            add_mascot_avatar(source, "缺图层")
        assert "缺少图层" in error.value.zh and "mouth_round" in error.value.zh and "eyes_half" in error.value.zh
        assert "mouth_round" in error.value.en and "eyes_half" in error.value.en
        assert "mouth_open" not in error.value.en.split(";")[0]
        assert error.value.exit_code == 2
    assert not (tmp_path / "packs").exists() or list((tmp_path / "packs").iterdir()) == []


def test_a_layer_named_in_the_yaml_must_exist(world, psd_pack, tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path))
    folder = tmp_path / "renamed"
    shutil.copytree(psd_pack.folder, folder)
    data = yaml.safe_load((folder / "avatar.yaml").read_text(encoding="utf-8"))
    data["layers"]["mouth_wide"] = "嘴-大笑"
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AvatarError, match="嘴-大笑") as error:
        load_avatar("renamed").rig(studio_backdrop(1080, 1920))
    assert "mouth_wide" in error.value.en
    data["tint"] = {"body": "chartreuse"}
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AvatarError, match="tint.body must be"):
        load_avatar("renamed")
