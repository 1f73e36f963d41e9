"""Broadcast graphics: the studio backdrop and the overlays drawn over the presenter.

Everything here is rendered once per clip (or once per subtitle cue) into
:class:`Sprite` objects; the renderer then only alpha-blends the visible sprites
into each frame with :func:`blend` (about a millisecond for a full-width band).

Sprites hold *straight* (not premultiplied) colour: ``rgb`` is HxWx3 uint8 and
``alpha`` HxWx1 float32 in [0, 1].

Text is drawn with Pillow using Noto Sans CJK SC (Debian ``fonts-noto-cjk``); it is
measured before drawing and the font shrinks until it fits its box.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .cache import cache_key, cached_arrays
from .errors import RenderError
from .layout import Box, Layout
from .station import MIN_AI_LABEL_SECONDS, Station, hex_to_rgb
from .subtitles import Cue, text_width, wrap_text

SETUP_COMMAND = "bash setup.sh demo"  # repo-root setup script; apt-installs fonts-noto-cjk among other things

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


def blend(frame: np.ndarray, sprite: Sprite) -> None:
    """Alpha-blend ``sprite`` into ``frame`` (HxWx3 uint8) in place, clipped to the frame."""
    fh, fw = frame.shape[:2]
    x0, y0 = max(sprite.x, 0), max(sprite.y, 0)
    x1, y1 = min(sprite.x + sprite.width, fw), min(sprite.y + sprite.height, fh)
    if x0 >= x1 or y0 >= y1:
        return
    sx, sy = x0 - sprite.x, y0 - sprite.y
    sl = (slice(sy, sy + y1 - y0), slice(sx, sx + x1 - x0))
    region = frame[y0:y1, x0:x1]
    region[...] = cv2.blendLinear(sprite.rgb[sl], region, sprite._w1[sl], sprite._w2[sl])


def compose(frame: np.ndarray, sprites: list[Sprite], t: float) -> np.ndarray:
    """Blend every sprite visible at ``t`` into ``frame`` (in place, in list order) and return it."""
    for sprite in sprites:
        if sprite.start <= t < sprite.end:
            blend(frame, sprite)
    return frame


# --------------------------------------------------------------------------- fonts

_FONT_FILES = {
    "bold": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",  # Debian / Ubuntu fonts-noto-cjk
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",  # Arch
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",  # Fedora
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyhbd.ttc",
    ),
    "regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyh.ttc",
    ),
}


def _sc_index(path: str) -> int | None:
    """Index of the Simplified Chinese face in a collection, or None if the file has no CJK glyphs."""
    faces = []
    for index in range(32):
        try:
            font = ImageFont.truetype(path, 24, index=index)
        except OSError:
            break
        faces.append((index, " ".join(font.getname())))
        if not path.lower().endswith((".ttc", ".otc")):
            break
    if not faces:
        return None

    def rank(face):
        name = face[1]
        return ("SC" not in name.split() and " SC " not in f" {name} ", "Mono" in name, face[0])

    index = min(faces, key=rank)[0]
    return index if _has_cjk(ImageFont.truetype(path, 24, index=index)) else None


def _has_cjk(font: ImageFont.FreeTypeFont) -> bool:
    glyph = font.getmask("国")
    missing = font.getmask("\U0010fffd")
    return glyph.getbbox() is not None and (glyph.size != missing.size or bytes(glyph) != bytes(missing))


def _fc_match(weight: str) -> list[str]:
    if not shutil.which("fc-match"):
        return []
    pattern = ":lang=zh-cn:weight=bold" if weight == "bold" else ":lang=zh-cn"
    try:
        out = subprocess.run(["fc-match", "-s", "-f", "%{file}\n", pattern], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.splitlines()[:8] if line.strip()]


@lru_cache(maxsize=None)
def font_file(weight: str = "bold") -> tuple[str, int]:
    """(path, face index) of a CJK font: ``$ANCHOR_FONT_BOLD`` / ``$ANCHOR_FONT_REGULAR``, Noto Sans CJK SC, or fc-match."""
    env = os.environ.get(f"ANCHOR_FONT_{weight.upper()}")
    candidates = ([env] if env else []) + list(_FONT_FILES[weight]) + _fc_match(weight)
    if weight == "regular":  # a bold CJK font is better than none
        candidates += list(_FONT_FILES["bold"])
    for path in candidates:
        if path and Path(path).is_file():
            index = _sc_index(path)
            if index is not None:
                return path, index
    raise RenderError(
        f"找不到中文字体（Noto Sans CJK）。请先运行安装命令 {SETUP_COMMAND}（会安装 fonts-noto-cjk），"
        "或执行 sudo apt-get install -y fonts-noto-cjk",
        f"no Chinese (CJK) font found. Run the setup command {SETUP_COMMAND} (it installs fonts-noto-cjk) "
        "or: sudo apt-get install -y fonts-noto-cjk",
    )


@lru_cache(maxsize=256)
def get_font(size: int, weight: str = "bold") -> ImageFont.FreeTypeFont:
    path, index = font_file(weight)
    return ImageFont.truetype(path, max(6, int(size)), index=index)


def _has_cjk_text(text: str) -> bool:
    return any(text_width(c) == 2 for c in text)


def _text_w(font, text: str, stroke: int = 0) -> int:
    l, _, r, _ = font.getbbox(text, stroke_width=stroke, anchor="ls")
    return r - l


def _body(font, text: str) -> tuple[int, int]:
    """(top, bottom) of the letter body relative to the baseline, for steady vertical centring."""
    ref = "国" if _has_cjk_text(text) else "H"
    _, top, _, bottom = font.getbbox(ref, anchor="ls")
    return top, bottom


def _fit(lines: list[str], weight: str, size: int, max_w: int, min_size: int = 12, stroke: int = 0):
    """The largest font (<= size) in which every line fits ``max_w`` pixels."""
    size = int(size)
    while True:
        font = get_font(size, weight)
        if size <= min_size or all(_text_w(font, ln, stroke) <= max_w for ln in lines):
            return font
        size -= 1 if size < 40 else 2


# --------------------------------------------------------------------------- canvas


class _Canvas:
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
        rgb = np.where(a[..., None] > 0, self.p[y0:y1, x0:x1] / np.maximum(a[..., None], 1e-6), 0)
        rgb = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
        return Sprite(rgb, a[..., None].copy(), x + int(x0), y + int(y0), start, end, kind)


def _rounded_rect(w: int, h: int, x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
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


def _poly(w: int, h: int, points) -> np.ndarray:
    """Anti-aliased polygon mask (points in pixels, sub-pixel precision)."""
    mask = np.zeros((h, w), np.uint8)
    pts = np.round(np.asarray(points, np.float64) * 16).astype(np.int32)
    cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255.0


def _vgradient(w: int, h: int, top, bottom, y0: float = 0, y1: float | None = None) -> np.ndarray:
    y1 = h if y1 is None else y1
    t = np.clip((np.arange(h, dtype=np.float32) + 0.5 - y0) / max(1e-3, y1 - y0), 0, 1)[:, None, None]
    top, bottom = np.asarray(top, np.float32), np.asarray(bottom, np.float32)
    return np.broadcast_to(top + (bottom - top) * t, (h, w, 3))


def _shade(rgb, factor: float):
    """Darken (factor < 1) or lighten towards white (factor > 1) a colour."""
    c = np.asarray(rgb, np.float32)
    if factor <= 1:
        return c * factor
    return c + (255 - c) * (factor - 1)


def _mix(a, b, t: float):
    return np.asarray(a, np.float32) * (1 - t) + np.asarray(b, np.float32) * t


def _ink_colour(rgb) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``rgb``."""
    r, g, b = rgb
    return (20, 20, 24) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)


# --------------------------------------------------------------------------- studio background


def studio_background(layout: Layout, station: Station) -> np.ndarray:
    """A news-set backdrop (HxWx3 uint8): lit video wall, blurred skyline, stage floor, station-colour light.

    Drawn once per station look and frame size, then read from the disk cache (~1 s saved per render).
    """
    colours = [station.backdrop, station.primary, station.secondary, station.code]
    key = cache_key("studio-background-v1", colours, layout.width, layout.height, list(layout.avatar.__dict__.values()))
    return cached_arrays("backdrops", key, lambda: {"rgb": _draw_studio(layout, station)})["rgb"]


def _draw_studio(layout: Layout, station: Station) -> np.ndarray:
    W, H = layout.width, layout.height
    av = layout.avatar
    base = np.asarray(station.rgb("backdrop"), np.float32)
    primary = np.asarray(station.rgb("primary"), np.float32)
    secondary = np.asarray(station.rgb("secondary"), np.float32)
    rng = np.random.default_rng(zlib.crc32(station.code.encode()) & 0xFFFF)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)

    # the set is split into a back wall and a glossy floor at the presenter's desk line
    floor_y = av.y + int(av.h * 0.86) if layout.orientation == "vertical" else int(H * 0.80)
    img = np.zeros((H, W, 3), np.float32)
    wall = _vgradient(W, floor_y, _shade(base, 0.35), _shade(base, 1.05), 0, floor_y)
    img[:floor_y] = wall
    img[floor_y:] = _vgradient(W, H - floor_y, _shade(base, 0.55), _shade(base, 0.18), 0, (H - floor_y) * 0.9)

    # a big soft key light on the wall behind the presenter's head
    hx, hy = av.x + av.w / 2, av.y + av.h * 0.36
    r = 0.55 * max(av.w, av.h * 0.6)
    glow = np.exp(-(((xx - hx) / r) ** 2 + ((yy - hy) / (r * 1.15)) ** 2))
    glow[floor_y:] = 0
    img += glow[..., None] * (_shade(base, 1.45) - _shade(base, 0.5)) * 0.85

    # video-wall panels: faint seams in a grid, a little brighter near the light, fading upwards
    wall_mask = np.zeros((H, W), np.float32)
    step = max(80, int(round(W / 6)))
    for gx in range((W % step) // 2, W + 1, step):
        wall_mask[:floor_y, max(gx - 1, 0) : gx + 1] = 1
    for gy in range(floor_y - step, 0, -step):
        wall_mask[gy : gy + 2, :] = 1
    wall_mask = cv2.GaussianBlur(wall_mask, (0, 0), 0.8) * np.clip(yy / (floor_y * 0.6), 0.25, 1)
    img += wall_mask[..., None] * (10 + 34 * glow[..., None]) * np.array([0.55, 0.75, 1.0], np.float32)

    # a blurred, lit city skyline on the wall behind the presenter's shoulders
    sky = np.zeros((H, W), np.float32)
    lights = np.zeros((H, W), np.float32)
    x = -int(rng.integers(0, 40))
    horizon = floor_y - int(layout.height * 0.015)
    max_h = int(min(av.h * 0.42, floor_y * 0.5))
    while x < W:
        bw = int(rng.integers(int(W * 0.035), int(W * 0.09)))
        distance = abs(x + bw / 2 - W / 2) / (W / 2)
        bh = int(rng.integers(int(max_h * 0.25), max_h) * (0.55 + 0.6 * distance))
        top = max(horizon - bh, 0)
        sky[top:horizon, max(x, 0) : x + bw] = 1
        if rng.random() < 0.3:  # an antenna or a spire
            sky[max(top - bh // 6, 0) : top, max(x + bw // 2 - 1, 0) : x + bw // 2 + 2] = 1
        for wy in range(top + 10, horizon - 8, 14):
            for wx in range(x + 6, x + bw - 6, 12):
                if 0 <= wx < W and rng.random() < 0.32:
                    lights[wy : wy + 5, wx : wx + 5] = rng.uniform(0.4, 1.0)
        x += bw + int(rng.integers(0, 8))
    sky = cv2.GaussianBlur(sky, (0, 0), 2.5)
    lights = cv2.GaussianBlur(lights, (0, 0), 2.0) * sky
    img = img * (1 - 0.35 * sky[..., None]) + sky[..., None] * 0.35 * _shade(base, 0.7)
    img += lights[..., None] * _mix(secondary, (255, 255, 255), 0.35) * 0.55

    # coloured light beams from the top corners in the station colours
    for cx, colour, sign in ((0.0, primary, 1), (W * 1.0, secondary, -1)):
        angle = (yy * 0.42 * sign + (xx - cx)) * sign
        beam = np.exp(-((angle - W * 0.16) / (W * 0.07)) ** 2) * np.clip(1 - yy / (floor_y * 1.05), 0, 1) ** 1.5
        img += beam[..., None] * colour * 0.16

    # desk-line LED strip and the floor's reflection of it
    strip = np.exp(-(((yy - floor_y) / 3.0) ** 2)) * (0.6 + 0.4 * np.exp(-(((xx - W / 2) / (W * 0.5)) ** 2)))
    img += strip[..., None] * _mix(primary, (255, 255, 255), 0.25) * 0.9
    refl = np.exp(-np.clip(yy - floor_y, 0, None) / (H * 0.05)) * (yy > floor_y) * np.exp(-(((xx - hx) / (W * 0.45)) ** 2))
    img += refl[..., None] * primary * 0.22
    # perspective lines on the floor
    floor_lines = np.zeros((H, W), np.float32)
    vx, vy = W / 2, floor_y - H * 0.25
    for k in range(-8, 9):
        bx = W / 2 + k * W * 0.17
        t = (H - vy) / (floor_y - vy)
        p0 = (vx + (bx - vx) * 1.0, floor_y)
        p1 = (vx + (bx - vx) * t, H)
        cv2.line(floor_lines, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), 1.0, 2, cv2.LINE_AA)
    floor_lines = cv2.GaussianBlur(floor_lines, (0, 0), 1.0) * np.clip((yy - floor_y) / (H * 0.2), 0, 1) ** 0.5
    floor_lines *= np.exp(-np.clip(yy - floor_y, 0, None) / (H * 0.12))
    img += floor_lines[..., None] * _shade(base, 1.6) * 0.22

    # bokeh: soft out-of-focus lights on the wall
    bokeh = np.zeros((H, W, 3), np.float32)
    for _ in range(26):
        bx, by = rng.uniform(0, W), rng.uniform(floor_y * 0.15, floor_y * 0.95)
        rad = rng.uniform(layout.short_side * 0.012, layout.short_side * 0.035)
        colour = secondary if rng.random() < 0.55 else _mix(base, (255, 255, 255), 0.7)
        cv2.circle(bokeh, (int(bx), int(by)), int(rad), tuple(float(c) * rng.uniform(0.08, 0.2) for c in colour), -1, cv2.LINE_AA)
    img += cv2.GaussianBlur(bokeh, (0, 0), layout.short_side * 0.004)

    # vignette
    v = ((xx - W / 2) / (W * 0.75)) ** 2 + ((yy - H * 0.45) / (H * 0.75)) ** 2
    img *= (1 - 0.45 * np.clip(v, 0, 1))[..., None]
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- overlays


def _label_text_px(layout: Layout) -> int:
    """Minimum ink height of the visible AI label: 5% of the short side (GB 45438), plus a safety margin."""
    return math.ceil(0.05 * layout.short_side * 1.08)


def _font_for_ink(text: str, ink: int, weight: str = "bold") -> ImageFont.FreeTypeFont:
    """The smallest font whose rendered ``text`` is at least ``ink`` pixels tall (measured on the glyphs)."""
    size = ink
    while True:
        font = get_font(size, weight)
        mask = font.getmask(text)
        bbox = mask.getbbox()
        if bbox and bbox[3] - bbox[1] >= ink:
            return font
        size += 1


def ai_label_sprite(layout: Layout, station: Station, language: str = "zh", end: float | None = None) -> Sprite:
    """The big explicit AI label, top area, from t=0 for at least ``station.ai_label_seconds`` (>= 2 s)."""
    box = layout.label
    text = station.ai_label
    font = _font_for_ink(text, _label_text_px(layout))
    sub = "AI-generated content" if language != "zh" and not any(c.isascii() and c.islower() for c in text) else ""
    sub_font = get_font(max(18, int(font.size * 0.36)), "bold") if sub else None
    pad_x, pad_y = int(font.size * 0.36), int(font.size * 0.26)
    top, bottom = _body(font, text)
    body = bottom - top
    text_w = _text_w(font, text)
    sub_w = _text_w(sub_font, sub) if sub else 0
    sub_h = int(sub_font.size * 1.35) if sub else 0
    accent = max(8, font.size // 8)
    w = max(text_w, sub_w) + 2 * pad_x + accent
    h = body + 2 * pad_y + sub_h
    c = _Canvas(w + 8, h + 8)
    panel = _rounded_rect(c.w, c.h, 0, 0, w, h, 10)
    c.paint(panel, (12, 14, 22), 0.82)
    c.paint(_poly(c.w, c.h, [(0, 0), (accent, 0), (accent, h), (0, h)]) * panel, station.rgb("primary"))
    # a thin light border keeps the label readable on any background
    inner = _rounded_rect(c.w, c.h, 1.5, 1.5, w - 1.5, h - 1.5, 9)
    c.paint(np.clip(panel - inner, 0, 1), (255, 255, 255), 0.35)
    x = accent + pad_x + (max(text_w, sub_w) - text_w) / 2
    c.text(x, pad_y - top, text, font, (255, 255, 255))
    if sub:
        c.text(accent + pad_x + (max(text_w, sub_w) - sub_w) / 2, pad_y + body + sub_h * 0.78, sub, sub_font, station.rgb("secondary"))
    seconds = max(station.ai_label_seconds, MIN_AI_LABEL_SECONDS)
    # right-aligned in its box (or left-aligned when the box is on the left half), clamped inside the frame
    sx = box.right - w if box.x + box.w / 2 > layout.width / 2 else box.x
    sx = min(max(sx, 0), layout.width - c.w)
    sy = min(max(box.y, 0), layout.height - c.h)
    return c.sprite(sx, sy, 0.0, seconds if end is None else max(end, seconds), kind="label")


def corner_mark_sprite(layout: Layout, station: Station) -> Sprite:
    """The small persistent mark: "AI生成 | station code", right-aligned in ``layout.corner_mark``."""
    box = layout.corner_mark
    size = int(box.h * 0.46)
    label, code = station.ai_label, station.code
    font = get_font(size, "bold")
    code_font = get_font(int(size * 0.8), "regular")
    gap = int(size * 0.6)
    pad = int(box.h * 0.34)
    while True:
        lw, cw = _text_w(font, label), _text_w(code_font, code)
        total = pad + lw + gap + cw + pad
        if total <= box.w or code_font.size <= 12:
            break
        code_font = get_font(code_font.size - 1, "regular")
        if code_font.size < size * 0.6:
            font = get_font(max(12, font.size - 1), "bold")
    total = min(total, box.w)
    h = box.h
    c = _Canvas(total, h)
    c.paint(_rounded_rect(c.w, c.h, 0, 0, total, h, h / 2), (8, 10, 18), 0.58)
    top, bottom = _body(font, label)
    baseline = (h - (bottom - top)) / 2 - top
    c.text(pad, baseline, label, font, (255, 255, 255))
    sep_x = pad + lw + gap / 2
    c.paint(_poly(c.w, c.h, [(sep_x - 1, h * 0.28), (sep_x + 1, h * 0.28), (sep_x + 1, h * 0.72), (sep_x - 1, h * 0.72)]), station.rgb("secondary"))
    c.text(pad + lw + gap, baseline, code, code_font, (225, 228, 235))
    return c.sprite(box.right - total, box.y, 0.0, math.inf, kind="corner_mark")


def brand_sprite(layout: Layout, station: Station) -> Sprite:
    """The station bug: a gold emblem with the station's first character, its name, and the English name."""
    box = layout.brand
    h = box.h
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    name_font = _fit([station.name], "bold", int(h * 0.58), box.w - int(h * 2.2))
    en = station.name_en.upper()
    name_w = _text_w(name_font, station.name)
    pad = int(h * 0.32)
    emblem = h
    bar_w = pad + name_w + pad
    slant = int(h * 0.35)
    # the English name goes in what is left of the box, smaller if need be, or not at all
    room = box.w - (emblem + bar_w + slant) - pad
    en_font = _fit([en], "bold", max(12, int(h * 0.30)), room - pad, min_size=int(h * 0.22)) if en and room > h else None
    if en_font is None or _text_w(en_font, en) > room - pad:
        en = ""
    en_w = _text_w(en_font, en) + 2 * pad if en else 0
    total = min(box.w, emblem + bar_w + slant + en_w) if en else emblem + bar_w + slant
    c = _Canvas(total, h)
    # emblem: gold square with the first character in the station colour
    c.paint(_poly(total, h, [(0, 0), (emblem, 0), (emblem, h), (0, h)]), _vgradient(total, h, _shade(secondary, 1.2), _shade(secondary, 0.82)))
    first = station.name[0]
    ef = get_font(int(h * 0.62), "bold")
    et, eb = _body(ef, first)
    c.text((emblem - _text_w(ef, first)) / 2, (h - (eb - et)) / 2 - et, first, ef, primary)
    # name bar
    x0, x1 = emblem, emblem + bar_w
    c.paint(_poly(total, h, [(x0, 0), (x1 + slant, 0), (x1, h), (x0, h)]), _vgradient(total, h, _shade(primary, 1.12), _shade(primary, 0.72)))
    top, bottom = _body(name_font, station.name)
    c.text(x0 + pad, (h - (bottom - top)) / 2 - top, station.name, name_font, (255, 255, 255), shadow=(1, 2, 1.5, 0.35))
    if en:
        ex0 = x1 + slant * 0.2
        c.paint(_poly(total, h, [(ex0, 0), (total, 0), (total, h), (ex0 - slant, h)]), (10, 12, 20), 0.55)
        et, eb = _body(en_font, en)
        c.text(x1 + slant + pad * 0.5, (h - (eb - et)) / 2 - et, en, en_font, (235, 235, 240))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="brand")


def _headline_geometry(box: Box) -> tuple[int, int, int]:
    accent = max(10, box.h // 14)
    pad_x = int(box.h * 0.16)
    return accent, pad_x, box.w - accent - 2 * pad_x - int(box.h * 0.2)


def headline_lines(title: str, layout: Layout, language: str = "zh") -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The font and (at most two, balanced) lines for a headline, the largest size that fits the banner."""
    box = layout.headline
    _, _, avail = _headline_geometry(box)
    title = " ".join(title.split())
    max_size = int(box.h * 0.40)
    min_size = max(20, int(box.h * 0.18))
    size = max_size
    while True:
        font = get_font(size, "bold")
        per_line = avail / size if language == "zh" else avail / (size * 0.5)
        lines = wrap_text(title, language, max(1, int(per_line)))
        fits = len(lines) <= 2 and all(_text_w(font, ln) <= avail for ln in lines) and size * 1.28 * len(lines) <= box.h * 0.92
        if fits or size <= min_size:
            break
        size -= 2
    if len(lines) > 2:  # a very long title: keep two lines and mark the cut
        lines = lines[:2]
        while _text_w(font, lines[1] + "…") > avail and len(lines[1]) > 1:
            lines[1] = lines[1][:-1]
        lines[1] = lines[1].rstrip("，。、；,;: ") + "…"
    if len(lines) == 1 and size == max_size:
        font = _fit(lines, "bold", int(box.h * 0.42), avail)
    return _fit(lines, "bold", font.size, avail), lines


def headline_sprite(title: str, layout: Layout, station: Station, language: str = "zh") -> Sprite:
    """The headline banner: up to two balanced lines of bold white text on the station's red."""
    box = layout.headline
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    accent, pad_x, avail = _headline_geometry(box)
    font, lines = headline_lines(title, layout, language)
    w, h = box.w, box.h
    c = _Canvas(w, h)
    cut = int(h * 0.28)
    shape = _poly(w, h, [(0, 0), (w, 0), (w, h - cut), (w - cut, h), (0, h)])
    c.paint(shape, _vgradient(w, h, _shade(primary, 1.15), _shade(primary, 0.62)))
    # a sheen on the upper half
    c.paint(shape * np.clip(1 - np.arange(h, dtype=np.float32)[:, None] / (h * 0.5), 0, 1) * np.ones((1, w), np.float32), (255, 255, 255), 0.10)
    c.paint(_poly(w, h, [(0, 0), (accent, 0), (accent, h), (0, h)]), _vgradient(w, h, _shade(secondary, 1.15), _shade(secondary, 0.8)))
    c.paint(_poly(w, h, [(accent, h - 4), (w - cut, h - 4), (w - cut, h), (accent, h)]) * shape, secondary, 0.9)
    top, bottom = _body(font, title)
    body = bottom - top
    line_h = max(body * 1.42, font.size * 1.22)
    block = line_h * (len(lines) - 1) + body
    y0 = (h - block) / 2 - top
    for k, line in enumerate(lines):
        lw = _text_w(font, line)
        x = accent + pad_x + (avail - lw) / 2 if len(lines) == 1 else accent + pad_x
        c.text(x, y0 + k * line_h, line, font, (255, 255, 255), shadow=(2, 3, 2.0, 0.45))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="headline")


def lower_third_sprite(name: str, title: str, layout: Layout, station: Station, start: float, end: float) -> Sprite:
    """Name (bold, white on red) over title (dark on gold), with a gold edge, left-aligned in ``layout.lower_third``."""
    box = layout.lower_third
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    name_h = int(box.h * (0.56 if title else 0.7))
    title_h = box.h - name_h if title else 0
    accent = max(8, box.h // 18)
    pad = int(name_h * 0.32)
    avail = box.w - accent - 2 * pad - 20
    name_font = _fit([name], "bold", int(name_h * 0.56), avail)
    title_font = _fit([title], "bold", int(title_h * 0.50), avail) if title else None
    name_w = _text_w(name_font, name) + 2 * pad
    title_w = _text_w(title_font, title) + 2 * pad if title else 0
    slant = int(name_h * 0.3)
    bar_w = min(box.w - accent - slant, max(name_w, title_w, int(box.w * 0.42)))
    c = _Canvas(box.w, box.h)
    x0 = accent
    c.paint(_poly(c.w, c.h, [(x0, 0), (x0 + bar_w + slant, 0), (x0 + bar_w, name_h), (x0, name_h)]),
            _vgradient(c.w, c.h, _shade(primary, 1.15), _shade(primary, 0.65), 0, name_h))
    top, bottom = _body(name_font, name)
    c.text(x0 + pad, (name_h - (bottom - top)) / 2 - top, name, name_font, (255, 255, 255), shadow=(2, 2, 1.5, 0.4))
    if title:
        tw = min(box.w - accent, max(title_w, bar_w * 0.8))
        c.paint(_poly(c.w, c.h, [(x0, name_h), (x0 + tw, name_h), (x0 + tw - slant * (title_h / name_h), box.h), (x0, box.h)]),
                _vgradient(c.w, c.h, (250, 250, 250), (222, 224, 230), name_h, box.h))
        top, bottom = _body(title_font, title)
        c.text(x0 + pad, name_h + (title_h - (bottom - top)) / 2 - top, title, title_font, (28, 30, 38))
    c.paint(_poly(c.w, c.h, [(0, 0), (accent, 0), (accent, box.h), (0, box.h)]), _vgradient(c.w, c.h, _shade(secondary, 1.2), _shade(secondary, 0.8)))
    return c.sprite(box.x, box.y, start, end, kind="lower_third")


def desk_sprite(layout: Layout, station: Station) -> Sprite | None:
    """The front of a news desk over the bottom edge of the presenter's picture (vertical layout)."""
    box = layout.desk
    if box is None:
        return None
    w, h = box.w, box.h
    base = station.rgb("backdrop")
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    c = _Canvas(w, h)
    top_h = max(18, h // 18)
    inset = int(w * 0.04)
    # desk top: a light glossy surface seen slightly from above
    c.paint(_poly(w, h, [(inset, 0), (w - inset, 0), (w, top_h), (0, top_h)]),
            _vgradient(w, h, _mix(_shade(base, 1.5), (255, 255, 255), 0.25), _shade(base, 1.1), 0, top_h))
    c.paint(_poly(w, h, [(inset, 0), (w - inset, 0), (w - inset + 2, 2), (inset - 2, 2)]), (255, 255, 255), 0.55)
    # front panel: dark, glossy, with a station-colour light line under the top
    c.paint(_poly(w, h, [(0, top_h), (w, top_h), (w, h), (0, h)]), _vgradient(w, h, _shade(base, 0.62), _shade(base, 0.12), top_h, h * 0.7))
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    led = np.exp(-(((yy - top_h - 5) / 2.2) ** 2)) * (0.55 + 0.45 * np.exp(-(((xx - w / 2) / (w * 0.45)) ** 2)))
    c.paint(np.broadcast_to(led, (h, w)), _mix(primary, (255, 255, 255), 0.2), 0.95)
    halo = np.exp(-np.clip(yy - top_h - 5, 0, None) / (h * 0.06)) * (yy > top_h + 5) * np.exp(-(((xx - w / 2) / (w * 0.5)) ** 2))
    c.paint(np.broadcast_to(halo, (h, w)), primary, 0.22)
    # a gold pin-stripe low on the front
    stripe_y = top_h + int(h * 0.42)
    c.paint(_poly(w, h, [(0, stripe_y), (w, stripe_y), (w, stripe_y + 3), (0, stripe_y + 3)]), secondary, 0.28)
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="desk")


def split_static(sprites: list[Sprite], duration: float) -> tuple[list[Sprite], list[Sprite]]:
    """(sprites visible for the whole clip, the rest).  The first list can be blended once into the
    base frame; only the second needs :func:`blend` per frame."""
    static = [s for s in sprites if s.start <= 0.0 and s.end >= duration]
    return static, [s for s in sprites if not (s.start <= 0.0 and s.end >= duration)]


def overlay_sprites(script, layout: Layout, station: Station, duration: float) -> list[Sprite]:
    """Every non-subtitle overlay for a clip, in drawing order (later sprites on top).

    Headline, station bug and corner mark stay for the whole clip; the lower third (if the
    script has one) shows from 0.5 s for 6 s; the big AI label from t=0 for ``station.ai_label_seconds``.
    """
    language = getattr(script, "language", "zh")
    desk = desk_sprite(layout, station)
    sprites = ([desk] if desk is not None else []) + [
        brand_sprite(layout, station),
        corner_mark_sprite(layout, station),
        headline_sprite(script.title, layout, station, language),
    ]
    lt = getattr(script, "lower_third", None)
    if lt is not None and lt.name:
        start = min(0.5, max(0.0, duration * 0.1))
        end = min(start + 6.0, duration) if duration > start + 1.0 else max(duration, start + 1.0)
        sprites.append(lower_third_sprite(lt.name, lt.title, layout, station, start, end))
    sprites.append(ai_label_sprite(layout, station, language))
    return sprites


# --------------------------------------------------------------------------- subtitles


def _subtitle_font_size(layout: Layout, language: str) -> int:
    return int(layout.short_side * (0.050 if language == "zh" else 0.042))


def subtitle_sprites(cues: list[Cue], layout: Layout, station: Station, language: str | None = None) -> list[Sprite]:
    """One sprite per cue (see :func:`subtitle_sprite`); cues with no text are skipped."""
    sprites = (subtitle_sprite(cue, layout, station, language) for cue in cues)
    return [s for s in sprites if s is not None]


def subtitle_sprite(cue: Cue, layout: Layout, station: Station, language: str | None = None) -> Sprite | None:
    """White text with a dark outline and soft shadow on a translucent band, centred in
    ``layout.subtitles``; the font shrinks (never the frame) when a line is too wide."""
    box = layout.subtitles
    lines = [ln for ln in cue.lines if ln.strip()]
    if not lines:
        return None
    lang = language or ("zh" if any(_has_cjk_text(ln) for ln in lines) else "en")
    stroke = max(2, layout.short_side // 360)
    pad_x = int(layout.short_side * 0.022)
    font = _fit(lines, "bold", _subtitle_font_size(layout, lang), box.w - 2 * pad_x - 2 * stroke, stroke=stroke)
    top, bottom = _body(font, "".join(lines))
    body = bottom - top
    line_h = int(max(body * 1.5, font.size * 1.22))
    while line_h * (len(lines) - 1) + body + 2 * stroke > box.h - 8 and font.size > 12:
        font = get_font(font.size - 2, "bold")
        top, bottom = _body(font, "".join(lines))
        body = bottom - top
        line_h = int(max(body * 1.5, font.size * 1.22))
    widths = [_text_w(font, ln, stroke) for ln in lines]
    pad_y = int(body * 0.30)
    band_w = min(box.w, max(widths) + 2 * pad_x)
    band_h = min(box.h, line_h * (len(lines) - 1) + body + 2 * pad_y)
    c = _Canvas(band_w, band_h)
    c.paint(_rounded_rect(band_w, band_h, 0, 0, band_w, band_h, min(14, band_h / 4)), (6, 8, 14), 0.50)
    y0 = (band_h - (line_h * (len(lines) - 1) + body)) / 2 - top
    for k, line in enumerate(lines):
        c.text((band_w - widths[k]) / 2 + stroke, y0 + k * line_h, line, font, (255, 255, 255), stroke=stroke,
               stroke_colour=(10, 10, 14), shadow=(2, 3, 2.0, 0.5))
    x = box.x + (box.w - band_w) // 2
    y = box.y + (box.h - band_h) // 2
    return c.sprite(x, y, cue.start, cue.end, kind="subtitle")
