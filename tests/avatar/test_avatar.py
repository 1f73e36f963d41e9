"""Avatar packs and kinds: photo anchor, presenter video loop, cartoon mascot; adding an anchor from a photo."""

import json
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest
import skimage.data
import yaml

from anchor.avatar import face as fm
from anchor.avatar.framing import MAX_UPSCALE
from anchor.avatar.face import find_face
from anchor.avatar.lipsync import Pose, Rig
from anchor.avatar.mascot import MOUTHS, MascotParts
from anchor.avatar.consent import consent_request
from anchor.avatar.pack import Background, add_photo_avatar, load_avatar
from anchor.avatar.preview import studio_backdrop
from anchor.avatar.videoloop import record_idle_loop
from anchor.errors import AvatarError
from anchor.export.probe import read_audio, read_frames
from anchor.export.syncheck import measure_sync

SCRIPT = "---\ntitle: 图书馆延长开放\n---\n从今天起，县图书馆每天开放到晚上九点。\n"


@pytest.fixture(scope="module")
def studio():
    return studio_backdrop(1080, 1920)


@pytest.fixture(scope="module")
def astronaut():
    return load_avatar("astronaut")


@pytest.fixture(scope="module")
def filling(astronaut, tmp_path_factory):
    """The example anchor from a photo large enough to fill the frame (a face over FILL_FACE_HEIGHT), as a
    station's own presenter would be; the shipped 512 px photo is framed smaller (tests/avatar/test_framing.py)."""
    folder = tmp_path_factory.mktemp("filling")
    _write(folder / "photo.png", _portrait())
    shutil.copy(astronaut.folder / "avatar.yaml", folder / "avatar.yaml")
    return replace(astronaut, id="filling", source="photo.png", folder=folder, preview=None)


def _render(rig, pose):
    out = rig.base.copy()
    for x, y, pixels in rig.patches(pose):
        out[y:y + pixels.shape[0], x:x + pixels.shape[1]] = pixels
    return out


def _portrait(scale=2.2):
    """A photo of one presenter, large enough to be an anchor (the NASA portrait, enlarged)."""
    image = skimage.data.astronaut()
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _write(path, rgb):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _copy_pack(name, root, **changes):
    folder = root / name
    shutil.copytree(load_avatar(name).folder, folder, dirs_exist_ok=True)
    data = yaml.safe_load((folder / "avatar.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


# -- packs ---------------------------------------------------------------------------------

def test_built_in_packs_describe_themselves(astronaut):
    mascot = load_avatar("mascot")
    assert (astronaut.kind, mascot.kind) == ("photo", "sprite")
    for pack in (astronaut, mascot):
        assert pack.licence and pack.source and pack.thumbnail().is_file()
        assert len({pack.framing_for(o) for o in ("vertical", "landscape", "square")}) >= 2
    assert "public domain" in astronaut.licence.lower()


@pytest.mark.parametrize("change, message", [({"kind": "hologram"}, "kind must be one of"),
                                             ({"background": {"cutout": "magic"}}, "cutout must be one of"),
                                             ({"framing": {"zoom": 2}}, "unknown framing"),
                                             ({"background": {"behind": "#12"}}, "not a colour")])
def test_malformed_packs_say_what_is_wrong(tmp_path, monkeypatch, change, message):
    _copy_pack("astronaut", tmp_path, **change)
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path))
    with pytest.raises(AvatarError, match=message) as error:
        load_avatar("astronaut")
    assert "主播形象配置有误" in error.value.zh


def test_cli_lists_adds_and_refuses(tmp_path, anchor_cli):
    import os

    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(tmp_path / "packs")}
    photo = _write(tmp_path / "张明.jpg", _portrait())
    added = anchor_cli("avatar", "add", photo, "--name", "张明", "--consent-note", "张明本人 2026-12-01 同意用于测试", env=env)
    assert added.returncode == 0, added.stderr
    row = json.loads(added.stdout.strip().splitlines()[-1])
    folder = tmp_path / "packs" / "zhang-ming"
    assert row["id"] == "zhang-ming" and row["folder"] == str(folder) and row["kind"] == "photo"
    assert sorted(p.name for p in folder.iterdir()) == ["avatar.yaml", "photo.png", "preview.jpg"]
    preview = cv2.imread(str(folder / "preview.jpg"))
    assert preview.shape[:2] == (500, 540)
    listed = anchor_cli("avatars", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == ["zhang-ming"] and rows[0]["name"] == "张明"
    assert rows[0]["thumbnail"] == str(folder / "preview.jpg")
    coffee = _write(tmp_path / "coffee.jpg", skimage.data.coffee())
    refused = anchor_cli("avatar", "add", coffee, "--name", "咖啡", "--consent-note", "测试", env=env)
    assert refused.returncode == 2 and "no face found" in refused.stderr and "找不到人脸" in refused.stderr
    assert sorted(p.name for p in (tmp_path / "packs").iterdir()) == ["zhang-ming"]  # nothing half-written
    with pytest.raises(AvatarError, match="already exists"):
        os.environ["ANCHOR_AVATARS_DIR"] = env["ANCHOR_AVATARS_DIR"]
        try:
            add_photo_avatar(photo, "张明", consent=consent_request(None, "测试 test", "张明"))
        finally:
            del os.environ["ANCHOR_AVATARS_DIR"]


def _squeezed(image, keep):
    """The face turned: everything left of the nose squeezed to ``keep`` of its width."""
    face = find_face(image)
    nose, left = float(face.points[1, 0]), float(face.points[234, 0]) - 20
    xs = np.arange(image.shape[1], dtype=np.float32)
    src = np.interp(xs, [0, nose - (nose - left) * keep, nose, xs[-1]], [0, left, nose, xs[-1]]).astype(np.float32)
    map_x = np.repeat(src[None], image.shape[0], axis=0)
    map_y = np.repeat(np.arange(image.shape[0], dtype=np.float32)[:, None], image.shape[1], axis=1)
    return cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC)


def _rotated(image, degrees):
    h, w = image.shape[:2]
    return cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), (w, h),
                          borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("make, message", [
    (lambda: skimage.data.coffee(), "no face found"),
    (lambda: np.hstack([_portrait(1.2), _portrait(1.2)]), "2 faces in the photo"),
    (lambda: skimage.data.astronaut(), rf"too small \(\d+ px high, at least {fm.MIN_FACE_HEIGHT} px"),
    (lambda: _squeezed(_portrait(2.6), 0.4), "turned about"),  # large enough to be judged on its turn alone
    (lambda: _rotated(_portrait(), 35), "tilted about"),
])
def test_unusable_photos_are_refused_with_the_reason(tmp_path, monkeypatch, make, message):
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path))
    photo = _write(tmp_path / "photo.png", make())
    with pytest.raises(AvatarError, match=message) as error:
        add_photo_avatar(photo, "试用", consent=consent_request(None, "测试 test", "试用"))
    assert error.value.zh and error.value.exit_code == 2
    assert list(tmp_path.iterdir()) == [photo]


# -- photo anchor ----------------------------------------------------------------------------

def test_mouth_shapes_change_only_the_lower_face_and_eyes(astronaut, studio):
    rig = replace(astronaut, motion=0).rig(studio)
    assert isinstance(rig, Rig)
    face = find_face(rig.base)
    nose_tip = float(face.points[1, 1])
    rects = rig.dirty_rects()
    mouth_rect = max(rects, key=lambda r: r[1])
    assert mouth_rect[1] >= nose_tip - 0.1 * face.height  # the mouth patch starts at the nose, not above
    allowed = np.zeros(rig.base.shape[:2], bool)
    for x, y, w, h in rects:
        allowed[y:y + h, x:x + w] = True
    for pose in (Pose(1.0, 0.0, 1.0), Pose(0.5, 1.0), Pose(0.5, -1.0), Pose(0.15, 0.3)):
        changed = np.any(_render(rig, pose) != rig.base, axis=2)
        assert changed.any() and not changed[~allowed].any()


def test_open_mouth_drops_the_jaw_and_shows_a_dark_interior_with_teeth(astronaut, studio):
    rig = replace(astronaut, motion=0).rig(studio)
    rest, wide_open = find_face(rig.base), find_face(_render(rig, Pose(1.0)))
    assert wide_open.mouth_opening > rest.mouth_opening + 0.05
    assert wide_open.points[152, 1] > rest.points[152, 1] + 0.03 * rest.height  # the chin follows
    assert np.array_equal(_render(rig, Pose(1.0))[:int(rest.points[1, 1]) - 40], rig.base[:int(rest.points[1, 1]) - 40])
    frame = _render(rig, Pose(1.0))
    p = wide_open.points
    inside = frame[int(p[13, 1]) + 2:int(p[14, 1]) - 1, int(p[78, 0]) + 10:int(p[308, 0]) - 10]
    luma = inside.mean(axis=2)
    assert np.median(luma) < 90 and (luma > 150).mean() > 0.02  # dark mouth, a hint of teeth


def _rigid_residual(a, b):
    """How far ``b``'s upper face is from a similarity transform of ``a``'s (pixels, RMS), and the shift."""
    pa, pb = a.at(fm.UPPER_FACE), b.at(fm.UPPER_FACE)
    matrix, _ = cv2.estimateAffinePartial2D(pa, pb)
    moved = cv2.transform(pa[None], matrix)[0]
    return float(np.sqrt(((moved - pb) ** 2).sum(axis=1).mean())), float(np.abs(pb - pa).max())


def test_head_moves_as_one_piece(filling, studio):
    rig = filling.rig(studio)  # a face the size a layout asks for: the landmark model measures it closely
    rest_frame = _render(rig, Pose())
    rest = find_face(rest_frame)
    top, nose = int(rest.points[10, 1]) - 20, int(rest.points[1, 1])
    columns = slice(int(rest.points[234, 0]), int(rest.points[454, 0]))
    for pose in (Pose(sway=0.012, nod=0.018, roll=0.6), Pose(0.8, sway=-0.01, nod=0.01, roll=-0.5)):
        frame = _render(rig, pose)
        # above the mouth, the frame is exactly the resting picture moved by one similarity transform
        expected = cv2.warpAffine(rest_frame, rig.shown_motion, rest_frame.shape[1::-1], flags=cv2.INTER_LINEAR)
        upper = (slice(top, nose), columns)
        assert np.abs(frame[upper].astype(int) - expected[upper].astype(int)).mean() < 1.5
        assert np.abs(frame[upper].astype(int) - rest_frame[upper].astype(int)).mean() > 6  # ... and it did move
    moved = find_face(_render(rig, Pose(sway=0.012, nod=0.018, roll=0.6)))
    residual, shift = _rigid_residual(rest, moved)  # the landmark model agrees: moved, not deformed
    assert shift > 2.0 and residual < 0.8, (shift, residual)


def test_framing_follows_the_frame_shape(astronaut):
    from anchor.graphics import layout_for

    box = layout_for(1920, 1080).avatar
    rig = replace(astronaut, motion=0).rig(studio_backdrop(1920, 1080))
    assert rig.base.shape[:2] == (box.h, box.w)
    face = find_face(rig.base)
    framing = astronaut.framing_for("landscape")
    native = fm.analyse(astronaut.image())[0].height  # a small photo: enlarged at most MAX_UPSCALE
    assert abs(face.height - min(framing.head_height * box.h, MAX_UPSCALE * native)) < 0.06 * face.height
    assert abs(face.points[[159, 386], 1].mean() - framing.eye_line * box.h) < 0.05 * box.h


def test_flat_colour_behind_the_presenter(astronaut, studio):
    rig = replace(astronaut, motion=0, background=Background(behind="#204060")).rig(studio)
    assert tuple(rig.base[5, 5]) == (32, 64, 96) and tuple(rig.base[5, -5]) == (32, 64, 96)


# -- mascot ----------------------------------------------------------------------------------

def test_mascot_has_a_mouth_per_viseme_blinks_and_bounces(studio):
    rig = load_avatar("mascot").rig(studio)
    parts = rig.parts
    assert isinstance(parts, MascotParts)
    shapes = {shape: parts.mouths[(shape, 0 if shape not in ("open", "mid", "wide", "round") else 2)]
              for shape in MOUTHS}
    distinct = {s.tobytes() for s in shapes.values()}
    assert len(distinct) == len(MOUTHS) >= 6
    frames = {v: _render(rig, Pose(0.9 if v not in ("rest", "closed", "teeth") else 0.1, viseme=v)) for v in MOUTHS}
    assert len({f.tobytes() for f in frames.values()}) == len(MOUTHS)
    assert not np.array_equal(_render(rig, Pose(blink=1.0)), _render(rig, Pose()))

    def head_top(frame):  # first row where the white head appears in the middle column
        column = frame[:, frame.shape[1] // 2]
        return int(np.flatnonzero(column.min(axis=1) > 225)[0])

    assert head_top(_render(rig, Pose())) - head_top(_render(rig, Pose(bounce=1.0))) >= 15


def test_mascot_reads_the_news(tmp_path, anchor_cli):
    script = tmp_path / "news.md"
    script.write_text(SCRIPT, encoding="utf-8")
    result = anchor_cli("render", script, "--out", tmp_path / "out", "--avatar", "mascot", "--quiet")
    assert result.returncode == 0, result.stderr
    info = json.loads((tmp_path / "out" / "news.json").read_text(encoding="utf-8"))
    assert info["avatar"] == "mascot"
    video = tmp_path / "out" / "news.mp4"
    samples, rate = read_audio(video)
    hop = rate // 25
    rms = np.sqrt((samples[: len(samples) // hop * hop].reshape(-1, hop) ** 2).mean(axis=1))
    first, last = (round(t * 25) for t in info["segments"]["anchor"])
    loud = [i for i in range(first, last) if rms[i] > np.percentile(rms[first:last], 85)]
    quiet = [i for i in range(first + 2, last - 2) if rms[i - 2:i + 3].max() < 0.003]
    assert loud and quiet
    frames = read_frames(video, [i / 25 for i in loud[::3][:6] + quiet[:2]])
    # which of its drawn mouths the mascot shows: open shapes while it talks, a closed one in pauses
    from anchor.graphics import layout_for

    box = layout_for(1080, 1920).avatar
    parts = load_avatar("mascot").rig(studio_backdrop(1080, 1920)).parts
    (mx, my), (h, w) = parts.mouth_at, next(iter(parts.mouths.values())).shape[:2]
    x0, y0 = box.x + mx - 60, box.y + my - 60

    def shown_mouth(frame):
        area = np.ascontiguousarray(frame[y0:y0 + h + 120, x0:x0 + w + 120])
        scores = {key: cv2.matchTemplate(area, cv2.cvtColor(state, cv2.COLOR_RGBA2RGB), cv2.TM_CCOEFF_NORMED).max()
                  for key, state in parts.mouths.items()}
        return max(scores, key=scores.get)[0]

    shown = [shown_mouth(f) for f in frames]
    assert all(s in ("open", "mid", "wide", "round") for s in shown[:-2]), shown
    assert all(s in ("rest", "closed") for s in shown[-2:]), shown


# -- presenter video loop --------------------------------------------------------------------

GREEN = (0, 177, 64)


@pytest.fixture(scope="module")
def presenter(tmp_path_factory, filling):
    """A 2 s recording of the photo anchor idling on a green screen, made into a video_loop pack."""
    root = tmp_path_factory.mktemp("packs")
    folder = root / "presenter"
    folder.mkdir()
    green = np.full((1000, 1080, 3), GREEN, np.uint8)
    record_idle_loop(filling.rig(green), folder / "loop.mp4", seconds=2.0)
    (folder / "avatar.yaml").write_text(yaml.safe_dump({
        "name": "演播室主播", "kind": "video_loop", "source": "loop.mp4", "licence": "test recording",
        "background": {"cutout": "chroma", "chroma_colour": "#00b140"}, "loop": "pingpong"}), encoding="utf-8")
    return root


def _loop_rig(root, studio, **changes):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANCHOR_AVATARS_DIR", str(root))
        return replace(load_avatar("presenter"), **changes).rig(studio)


@pytest.fixture(scope="module")
def loop_rig(presenter, studio):
    return _loop_rig(presenter, studio)


@pytest.mark.parametrize("loop", ["pingpong", "crossfade"])
def test_video_loop_has_no_jump(presenter, loop_rig, studio, loop):
    rig = loop_rig if loop == "pingpong" else _loop_rig(presenter, studio, loop=loop)
    period = len(rig.order)
    frames = [_render(rig, Pose(frame=i)).astype(np.int16) for i in range(period + 1)]
    steps = [float(np.abs(b - a).mean()) for a, b in zip(frames, frames[1:])]
    assert np.array_equal(frames[0], frames[period])  # it really loops
    wrap = steps[-1]
    # stepping from the loop's end back to its start is no bigger a change than any step inside it
    assert wrap <= max(steps[:-1]) + 0.05, (wrap, max(steps[:-1]))


def test_green_screen_is_keyed_cleanly(loop_rig, studio, filling):
    rig = loop_rig

    def greenish(image):
        rgb = image.astype(int)
        return (rgb[..., 1] - np.maximum(rgb[..., 0], rgb[..., 2])) > 20

    assert not greenish(studio).any()
    for i in (0, 17, 33):
        frame = _render(rig, Pose(frame=i))
        assert greenish(frame).sum() <= 20, greenish(frame).sum()
    # the keyed presenter matches the photo anchor cut out directly, edges included
    direct = find_face(replace(filling, motion=0).rig(studio).base)
    keyed = find_face(_render(rig, Pose(frame=0)))
    assert np.abs(direct.points - keyed.points).max() < 8


def test_video_loop_mouth_is_reanimated(loop_rig):
    rig = loop_rig
    for i in (5, 30):
        closed, opened = find_face(_render(rig, Pose(frame=i))), find_face(_render(rig, Pose(1.0, frame=i)))
        assert opened.mouth_opening > closed.mouth_opening + 0.04


@pytest.mark.slow
def test_video_loop_reads_the_news_in_sync(presenter, tmp_path, anchor_cli):
    import os

    script = tmp_path / "news.md"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(presenter)}
    result = anchor_cli("render", script, "--out", tmp_path / "out", "--avatar", "presenter", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    report = measure_sync(tmp_path / "out" / "news.mp4")
    assert abs(report.best_lag) <= 1 and report.clear, report
