"""Drawing primitives for the broadcast graphics: sprites, a small painting canvas and mask shapes.

Graphics are rendered once per clip (or once per subtitle cue) into :class:`Sprite`
objects (see :mod:`anchor.graphics.labels` and :mod:`anchor.graphics.titles` for the
elements and :mod:`anchor.graphics.studio` for the set); the renderer then only
alpha-blends the visible sprites into each frame with :func:`blend` (about a
millisecond for a full-width band).

Sprites hold *straight* (not premultiplied) colour: ``rgb`` is HxWx3 uint8 and
``alpha`` HxWx1 float32 in [0, 1].

Fonts, and measuring and fitting text, are in :mod:`anchor.graphics.fonts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .layout import Box

# --------------------------------------------------------------------------- sprites


@dataclass(frozen=True, eq=False)
class Sprite:
    """A pre-rendered RGBA graphic placed at (x, y), visible for ``start <= t < end``."""

    rgb: np.ndarray  # HxWx3 uint8, straight colour
    alpha: np.ndarray  # HxWx1 float32 in [0, 1] (uint8 0-255 is accepted and converted)
    x: int
    y: int
    start: float = 0.0
    end: float = math.inf
    kind: str = ""  # "headline", "label", "subtitle", ... for callers and tests
    _w1: np.ndarray = field(init=False, repr=False)
    _w2: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        rgb = np.ascontiguousarray(self.rgb, dtype=np.uint8)
        alpha = self.alpha
        if alpha.ndim == 2:
            alpha = alpha[..., None]
        alpha = alpha.astype(np.float32) / 255.0 if alpha.dtype == np.uint8 else alpha.astype(np.float32, copy=False)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or alpha.shape != rgb.shape[:2] + (1,):
            raise ValueError(f"sprite rgb {rgb.shape} and alpha {alpha.shape} do not match")
        alpha = np.ascontiguousarray(np.clip(alpha, 0.0, 1.0))
        object.__setattr__(self, "rgb", rgb)
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "x", int(self.x))
        object.__setattr__(self, "y", int(self.y))
        object.__setattr__(self, "_w1", np.ascontiguousarray(alpha[..., 0]))
        object.__setattr__(self, "_w2", np.ascontiguousarray(1.0 - alpha[..., 0]))

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def box(self) -> Box:
        return Box(self.x, self.y, self.width, self.height)

    def visible(self, t: float) -> bool:
        return self.start <= t < self.end


def blend(frame: np.ndarray, sprite: Sprite, clip: Box | None = None, x: int | None = None, y: int | None = None,
          opacity: float = 1.0) -> None:
    """Alpha-blend ``sprite`` into ``frame`` (HxWx3 uint8) in place.

    Drawn at its own position or at (``x``, ``y``), only inside ``clip`` (default: the
    whole frame), with its alpha scaled by ``opacity``.
    """
    sx0 = sprite.x if x is None else int(x)
    sy0 = sprite.y if y is None else int(y)
    fh, fw = frame.shape[:2]
    cx0, cy0, cx1, cy1 = (0, 0, fw, fh) if clip is None else (max(clip.x, 0), max(clip.y, 0),
                                                               min(clip.right, fw), min(clip.bottom, fh))
    x0, y0 = max(sx0, cx0), max(sy0, cy0)
    x1, y1 = min(sx0 + sprite.width, cx1), min(sy0 + sprite.height, cy1)
    if x0 >= x1 or y0 >= y1 or opacity <= 0:
        return
    sl = (slice(y0 - sy0, y1 - sy0), slice(x0 - sx0, x1 - sx0))
    region = frame[y0:y1, x0:x1]
    if opacity >= 1:
        w1, w2 = sprite._w1[sl], sprite._w2[sl]
    else:
        w1 = sprite._w1[sl] * np.float32(opacity)
        w2 = 1.0 - w1
    region[...] = cv2.blendLinear(sprite.rgb[sl], region, w1, w2)


# --------------------------------------------------------------------------- canvas


class Canvas:
    """A small premultiplied-alpha painting surface (float32) that becomes a Sprite."""

    def __init__(self, w: int, h: int):
        self.w, self.h = int(w), int(h)
        self.p = np.zeros((self.h, self.w, 3), np.float32)
        self.a = np.zeros((self.h, self.w), np.float32)

    def paint(self, mask: np.ndarray, colour, opacity: float = 1.0) -> None:
        """Paint ``colour`` (rgb tuple or HxWx3 array, 0-255) through ``mask`` (HxW, 0-1) over what is there."""
        mask = np.asarray(mask, np.float32)
        rows = np.flatnonzero(mask.any(axis=1))
        if len(rows) == 0 or opacity <= 0:
            return
        cols = np.flatnonzero(mask.any(axis=0))
        sl = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # only where the mask paints
        m = np.clip(mask[sl], 0.0, 1.0) * np.float32(opacity)
        col = np.asarray(colour, np.float32)
        if col.ndim == 3:
            col = col[sl]
        inv = 1.0 - m
        p, a = self.p[sl], self.a[sl]
        p *= inv[..., None]
        p += col * m[..., None]
        a *= inv
        a += m

    def text(self, x: float, baseline: float, text: str, font, colour=(255, 255, 255), stroke: int = 0,
             stroke_colour=(0, 0, 0), shadow: tuple[int, int, float, float] | None = None, opacity: float = 1.0):
        """Draw one line with its left edge at ``x`` (ink) and baseline at ``baseline``.

        ``shadow`` is (dx, dy, blur sigma, opacity).
        """
        l = font.getbbox(text, stroke_width=stroke, anchor="ls")[0]
        pos = (x - l, baseline)
        if shadow:
            dx, dy, sigma, sop = shadow
            sh = self._mask(text, font, (pos[0] + dx, pos[1] + dy), stroke)
            if sigma > 0:
                sh = cv2.GaussianBlur(sh, (0, 0), sigma)
            self.paint(sh, (0, 0, 0), sop * opacity)
        if stroke:
            self.paint(self._mask(text, font, pos, stroke), stroke_colour, opacity)
        self.paint(self._mask(text, font, pos, 0), colour, opacity)

    def _mask(self, text, font, pos, stroke) -> np.ndarray:
        img = Image.new("L", (self.w, self.h), 0)
        ImageDraw.Draw(img).text(pos, text, font=font, fill=255, anchor="ls", stroke_width=stroke, stroke_fill=255)
        return np.asarray(img, np.float32) / 255.0

    def sprite(self, x: int, y: int, start: float = 0.0, end: float = math.inf, kind: str = "") -> Sprite:
        """Crop to the painted pixels and return a Sprite whose canvas origin sits at frame (x, y)."""
        ys, xs = np.nonzero(self.a > 1.0 / 512)
        if len(ys) == 0:
            y0 = x0 = 0
            y1 = x1 = 1
        else:
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        a = self.a[y0:y1, x0:x1]
        rgb = straight(self.p[y0:y1, x0:x1], a)
        return Sprite(rgb, a[..., None].copy(), x + int(x0), y + int(y0), start, end, kind)

    def straight(self) -> np.ndarray:
        """The whole canvas's colour, un-premultiplied, as HxWx3 uint8."""
        return straight(self.p, self.a)


def straight(premultiplied: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied float colour (HxWx3) with its alpha (HxW) -> straight uint8 colour."""
    a = alpha[..., None]
    rgb = np.where(a > 0, premultiplied / np.maximum(a, 1e-6), 0)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def rounded_rect(w: int, h: int, x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    """Anti-aliased rounded rectangle mask (signed-distance based)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    hx, hy = (x1 - x0) / 2 - r, (y1 - y0) / 2 - r
    dx = np.maximum(np.abs(xx - cx) - hx, 0)
    dy = np.maximum(np.abs(yy - cy) - hy, 0)
    outside = np.sqrt(dx * dx + dy * dy) - r
    inside = np.minimum(np.maximum(np.abs(xx - cx) - hx - r, np.abs(yy - cy) - hy - r), 0)
    d = np.where((dx > 0) | (dy > 0), outside, inside)
    return np.clip(0.5 - d, 0, 1)


def polygon(w: int, h: int, points) -> np.ndarray:
    """Anti-aliased polygon mask (points in pixels, sub-pixel precision)."""
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(np.asarray(points, np.float64) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0


def vgradient(w: int, h: int, top, bottom, y0: float = 0, y1: float | None = None) -> np.ndarray:
    y1 = h if y1 is None else y1
    t = np.clip((np.arange(h, dtype=np.float32) + 0.5 - y0) / max(1e-3, y1 - y0), 0, 1)[:, None, None]
    top, bottom = np.asarray(top, np.float32), np.asarray(bottom, np.float32)
    return np.broadcast_to(top + (bottom - top) * t, (h, w, 3))


def shade(rgb, factor: float):
    """Darken (factor < 1) or lighten towards white (factor > 1) a colour."""
    c = np.asarray(rgb, np.float32)
    if factor <= 1:
        return c * factor
    return c + (255 - c) * (factor - 1)


def mix(a, b, t: float):
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def ink_colour(rgb) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb``."""
    r, g, b = rgb
    return (20, 20, 24) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)
