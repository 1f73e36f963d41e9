"""The face is never shown more than about 1.3x its native pixels: a small photo is framed smaller (and says
what would fill the frame), a large one keeps its detail, and ``avatar add``'s size rule follows from it."""

import json
import math
import os
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest
import skimage.data

from anchor.avatar import (
    FILL_FACE_HEIGHT,
    FILL_FRAME,
    MAX_UPSCALE,
    MIN_FACE_HEIGHT,
    framing_shortfall,
    load_avatar,
    size_warning,
)
from anchor.avatar.consent import consent_request
from anchor.avatar.face import analyse, find_face
from anchor.avatar.framing import MAX_PHOTO_SIDE, fill_face_height
from anchor.avatar.pack import add_photo_avatar
from anchor.errors import AvatarError
from anchor.graphics import SUPPORTED, layout_for

FRAMES = [(1080, 1920), (1920, 1080), (1080, 1080)]


@pytest.fixture(scope="module")
def astronaut():
    return load_avatar("astronaut")


def _photo(size: int) -> np.ndarray:
    """The NASA portrait enlarged (cubic) to ``size`` pixels square: a larger photo of the same presenter."""
    return cv2.resize(skimage.data.astronaut(), (size, size), interpolation=cv2.INTER_CUBIC)


def _write(path, rgb):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(scope="module")
def large(astronaut, tmp_path_factory):
    """The example anchor from a 2048 px photo (a face of about 410 px): more than any frame needs."""
    folder = tmp_path_factory.mktemp("large")
    _write(folder / "photo.png", _photo(2048))
    shutil.copy(astronaut.folder / "avatar.yaml", folder / "avatar.yaml")
    return replace(astronaut, id="large", source="photo.png", folder=folder, preview=None)


def _placement(pack, face):
    """(scale, dx, dy) the framing applied to the pack's photo, from the framed face and the native one."""
    native, _ = analyse(pack.image())
    scale = face.height / native.height
    dx, dy = face.points[10] - native.points[10] * scale
    return scale, float(dx), float(dy), native


@pytest.mark.parametrize("size", FRAMES[:2])
def test_a_small_photo_is_never_enlarged_past_the_limit(astronaut, size):
    layout = layout_for(*size)
    box = layout.avatar
    framing = astronaut.framing_for(layout.orientation)
    picture, face = astronaut.cut_out(box.w, box.h, layout.orientation)
    scale, dx, dy, native = _placement(astronaut, face)
    assert native.height < framing.head_height * box.h / MAX_UPSCALE  # this photo is too small for the framing
    assert abs(scale - MAX_UPSCALE) < 1e-3, scale  # ... so it is enlarged exactly up to the limit, no further
    # the landmark model, run on the framed picture itself, measures the same face
    seen = find_face(np.ascontiguousarray(picture[..., :3]))
    assert seen.height / native.height < MAX_UPSCALE * 1.04, seen.height / native.height
    assert abs(seen.height - face.height) < 0.04 * face.height
    # the eye line stays where the framing puts it; the head is centred
    assert abs(face.points[[159, 386], 1].mean() - framing.eye_line * box.h) < 1.0
    assert abs(face.points[[234, 454], 0].mean() - box.w / 2) < 1.0
    # the photo ends inside the area: its bottom and sides fade out, never a hard cut
    alpha = picture[..., 3].astype(int)
    h, w = astronaut.image().shape[:2]
    bottom, left, right = dy + h * scale, dx, dx + w * scale
    assert bottom < box.h - 10 and left > 10 and right < box.w - 10
    assert alpha[int(bottom) - 1].max() <= 16  # the last row of the photo is all but transparent
    body = alpha[int(bottom - 1.5 * face.height), int(left) + 1:int(right) - 1]
    assert body.max() == 255  # ... where, higher up, the body is solid
    middle = slice(int(box.w / 2 - 0.6 * face.height), int(box.w / 2 + 0.6 * face.height))  # the suit's front
    band = alpha[int(bottom - 0.9 * face.height):int(bottom), middle]
    assert np.abs(np.diff(band, axis=0)).max() <= 12  # a gentle fade, row by row
    for column in (math.ceil(left), math.floor(right) - 1):
        assert alpha[:, column].max() <= 16


@pytest.mark.parametrize("size", FRAMES)
def test_a_large_photo_fills_the_frame_as_the_framing_says(large, size):
    layout = layout_for(*size)
    box = layout.avatar
    framing = large.framing_for(layout.orientation)
    picture, face = large.cut_out(box.w, box.h, layout.orientation)
    scale, _, _, native = _placement(large, face)
    assert native.height > 400 and scale < 1.0
    assert abs(face.height - framing.head_height * box.h) < 0.01 * face.height
    assert abs(face.points[[159, 386], 1].mean() - framing.eye_line * box.h) < 1.0
    seen = find_face(np.ascontiguousarray(picture[..., :3]))
    assert abs(seen.height - framing.head_height * box.h) < 0.04 * face.height
    assert picture[-1, :, 3].max() == 255  # the body reaches the bottom of the area, as before
    assert framing_shortfall(large, box.w, box.h, layout.orientation) is None
    assert size_warning(large) is None


def test_the_size_rule_follows_from_the_layouts():
    fills = {size: fill_face_height(*size) for size in SUPPORTED}
    assert MIN_FACE_HEIGHT == min(fills.values()) and FILL_FACE_HEIGHT == fills[FILL_FRAME] == max(fills.values())
    assert FILL_FRAME == (1080, 1920)  # the tall frame's anchor area asks for the largest face
    box = layout_for(1080, 1920).avatar
    assert FILL_FACE_HEIGHT * MAX_UPSCALE >= 0.29 * box.h > (FILL_FACE_HEIGHT - 1) * MAX_UPSCALE


def test_a_small_photo_says_what_would_fill_the_frame(astronaut):
    box = layout_for(1080, 1920).avatar
    note = framing_shortfall(astronaut, box.w, box.h, "vertical")
    native = analyse(astronaut.image())[0].height
    assert note is not None and note.native_face_px == round(native) and note.frame_face_px == round(0.29 * box.h)
    assert note.fill_face_px == FILL_FACE_HEIGHT
    assert abs(note.shown_share - native * MAX_UPSCALE / (0.29 * box.h)) < 0.002
    w, h = note.fill_photo
    assert abs(w - 512 * FILL_FACE_HEIGHT / native) <= 10 and w == h
    assert f"{FILL_FACE_HEIGHT} 像素" in note.zh and f"{w}×{h}" in note.zh and "竖屏" in note.zh
    assert f"{FILL_FACE_HEIGHT} px" in note.en and f"{w}x{h}" in note.en and "1.3x" in note.en
    assert note.warning == f"{note.zh} / {note.en}"
    warning = size_warning(astronaut)
    assert f"{FILL_FACE_HEIGHT} 像素" in warning and "1080x1920" in warning
    assert framing_shortfall(load_avatar("mascot"), box.w, box.h, "vertical") is None  # drawn: no native size


# -- avatar add -------------------------------------------------------------------------------------

def _consent(name="试用"):
    return consent_request(None, "测试用的授权 / a consent note for this test", name)


def test_add_refuses_a_face_under_the_minimum_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path))
    native = analyse(skimage.data.astronaut())[0].height
    size = round(512 * 0.9 * MIN_FACE_HEIGHT / native)  # a face of about 0.9 N
    photo = _write(tmp_path / "small.png", _photo(size))
    with pytest.raises(AvatarError) as error:
        add_photo_avatar(photo, "试用", consent=_consent())
    assert f"至少需要 {MIN_FACE_HEIGHT} 像素" in error.value.zh and "额头到下巴" in error.value.zh
    assert f"at least {MIN_FACE_HEIGHT} px needed" in error.value.en and f"{FILL_FACE_HEIGHT} px fills" in error.value.en
    assert list(tmp_path.iterdir()) == [photo]  # nothing written


def test_add_takes_a_face_between_the_sizes_and_warns(tmp_path, anchor_cli):
    native = analyse(skimage.data.astronaut())[0].height
    size = round(512 * (MIN_FACE_HEIGHT + FILL_FACE_HEIGHT) / 2 / native)
    photo = _write(tmp_path / "李华.png", _photo(size))
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(tmp_path / "packs")}
    added = anchor_cli("avatar", "add", photo, "--name", "李华", "--consent-note", "李华本人同意用于测试", env=env)
    assert added.returncode == 0, added.stderr
    row = json.loads(added.stdout.strip().splitlines()[-1])
    warning, = row["warnings"]
    assert f"{FILL_FACE_HEIGHT} px" in warning and "1080x1920" in warning and warning in added.stderr
    stored = cv2.imread(str(tmp_path / "packs" / row["id"] / "photo.png"))
    assert stored.shape[:2] == (size, size)  # kept as it came
    assert MIN_FACE_HEIGHT <= analyse(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))[0].height < FILL_FACE_HEIGHT


def test_add_keeps_a_large_photos_detail_up_to_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path / "packs"))
    photo = _write(tmp_path / "big.png", _photo(MAX_PHOTO_SIDE + 200))
    pack = add_photo_avatar(photo, "大图", "big", consent=_consent("大图"))
    stored = pack.image()
    assert stored.shape[:2] == (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE)  # scaled to the limit, no smaller
    assert analyse(stored)[0].height > 2.5 * FILL_FACE_HEIGHT and size_warning(pack) is None


# -- a clip -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_clip_of_a_small_photo_carries_the_framing_warning(tmp_path):
    from anchor.pipeline import RenderOptions, render_script
    from anchor.script import parse_script

    script = parse_script("图书馆延长开放\n从今天起，县图书馆开放到晚上九点。\n", ".txt", stem="news")
    clip, = render_script(script, tmp_path / "out", RenderOptions(avatar="astronaut", aspects=("9:16",),
                                                                   lead_in=0.2, lead_out=0.3))
    info = json.loads(clip.metadata.read_text(encoding="utf-8"))
    framing, = [w for w in info["warnings"] if "anchor's photo is small" in w]
    assert f"至少 {FILL_FACE_HEIGHT} 像素高" in framing and f"a face of at least {FILL_FACE_HEIGHT} px" in framing
    assert "1080x1000 anchor area" in framing


def test_the_studio_states_the_size_rule_up_front(tmp_path):
    from anchor.apps.service import RenderService
    from anchor.apps.studio import build_ui

    service = RenderService(tmp_path / "out")
    try:
        for lang, words in (("zh", f"至少 {MIN_FACE_HEIGHT} 像素高；{FILL_FACE_HEIGHT} 像素可填满 1080x1920 画面"),
                            ("en", (f"at least {MIN_FACE_HEIGHT} px (forehead to chin); {FILL_FACE_HEIGHT} px "
                                    f"fills a 1080x1920 frame"))):
            blocks = build_ui(service, lang).blocks.values()
            rule, = [b for b in blocks if getattr(b, "elem_id", None) == "avatar-size-rule"]
            assert words in rule.value, rule.value
    finally:
        service.close()
