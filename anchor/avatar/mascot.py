"""The cartoon mascot: a panda newsreader drawn by the project itself (vector shapes, Pillow).

Nothing is loaded from disk: the figure is drawn at three times its final size
and shrunk, so every edge is smooth at any frame size.  It has a mouth shape for
every viseme (rest, closed, open, mid, wide, round, teeth; the opening ones in
three sizes), eyes open, half-closed and shut, and moves like the photo anchor
(one rigid piece, :class:`anchor.avatar.rig.CutoutRig`), plus a little hop while it
talks.  Everything the renderer sees is the same rig protocol as for a photo.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .lipsync import BLINK_LEVELS, Paste, Pose, Rect
from .rig import CutoutRig, head_transform

SS = 3  # supersampling factor
MOUTHS = ("rest", "closed", "open", "mid", "wide", "round", "teeth")
SIZED = ("open", "mid", "wide", "round")  # shapes drawn in three opening sizes
SIZES = (0.45, 0.72, 1.0)

WHITE = (246, 245, 240, 255)
SHADOW = (214, 214, 212, 255)
BLACK = (34, 33, 38, 255)
BLAZER = (28, 54, 112, 255)
SHIRT = (250, 250, 252, 255)
TIE = (200, 22, 46, 255)
GOLD = (242, 193, 78, 255)
MOUTH = (74, 22, 30, 255)
TONGUE = (214, 90, 100, 255)
TEETH = (252, 252, 250, 255)
BLUSH = (250, 200, 204, 255)


def mascot_rig(pack, backdrop: np.ndarray, framing) -> CutoutRig:
    """A rig for a ``sprite`` pack over ``backdrop``, framed as ``framing`` says."""
    h, w = backdrop.shape[:2]
    head = framing.head_height * h  # forehead to chin of the panda's face
    centre = (w / 2, framing.eye_line * h + 0.05 * head)
    blazer = pack.tint.get("body")  # a recoloured panda: its blazer (#rrggbb), e.g. the desk's second anchor
    picture, parts = draw_panda(w, h, head, centre, _rgba(blazer) if blazer and blazer.startswith("#") else BLAZER)
    lift = 0.03 * h * pack.motion
    motion = head_transform((w / 2, float(h)), (centre[0], centre[1]), head * 1.5 * pack.motion, lift) \
        if pack.motion > 0 else None
    margin = int(0.06 * head * pack.motion + lift + math.radians(1.5 * pack.motion) * (h - centre[1])) + 3
    return CutoutRig(picture, backdrop, parts, motion=motion, margin=margin)


class MascotParts:
    """Mouth and eye states of the drawn mascot, chosen by the pose's viseme, opening and blink."""

    def __init__(self, mouth_at: tuple[int, int], mouths: dict, eyes_at: tuple[int, int], eyes: dict):
        self.mouth_at, self.mouths = mouth_at, mouths
        self.eyes_at, self.eyes = eyes_at, eyes

    def rects(self) -> list[Rect]:
        (mx, my), (ex, ey) = self.mouth_at, self.eyes_at
        mh, mw = next(iter(self.mouths.values())).shape[:2]
        eh, ew = next(iter(self.eyes.values())).shape[:2]
        return [(mx, my, mw, mh), (ex, ey, ew, eh)]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        yield (*self.mouth_at, self.mouths[mouth_state(pose)])
        blink = min(range(len(BLINK_LEVELS)), key=lambda i: abs(BLINK_LEVELS[i] - pose.blink))
        yield (*self.eyes_at, self.eyes[blink])


def mouth_state(pose: Pose) -> tuple[str, int]:
    """Which drawn mouth shows for ``pose``: (shape, size index)."""
    shape = pose.viseme if pose.viseme in MOUTHS else "mid"
    if shape in SIZED:
        if pose.mouth_open < 0.12:
            return "rest", 0
        size = min(range(len(SIZES)), key=lambda i: abs(SIZES[i] - min(pose.mouth_open / 0.9, 1.0)))
        return shape, size
    if shape == "rest" and pose.mouth_open >= 0.12:  # open but unnamed: a middle shape
        return "mid", 0
    return shape, 0


@functools.lru_cache(maxsize=4)
def draw_panda(width: int, height: int, head: float, centre: tuple[float, float], blazer=BLAZER):
    """The panda (RGBA, ``width`` x ``height``) in a ``blazer`` of that colour, with its face at rest, and its
    animated parts.

    Drawn once a process for each size and colour (0.4 s at 4x and shrunk): a worker's next clip with the same
    anchor reuses it.  The arrays are read-only, so no rig can change what the next one gets.
    """
    W, H, u = width * SS, height * SS, head * SS  # u: face height at drawing scale
    cx, cy = centre[0] * SS, centre[1] * SS
    canvas = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(canvas)
    _body(d, cx, cy, u, H, blazer)
    for side in (-1, 1):  # ears behind the head
        _circle(d, cx + side * 0.5 * u, cy - 0.42 * u, 0.2 * u, BLACK)
    _ellipse(d, cx, cy + 0.03 * u, 0.62 * u, 0.5 * u, SHADOW)  # chin shading
    _ellipse(d, cx, cy - 0.01 * u, 0.61 * u, 0.49 * u, WHITE)
    for side in (-1, 1):
        _rotated_ellipse(d, cx + side * 0.25 * u, cy - 0.02 * u, 0.15 * u, 0.2 * u, side * 28, BLACK)
        _ellipse(d, cx + side * 0.37 * u, cy + 0.2 * u, 0.085 * u, 0.045 * u, BLUSH)
    d.chord(_box(cx, cy + 0.12 * u, 0.085 * u, 0.06 * u), 180, 360, fill=BLACK)  # nose
    _ellipse(d, cx, cy + 0.115 * u, 0.085 * u, 0.03 * u, BLACK)
    _ellipse(d, cx - 0.025 * u, cy + 0.1 * u, 0.02 * u, 0.01 * u, (120, 120, 130, 255))

    # parts are cut at whole output pixels so their states line up with the picture
    mouth_rect = _pixel_rect(cx - 0.24 * u, cy + 0.16 * u, cx + 0.24 * u, cy + 0.47 * u)
    eyes_rect = _pixel_rect(cx - 0.42 * u, cy - 0.25 * u, cx + 0.42 * u, cy + 0.1 * u)
    mouths = {(shape, size): _shrink(_with(canvas, mouth_rect, lambda dd, s=shape, k=size: _mouth(dd, cx, cy, u, s, SIZES[k])))
              for shape in MOUTHS for size in (range(len(SIZES)) if shape in SIZED else (0,))}
    eyes = {level: _shrink(_with(canvas, eyes_rect, lambda dd, a=amount: _eyes(dd, cx, cy, u, a)))
            for level, amount in enumerate(BLINK_LEVELS)}
    picture = _shrink(canvas)
    for array in (picture, *mouths.values(), *eyes.values()):
        array.flags.writeable = False
    parts = MascotParts((mouth_rect[0] // SS, mouth_rect[1] // SS), mouths, (eyes_rect[0] // SS, eyes_rect[1] // SS), eyes)
    return picture, parts


def _body(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, bottom: float, blazer=BLAZER) -> None:
    """Blazer, shirt, tie and a gold station pin, running off the bottom of the picture."""
    lapel = tuple(int(c * 0.76) for c in blazer[:3]) + (255,)
    top = cy + 0.4 * u
    # shoulders: the top of a wide ellipse, then straight down off the picture
    _ellipse(d, cx, cy + 1.25 * u, 1.12 * u, 0.75 * u, blazer)
    d.rectangle((cx - 1.12 * u, cy + 1.25 * u, cx + 1.12 * u, bottom + u), fill=blazer)
    d.polygon([(cx - 0.45 * u, top), (cx + 0.45 * u, top), (cx + 0.8 * u, cy + 0.62 * u), (cx - 0.8 * u, cy + 0.62 * u)],
              fill=blazer)
    d.polygon([(cx - 0.3 * u, top), (cx + 0.3 * u, top), (cx, cy + 1.15 * u)], fill=SHIRT)
    for side in (-1, 1):
        d.polygon([(cx + side * 0.3 * u, top - 0.02 * u), (cx + side * 0.48 * u, top + 0.1 * u),
                   (cx + side * 0.28 * u, cy + 0.9 * u), (cx + side * 0.05 * u, cy + 1.2 * u)], fill=lapel)
        d.polygon([(cx + side * 0.02 * u, top + 0.02 * u), (cx + side * 0.2 * u, top), (cx + side * 0.14 * u, top + 0.12 * u)],
                  fill=SHIRT)  # collar points
    d.polygon([(cx - 0.06 * u, top + 0.04 * u), (cx + 0.06 * u, top + 0.04 * u), (cx + 0.045 * u, top + 0.13 * u),
               (cx - 0.045 * u, top + 0.13 * u)], fill=TIE)
    d.polygon([(cx - 0.045 * u, top + 0.13 * u), (cx + 0.045 * u, top + 0.13 * u), (cx + 0.08 * u, cy + 0.98 * u),
               (cx, cy + 1.08 * u), (cx - 0.08 * u, cy + 0.98 * u)], fill=TIE)
    _circle(d, cx - 0.5 * u, cy + 0.82 * u, 0.045 * u, GOLD)


def _eyes(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, closed: float) -> None:
    for side in (-1, 1):
        ex, ey, r = cx + side * 0.23 * u, cy - 0.06 * u, 0.075 * u
        if closed > 0.9:  # shut: a soft white arc on the dark patch
            d.arc(_box(ex, ey - 0.01 * u, r, r * 0.7), 20, 160, fill=WHITE, width=max(int(0.018 * u), 1))
            continue
        _circle(d, ex, ey, r, WHITE)
        _circle(d, ex + side * -0.01 * u, ey + 0.008 * u, 0.05 * u, BLACK)
        _circle(d, ex + side * -0.025 * u, ey - 0.018 * u, 0.018 * u, WHITE)
        if closed > 0:  # the upper lid comes down over the eye
            lid = ey - r + 2 * r * closed
            d.rectangle((ex - r - 2, ey - r - 2, ex + r + 2, lid), fill=BLACK)


def _mouth(d: ImageDraw.ImageDraw, cx: float, cy: float, u: float, shape: str, size: float) -> None:
    mx, my = cx, cy + 0.27 * u
    line = max(int(0.018 * u), 1)
    if shape == "rest":
        d.arc(_box(mx, my - 0.05 * u, 0.11 * u, 0.07 * u), 25, 155, fill=BLACK, width=line)
    elif shape == "closed":  # lips pressed: a short flat line with tucked corners
        d.line([(mx - 0.09 * u, my + 0.005 * u), (mx + 0.09 * u, my + 0.005 * u)], fill=BLACK, width=line)
        for side in (-1, 1):
            d.line([(mx + side * 0.09 * u, my + 0.005 * u), (mx + side * 0.105 * u, my - 0.012 * u)], fill=BLACK, width=line)
    elif shape == "teeth":  # f, v: upper teeth resting on the lower lip
        d.rounded_rectangle(_box(mx, my, 0.1 * u, 0.035 * u), radius=0.03 * u, fill=MOUTH, outline=BLACK, width=line)
        d.rectangle((mx - 0.08 * u, my - 0.03 * u, mx + 0.08 * u, my + 0.002 * u), fill=TEETH)
    else:
        half_w, half_h = {"open": (0.14, 0.12), "mid": (0.12, 0.075), "wide": (0.17, 0.05), "round": (0.065, 0.075)}[shape]
        half_w = half_w * (0.8 + 0.2 * size) * u
        half_h = half_h * size * u
        box = _box(mx, my + half_h * 0.3, half_w, half_h)
        if shape == "open":  # a rounded D: flat top, deep bottom
            d.chord((box[0], box[1] - 2 * half_h, box[2], box[3]), 0, 180, fill=MOUTH, outline=BLACK, width=line)
            top = my + half_h * 0.3 - half_h
        else:
            d.ellipse(box, fill=MOUTH, outline=BLACK, width=line)
            top = box[1]
        if shape in ("open", "mid"):
            _ellipse(d, mx, box[3] - 0.35 * half_h, 0.55 * half_w, 0.35 * half_h, TONGUE)
        if shape in ("open", "wide", "mid"):
            d.rectangle((mx - 0.55 * half_w, top + line, mx + 0.55 * half_w, top + line + 0.03 * u * size), fill=TEETH)


# -- drawing helpers ---------------------------------------------------------

def _rgba(hex_colour: str) -> tuple[int, int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), 255


def _box(x: float, y: float, rx: float, ry: float) -> tuple[float, float, float, float]:
    return x - rx, y - ry, x + rx, y + ry


def _circle(d, x, y, r, fill) -> None:
    d.ellipse(_box(x, y, r, r), fill=fill)


def _ellipse(d, x, y, rx, ry, fill) -> None:
    d.ellipse(_box(x, y, rx, ry), fill=fill)


def _rotated_ellipse(d, x, y, rx, ry, degrees, fill) -> None:
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    a = math.radians(degrees)
    px, py = rx * np.cos(t), ry * np.sin(t)
    points = np.column_stack([x + px * math.cos(a) - py * math.sin(a), y + px * math.sin(a) + py * math.cos(a)])
    d.polygon([tuple(p) for p in points], fill=fill)


def _pixel_rect(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
    """A rectangle at drawing scale whose corners fall on whole output pixels: (x0, y0, x1, y1)."""
    return (int(x0 // SS) * SS, int(y0 // SS) * SS, int(math.ceil(x1 / SS)) * SS, int(math.ceil(y1 / SS)) * SS)


def _with(canvas: Image.Image, rect, draw) -> Image.Image:
    """A crop of ``canvas`` with ``draw`` applied to it (drawing coordinates stay those of the canvas)."""
    x0, y0, x1, y1 = rect
    crop = canvas.crop(rect)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw(ImageDraw.Draw(layer))
    crop.alpha_composite(layer.crop(rect))
    return crop


def _shrink(image: Image.Image) -> np.ndarray:
    """Drawing scale -> output pixels, averaging each SS x SS block (premultiplied, so edges stay clean)."""
    rgba = np.asarray(image).astype(np.float32)
    alpha = rgba[..., 3:4] / 255
    premultiplied = np.concatenate([rgba[..., :3] * alpha, rgba[..., 3:4]], axis=2)
    h, w = rgba.shape[0] // SS, rgba.shape[1] // SS
    small = cv2.resize(premultiplied, (w, h), interpolation=cv2.INTER_AREA)
    colour = small[..., :3] / np.maximum(small[..., 3:4] / 255, 1e-6)
    return np.clip(np.dstack([colour, small[..., 3]]) + 0.5, 0, 255).astype(np.uint8)
