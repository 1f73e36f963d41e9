"""The compositor and its layers: dirty-rectangle frames equal a full redraw, animations move as timed."""

import subprocess

import numpy as np
import pytest

from anchor.audio import ffmpeg_exe
from anchor.avatar import Performance
from anchor.avatar.lipsync import Pose
from anchor.graphics import (
    Box, Cue, ImageBRoll, LowerThirdLayer, Sprite, SpriteLayer, Stinger, TickerLayer, VideoBRoll, headline_sprite,
    layout_for, lower_third_sprite, paste, pip_frame, subtitle_sprite, ticker_art, title_card,
)
from anchor.graphics.station import Station
from anchor.graphics.template import Look, load_template
from anchor.render import Seat, compose_changes, compose_frames

FPS = 25
LAYOUT = layout_for(1080, 1080)


class PatchRig:
    """A rig whose pose paints a coloured square (its size grows with the mouth opening)."""

    def __init__(self, base):
        self.base = base

    def dirty_rects(self):
        return [(100, 100, 80, 80)]

    def patches(self, pose: Pose):
        square = self.base[100:180, 100:180].copy()
        side = int(80 * pose.mouth_open)
        square[:side, :side] = (255, 0, 0)
        yield 100, 100, square


@pytest.fixture(scope="module")
def look():
    return Look(load_template("news"), Station())


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=320x180:rate=25:duration=2", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def _performance(n):
    opening = (np.arange(n) % 7) / 6.0
    return Performance(FPS, opening.astype(np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32))


def _layers(look, video):
    layout = LAYOUT
    art = ticker_art("预约电话：12345 · 开放时间每天9:00-17:00", layout, look)
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    card = title_card(layout, look, "县里举办农民丰收节")
    return [
        SpriteLayer(headline_sprite("县里举办农民丰收节", layout, look), 40),
        LowerThirdLayer(lower_third_sprite("张明", "县文化馆馆长", layout, look), 0.2, 1.6, 0.4),
        TickerLayer(art.band, Sprite(art.strip_rgb, art.strip_alpha, 0, 0), art.window, art.px_per_second, 0.0, 3.0),
        ImageBRoll(picture, layout.pip, 0.5, 1.5, 8, frame_sprite=pip_frame(layout.pip)),
        VideoBRoll(video, layout.full, 1.5, 2.2, 0.5, 1.5, 5),
        Stinger(2.4, 3.0, card=card, fade=0.3, fade_in=True, fade_out=False),
    ]


def _reference(backdrop, rig, at, pose, layers, t):
    """The frame drawn the slow, obvious way: everything from scratch, in z order."""
    frame = backdrop.copy()
    frame[at.y:at.bottom, at.x:at.right] = rig.base
    full = Box(0, 0, frame.shape[1], frame.shape[0])
    for x, y, pixels in rig.patches(pose):
        paste(frame, pixels, x + at.x, y + at.y, full)
    for layer in sorted((lay for lay in layers if lay.start <= t < lay.end), key=lambda lay: lay.z):
        layer.draw(frame, t, full)
    return frame


def _studio(look, seed):
    """A noisy backdrop (so any misplaced pixel shows), the patch rig over the anchor's seat, 8 subtitle cues."""
    backdrop = np.random.default_rng(seed).integers(0, 255, (1080, 1080, 3), dtype=np.uint8)
    at = LAYOUT.avatar
    rig = PatchRig(backdrop[at.y:at.bottom, at.x:at.right].copy())
    subtitles = [SpriteLayer(subtitle_sprite(Cue(0.3 * k, 0.3 * k + 0.3, (f"第{k}句字幕",)), LAYOUT, look), 60)
                 for k in range(8)]
    return backdrop, at, rig, subtitles


def test_dirty_rectangles_match_a_full_redraw(look, video):
    backdrop, at, rig, subtitles = _studio(look, 1)
    performance = _performance(3 * FPS)
    frames = compose_frames(backdrop, [Seat(rig, at, performance)], _layers(look, video), iter(subtitles))
    reference_layers = _layers(look, video) + subtitles
    checked = 0
    for i, frame in enumerate(frames):
        if i % 4 and i not in (5, 10, 37, 38, 40, 60, 61):  # every 4th frame and each change-over
            continue
        expected = _reference(backdrop, rig, at, performance.pose(i), reference_layers, i / FPS)
        assert np.array_equal(frame, expected), f"frame {i} differs in {np.argwhere(frame != expected)[:3]}"
        checked += 1
    assert checked > 20


def test_changed_boxes_hold_every_change(look, video):
    """The writer converts only the boxes each frame names: outside them the frame must equal the one before."""
    backdrop, at, rig, subtitles = _studio(look, 2)
    n = 3 * FPS
    before, partial = None, 0
    for frame, changed in compose_changes(backdrop, [Seat(rig, at, _performance(n))], _layers(look, video),
                                          iter(subtitles)):
        if before is not None and changed is not None:
            outside = np.ones(frame.shape[:2], bool)
            for box in changed:
                outside[max(box.y, 0):box.bottom, max(box.x, 0):box.right] = False
            assert np.array_equal(frame[outside], before[outside])
            partial += outside.mean() > 0.5  # the boxes are the moving parts (a full-frame video: all of it)
        before = frame.copy()
    assert partial > n // 3


def test_lower_third_slides_in_and_out(look):
    sprite = lower_third_sprite("张明", "县文化馆馆长", LAYOUT, look)
    layer = LowerThirdLayer(sprite, 1.0, 5.0, 0.4)
    assert layer.moving(1.1) and not layer.moving(3.0) and layer.moving(4.8)
    frames = []
    for t in (1.0, 1.2, 3.0, 4.99):
        frame = np.zeros((1080, 1080, 3), np.uint8)
        layer.draw(frame, t, LAYOUT.full)
        frames.append(frame)
    drawn = [np.flatnonzero(f.any(axis=(0, 2))) for f in frames]
    assert len(drawn[0]) == 0 or drawn[0].max() < sprite.x + 5  # just starting at the left edge
    assert drawn[1].max() < drawn[2].max()  # still on its way in
    assert drawn[2].max() == sprite.x + sprite.width - 1 or drawn[2].max() <= sprite.x + sprite.width
    assert frames[3].mean() < frames[2].mean()  # fading out at the end


def test_ticker_scrolls_at_its_speed_and_loops(look):
    art = ticker_art("预约电话：12345", LAYOUT, look)
    strip = Sprite(art.strip_rgb, art.strip_alpha, 0, 0)
    layer = TickerLayer(art.band, strip, art.window, art.px_per_second, 0.0, 60.0)

    band_only = np.zeros((1080, 1080, 3), np.uint8)
    from anchor.graphics import blend

    blend(band_only, art.band)
    w = art.window

    def text_columns(t):
        frame = np.zeros((1080, 1080, 3), np.uint8)
        layer.draw(frame, t, LAYOUT.full)
        diff = np.abs(frame[w.y:w.bottom, w.x:w.right].astype(int) - band_only[w.y:w.bottom, w.x:w.right])
        return np.flatnonzero(diff.sum(axis=(0, 2)) > 0)

    first = text_columns(1.0)
    later = text_columns(1.5)
    assert len(first) and len(later)
    moved = first.min() - later.min()
    assert moved == pytest.approx(0.5 * art.px_per_second, abs=2)
    period = strip.width
    loop_time = (art.window.w + period) / art.px_per_second
    assert len(text_columns(loop_time + 3.0)) > 0  # still text on the band long after the first pass


def test_video_broll_trims_and_loops(video):
    layer = VideoBRoll(video, Box(0, 0, 160, 90), 10.0, 20.0, trim_start=0.4, trim_end=1.2)
    assert layer.duration == pytest.approx(2.0, abs=0.05)
    frames = []
    for t in (10.0, 10.4, 10.8, 11.2):  # 10.8 s is 0.8 s into a 0.8 s part: back to its start
        frame = np.zeros((90, 160, 3), np.uint8)
        layer.draw(frame, t, Box(0, 0, 160, 90))
        frames.append(frame.astype(int))
    layer.close()
    assert np.abs(frames[0] - frames[1]).mean() > 1  # the picture moves
    assert np.abs(frames[0] - frames[2]).mean() < np.abs(frames[0] - frames[1]).mean()  # looped back


def test_ken_burns_pushes_in():
    image = np.zeros((400, 400, 3), np.uint8)
    image[150:250, 150:250] = 255  # a white square in the middle
    layer = ImageBRoll(image, Box(0, 0, 200, 200), 0.0, 4.0, zoom=1.2)
    sizes = []
    for t in (0.0, 4.0):
        frame = np.zeros((200, 200, 3), np.uint8)
        layer.draw(frame, t, Box(0, 0, 200, 200))
        sizes.append(int((frame[..., 0] > 128).sum()))
    assert sizes[1] > sizes[0] * 1.3  # 1.2x zoom: the square covers ~1.44x the area
