"""RGB frames to the encoder's own picture format, BT.709 limited-range YUV 4:2:0 (I420), converted region by region.

The compositor redraws only the parts of a frame that change (the anchor's box, a moving
layer); most of a broadcast frame is bit-identical to the one before.  ffmpeg converting every
full RGB frame cost about 5 ms of CPU a frame at 1080x1920, as much as composing it, on a machine
whose two cores x264 already keeps busy.  :class:`Yuv420` keeps the last frame in I420 and
converts only the regions it is told changed.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from ..graphics import Box

KR, KB = 0.2126, 0.0722  # BT.709 luma weights of red and blue
KG = 1.0 - KR - KB


def _matrix() -> np.ndarray:
    """3x4 affine map from RGB 0..255 to limited-range Y (16..235), Cb and Cr (16..240)."""
    luma = np.array([KR, KG, KB])
    cb = (np.array([0.0, 0.0, 1.0]) - luma) / (2 * (1 - KB))
    cr = (np.array([1.0, 0.0, 0.0]) - luma) / (2 * (1 - KR))
    scale = np.array([[219 / 255], [224 / 255], [224 / 255]])
    return np.hstack([np.vstack([luma, cb, cr]) * scale, [[16.0], [128.0], [128.0]]]).astype(np.float32)


MATRIX = _matrix()


class Yuv420:
    """The last frame as one I420 buffer (Y plane, then U, then V), ready to write to an encoder's pipe."""

    def __init__(self, width: int, height: int):
        if width % 2 or height % 2:
            raise ValueError(f"4:2:0 needs an even frame size, got {width}x{height}")
        self.width, self.height = width, height
        self.buffer = np.zeros(width * height * 3 // 2, np.uint8)
        luma, chroma = width * height, width * height // 4
        self.y = self.buffer[:luma].reshape(height, width)
        self.u = self.buffer[luma:luma + chroma].reshape(height // 2, width // 2)
        self.v = self.buffer[luma + chroma:].reshape(height // 2, width // 2)

    def update(self, rgb: np.ndarray, changed: Iterable[Box] | None = None) -> np.ndarray:
        """Take the regions ``changed`` (None: the whole frame) from ``rgb`` and return the buffer.

        Regions are widened to even edges, since each chroma sample covers 2x2 pixels.
        """
        if changed is None:
            changed = [Box(0, 0, self.width, self.height)]
        for box in changed:
            x0, y0 = max(box.x, 0) & ~1, max(box.y, 0) & ~1
            x1, y1 = min(box.right + 1, self.width) & ~1, min(box.bottom + 1, self.height) & ~1
            if x0 < x1 and y0 < y1:
                self._convert(rgb[y0:y1, x0:x1], x0, y0)
        return self.buffer

    def _convert(self, rgb: np.ndarray, x: int, y: int) -> None:
        h, w = rgb.shape[:2]
        ycc = cv2.transform(rgb, MATRIX)  # three channels out: OpenCV's fast path (one or two are slower)
        self.y[y:y + h, x:x + w] = cv2.extractChannel(ycc, 0)
        quarter = cv2.resize(ycc, (w // 2, h // 2), interpolation=cv2.INTER_AREA)  # the mean of each 2x2 block
        cy, cx = y // 2, x // 2
        self.u[cy:cy + h // 2, cx:cx + w // 2] = cv2.extractChannel(quarter, 1)
        self.v[cy:cy + h // 2, cx:cx + w // 2] = cv2.extractChannel(quarter, 2)
