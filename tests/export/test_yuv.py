"""RGB to I420 in the writer: ffmpeg's own BT.709 conversion, converted only where a frame changed."""

import subprocess

import numpy as np
import pytest
from skimage import data, transform

from anchor.audio import ffmpeg_exe
from anchor.export.probe import read_frames
from anchor.export.writer import ClipWriter, ExportPreset
from anchor.export.yuv import Yuv420
from anchor.graphics import Box

W, H = 640, 360


def _picture():
    """A real photograph, with skin, sky-blue, a white suit and saturated flag colours."""
    image = transform.resize(data.astronaut(), (H, W), anti_aliasing=True)
    return (image * 255).round().astype(np.uint8)


def _ffmpeg_i420(rgb):
    h, w = rgb.shape[:2]
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                          "-i", "-", "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                          "-f", "rawvideo", "-"], input=rgb.tobytes(), capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8)


def test_conversion_matches_ffmpegs_bt709_limited_range():
    rgb = _picture()
    ours = Yuv420(W, H).update(rgb).astype(int)
    theirs = _ffmpeg_i420(rgb).astype(int)
    luma = W * H
    assert np.abs(ours[:luma] - theirs[:luma]).max() <= 1
    chroma = np.abs(ours[luma:] - theirs[luma:])
    assert chroma.mean() < 0.3 and np.percentile(chroma, 99) <= 2  # ffmpeg filters chroma a little wider at edges
    black, white = Yuv420(2, 2), Yuv420(2, 2)
    assert list(black.update(np.zeros((2, 2, 3), np.uint8))) == [16] * 4 + [128, 128]
    assert list(white.update(np.full((2, 2, 3), 255, np.uint8))) == [235] * 4 + [128, 128]


def test_only_the_changed_boxes_are_converted_and_that_equals_converting_all():
    rgb = _picture()
    kept = Yuv420(W, H)
    kept.update(rgb)
    moved = rgb.copy()
    moved[101:203, 33:150] = (250, 20, 30)  # odd edges: widened to whole chroma samples
    unchanged = kept.update(moved, changed=[]).copy()
    assert np.array_equal(unchanged, Yuv420(W, H).update(rgb))  # not told, not converted
    assert np.array_equal(kept.update(moved, changed=[Box(33, 101, 117, 102)]), Yuv420(W, H).update(moved))


def test_odd_frame_size_is_refused():
    with pytest.raises(ValueError, match="even"):
        Yuv420(641, 360)


def test_clip_written_with_changed_boxes_decodes_as_one_written_whole(tmp_path):
    base = _picture()
    preset = ExportPreset(width=W, height=H)
    audio = np.zeros(24000, np.float32)  # 1 s
    paths = tmp_path / "boxes.mp4", tmp_path / "whole.mp4"
    for path, boxes in zip(paths, (True, False)):
        with ClipWriter(path, preset, audio, 24000, {}) as writer:
            for i in range(writer.expected_frames):
                frame = base.copy()
                frame[50 + 7 * i:110 + 7 * i, 301:377] = 255  # a white box moving down 7 px a frame
                box = Box(301, 50 + 7 * (i - 1), 76, 67)  # where it was and where it is
                writer.write(frame, [box] if boxes and i else None)
    times = [0.0, 0.4, 0.96]
    ours, whole = read_frames(paths[0], times), read_frames(paths[1], times)
    for a, b in zip(ours, whole):
        assert np.array_equal(a, b)
    column = ours[2][:, 340].astype(int).sum(axis=1)
    assert int(np.flatnonzero(column > 700)[0]) == pytest.approx(50 + 7 * 24, abs=2)  # the box, where frame 24 drew it
