"""The station's own mascot, rigged from its designer's artwork (see :mod:`anchor.avatar.artwork`).

The artwork is fitted into the anchor area as the pack's framing says (the head
layer's height, the eyes' centre line), shrunk by averaging (``INTER_AREA``, in
premultiplied alpha, so edges stay smooth and never darken) or enlarged only as
much as the framing needs (bilinear: a sharper filter rings into a bright rim
along a cartoon's hard outlines).  The figure moves like the drawn panda, one piece
about a point below the frame (:func:`anchor.avatar.rig.head_transform` in a
:class:`~anchor.avatar.rig.CutoutRig`), and its head also tilts on the neck about
the head pivot.  The head with its eyes (by blink) and mouth (by viseme and
opening, as for the panda) is made per pose at the tilt (in steps of
:data:`TILT_STEP` degrees) and laid over the moved figure where the figure's motion
carries it, over the body alone, so what a tilting head uncovers is the body.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..graphics import load_station
from .artwork import EYES, ArtLayer, Artwork, read_artwork, sprite_settings, tinted
from .lipsync import BLINK_LEVELS, Paste, Pose, Rect
from .mascot import SIZED, SIZES, mouth_state
from .pictures import hex_rgb
from .rig import CutoutRig, head_transform

MAX_ROLL = 1.0  # degrees of a pose's roll (performance keeps it under 0.7)
HEAD_TILT = 2.5  # the head tilts this many times the pose's roll (a cartoon's head moves more than a person's)
BODY_ROLL = 0.4  # ... while the whole figure rolls this share of it
TILT_STEP = 0.25  # degrees: finer steps move the head's edge less than half a pixel
MEMO = 64  # head states kept (each a head-sized RGBA uint8 picture)


def artwork_rig(pack, backdrop: np.ndarray, framing, station=None) -> SpriteRig:
    """A rig for a ``sprite`` pack made from artwork, over ``backdrop``, framed as ``framing`` says.

    Parts tinted with a station colour take it from ``station`` (default: :func:`anchor.graphics.load_station`).
    """
    settings = sprite_settings({"layers": pack.layers, "tint": pack.tint, "head_pivot": pack.head_pivot})
    art = read_artwork(pack.folder / pack.source, settings)
    if settings.tint:
        station = station or load_station()
        colours = {part: hex_rgb(c) if c.startswith("#") else station.rgb(c) for part, c in settings.tint.items()}
        art = replace(art, parts={part: tinted(layer, colours[part]) if part in colours else layer
                                  for part, layer in art.parts.items()})
    h, w = backdrop.shape[:2]
    figure = fit_artwork(art, w, h, framing)
    head = HeadStates(figure, HEAD_TILT * pack.motion)
    if pack.motion <= 0:
        return SpriteRig(CutoutRig(figure.picture(), backdrop, NO_PARTS), figure, head)
    head_h = framing.head_height * h
    lift = 0.03 * h * pack.motion
    head_centre = (figure.pivot[0], figure.pivot[1] - 0.5 * head_h)
    whole = head_transform((w / 2, float(h)), head_centre, head_h * 1.5 * pack.motion, lift)
    margin = int(0.06 * head_h * pack.motion + lift + math.radians(BODY_ROLL * MAX_ROLL * pack.motion) * h) + 3
    figure_rig = CutoutRig(figure.picture(), backdrop, NO_PARTS, margin=margin,
                           motion=lambda pose: whole(replace(pose, roll=pose.roll * BODY_ROLL)))
    return SpriteRig(figure_rig, figure, head)


class _NoParts:
    """No face parts: the figure rig moves the whole figure; the head is laid on by :class:`SpriteRig`."""

    def rects(self) -> list[Rect]:
        return []

    def patches(self, pose: Pose) -> Iterator[Paste]:
        return iter(())


NO_PARTS = _NoParts()


class SpriteRig:
    """:class:`~anchor.avatar.lipsync.Rig` of an artwork mascot: the figure moving as one piece (a
    :class:`CutoutRig`), then the pose's head laid over it where the figure's motion carries it."""

    def __init__(self, figure_rig: CutoutRig, figure: FittedFigure, head: HeadStates):
        self.figure_rig, self.head = figure_rig, head
        self.backdrop = figure_rig.backdrop
        x, y, w, h = head.rect
        W, H = figure.size
        # the body alone around the head (premultiplied), larger than the head's rectangle: the paste is the
        # bounding box of the moved rectangle, which reaches past it by its slant (the figure rolls up to
        # 2 degrees) and by rounding
        pad = 2 + math.ceil(max(w, h) * math.sin(math.radians(2.0)))
        bx0, by0, bx1, by1 = max(x - pad, 0), max(y - pad, 0), min(x + w + pad, W), min(y + h + pad, H)
        body = np.zeros((by1 - by0, bx1 - bx0, 4), np.float32)
        for part in figure.body_parts():
            part.paint(body, bx0, by0)
        self._body = (bx0, by0, _to_uint8(body))
        self._last: tuple | None = None  # (head state, matrix, paste) of the last head laid on
        identity = np.float32([[1, 0, 0], [0, 1, 0]])
        self.base = figure_rig.base.copy()
        hx, hy, pixels = self._head_paste(self.head.state(Pose()), identity)
        self.base[hy:hy + pixels.shape[0], hx:hx + pixels.shape[1]] = pixels

    def dirty_rects(self) -> list[Rect]:
        return self.figure_rig.dirty_rects() if self.figure_rig.motion is not None else [self.head.rect]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        yield from self.figure_rig.patches(pose)  # the moved figure's region (nothing when it stands still)
        matrix = self.figure_rig.shown_motion
        matrix = np.float32([[1, 0, 0], [0, 1, 0]]) if matrix is None else matrix
        state = self.head.state(pose)
        if self._last is None or self._last[0] is not state or not np.array_equal(self._last[1], matrix):
            self._last = state, matrix, self._head_paste(state, matrix)
        yield self._last[2]

    def _head_paste(self, state: np.ndarray, matrix: np.ndarray) -> Paste:
        """The head ``state`` (premultiplied RGBA of the head rect) over the body and the backdrop, moved by ``matrix``."""
        x, y, w, h = self.head.rect
        corners = cv2.transform(np.float32([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]]), matrix)[0]
        bh, bw = self.backdrop.shape[:2]
        x0, y0 = max(int(np.floor(corners[:, 0].min() + 1e-3)), 0), max(int(np.floor(corners[:, 1].min() + 1e-3)), 0)
        x1 = min(int(np.ceil(corners[:, 0].max() - 1e-3)), bw)
        y1 = min(int(np.ceil(corners[:, 1].max() - 1e-3)), bh)
        out = self.backdrop[y0:y1, x0:x1].astype(np.float32) * (1 / 255)
        for ox, oy, pixels in (self._body, (x, y, state)):
            local = matrix.copy()
            local[:, 2] += matrix[:, :2] @ np.float32([ox, oy]) - np.float32([x0, y0])
            layer = cv2.warpAffine(pixels, local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(np.float32) * (1 / 255)
            out = out * (1 - layer[..., 3:]) + layer[..., :3]
        return x0, y0, np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class Placed:
    """One part in the anchor area: premultiplied float32 RGBA of its box, top-left corner at (x, y)."""

    x: int
    y: int
    pixels: np.ndarray

    def paint(self, target: np.ndarray, x: int, y: int) -> None:
        """Composite this part over ``target`` (premultiplied, its top-left corner at area (x, y)), in place."""
        h, w = self.pixels.shape[:2]
        x0, y0 = max(self.x, x), max(self.y, y)
        x1, y1 = min(self.x + w, x + target.shape[1]), min(self.y + h, y + target.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        src = self.pixels[y0 - self.y:y1 - self.y, x0 - self.x:x1 - self.x]
        dst = target[y0 - y:y1 - y, x0 - x:x1 - x]
        dst *= 1 - src[..., 3:]
        dst += src


@dataclass(frozen=True, eq=False)
class FittedFigure:
    """The artwork scaled and placed in a ``size`` anchor area."""

    parts: dict  # part, or "mouth_<shape>:<size index>" for a squashed opening -> Placed
    pivot: tuple[float, float]  # the head pivot in the area
    size: tuple[int, int]  # (width, height) of the area

    def head_parts(self, blink: int, mouth: tuple[str, int]) -> list[Placed]:
        """The head with these eyes and this mouth, back to front."""
        shape, size = mouth
        squashed = shape in SIZED and size < len(SIZES) - 1
        out = [self.parts["head"], self.parts[f"eyes_{EYES[blink]}"],
               self.parts[f"mouth_{shape}:{size}" if squashed else f"mouth_{shape}"]]
        return out + ([self.parts["blink"]] if blink and "blink" in self.parts else [])

    def body_parts(self) -> list[Placed]:
        return [self.parts[p] for p in ("body", "arms") if p in self.parts]

    def picture(self) -> np.ndarray:
        """The whole figure at rest, RGBA uint8 of the area's size."""
        w, h = self.size
        canvas = np.zeros((h, w, 4), np.float32)
        for part in self.body_parts() + self.head_parts(0, ("rest", 0)):
            part.paint(canvas, 0, 0)
        return _unpremultiply(canvas)


def fit_artwork(art: Artwork, width: int, height: int, framing) -> FittedFigure:
    """Scale ``art`` so its head layer is ``framing.head_height`` of the area high with the eyes on the eye line."""
    head = art.parts["head"].box
    eyes = art.parts["eyes_open"].box
    scale = framing.head_height * height / max(head[3] - head[1], 1)
    dx = width / 2 - (head[0] + head[2]) / 2 * scale
    dy = framing.eye_line * height - (eyes[1] + eyes[3]) / 2 * scale
    bottom = max(art.parts[p].box[3] for p in ("body", "arms", "head") if p in art.parts)
    dy = max(dy, height - bottom * scale)  # the figure runs off the bottom of the area, never floats above it
    boxes = [layer.box for layer in art.parts.values()]
    ux0, uy0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    ux1, uy1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    out_w, out_h = max(round((ux1 - ux0) * scale), 1), max(round((uy1 - uy0) * scale), 1)
    ox, oy = round(ux0 * scale + dx), round(uy0 * scale + dy)
    sx, sy = out_w / (ux1 - ux0), out_h / (uy1 - uy0)  # the scale actually used, after rounding the size
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR

    def place(layer: ArtLayer) -> Placed:
        # every layer is scaled on the same grid (the union of all boxes), so the parts stay in register
        canvas = np.zeros((uy1 - uy0, ux1 - ux0, 4), np.float32)
        x0, y0 = max(layer.left, ux0), max(layer.top, uy0)
        x1 = min(layer.left + layer.pixels.shape[1], ux1)
        y1 = min(layer.top + layer.pixels.shape[0], uy1)
        canvas[y0 - uy0:y1 - uy0, x0 - ux0:x1 - ux0] = _premultiply(
            layer.pixels[y0 - layer.top:y1 - layer.top, x0 - layer.left:x1 - layer.left])
        small = cv2.resize(canvas, (out_w, out_h), interpolation=interpolation)
        return _cropped(small, ox, oy, width, height)

    parts = {part: place(layer) for part, layer in art.parts.items()}
    for shape in SIZED:  # smaller openings of the open mouths: the drawn mouth squashed
        for k, size in enumerate(SIZES[:-1]):
            parts[f"mouth_{shape}:{k}"] = _squashed(parts[f"mouth_{shape}"], 0.85 + 0.15 * size, size)
    pivot = (ox + (art.head_pivot[0] - ux0) * sx, oy + (art.head_pivot[1] - uy0) * sy)
    return FittedFigure(parts, pivot, (width, height))


class HeadStates:
    """The head with its eyes and mouth, tilted about the neck, for each pose: premultiplied RGBA of ``rect``."""

    def __init__(self, figure: FittedFigure, tilt: float):
        self.figure, self.tilt = figure, tilt
        w, h = figure.size
        heads = [p for key, p in figure.parts.items() if not key.startswith(("body", "arms"))]
        x0, y0 = min(p.x for p in heads), min(p.y for p in heads)
        x1 = max(p.x + p.pixels.shape[1] for p in heads)
        y1 = max(p.y + p.pixels.shape[0] for p in heads)
        px, py = figure.pivot
        reach = math.hypot(max(px - x0, x1 - px), max(py - y0, y1 - py))
        grow = math.ceil(math.radians(MAX_ROLL * tilt) * reach) + 2 if tilt > 0 else 1
        x0, y0, x1, y1 = max(x0 - grow, 0), max(y0 - grow, 0), min(x1 + grow, w), min(y1 + grow, h)
        self.rect = (x0, y0, x1 - x0, y1 - y0)
        self._memo: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def state(self, pose: Pose) -> np.ndarray:
        blink = min(range(len(BLINK_LEVELS)), key=lambda i: abs(BLINK_LEVELS[i] - pose.blink))
        degrees = float(np.clip(pose.roll, -MAX_ROLL, MAX_ROLL)) * self.tilt
        key = (round(degrees / TILT_STEP), blink, mouth_state(pose))
        if key not in self._memo:
            self._memo[key] = self._draw(key[0] * TILT_STEP, blink, key[2])
            if len(self._memo) > MEMO:  # the least recently shown goes; the one just shown always stays
                self._memo.popitem(last=False)
        self._memo.move_to_end(key)
        return self._memo[key]

    def _draw(self, degrees: float, blink: int, mouth: tuple[str, int]) -> np.ndarray:
        x0, y0, w, h = self.rect
        head = np.zeros((h, w, 4), np.float32)
        for part in self.figure.head_parts(blink, mouth):
            part.paint(head, x0, y0)
        if degrees:
            px, py = self.figure.pivot
            turn = cv2.getRotationMatrix2D((px - x0, py - y0), -degrees, 1.0)  # + roll is clockwise as seen
            head = cv2.warpAffine(head, turn, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                  borderValue=0)
        return _to_uint8(head)


# -- premultiplied RGBA (float32, 0..1) ------------------------------------------------------

def _premultiply(rgba: np.ndarray) -> np.ndarray:
    out = rgba.astype(np.float32) * (1 / 255)
    out[..., :3] *= out[..., 3:]
    return out


def _unpremultiply(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:]
    colour = rgba[..., :3] / np.maximum(alpha, 1e-6)
    return np.clip(np.dstack([colour, alpha]) * 255 + 0.5, 0, 255).astype(np.uint8)


def _to_uint8(premultiplied: np.ndarray) -> np.ndarray:
    return np.clip(premultiplied * 255 + 0.5, 0, 255).astype(np.uint8)


def _cropped(pixels: np.ndarray, x: int, y: int, width: int, height: int) -> Placed:
    """The covered box of ``pixels`` (placed at area (x, y)) inside a ``width`` x ``height`` area."""
    ys, xs = np.nonzero(pixels[..., 3] > 0.5 / 255)
    if not len(xs):
        return Placed(0, 0, np.zeros((1, 1, 4), np.float32))
    x0, y0 = max(int(xs.min()), -x), max(int(ys.min()), -y)
    x1, y1 = min(int(xs.max()) + 1, width - x), min(int(ys.max()) + 1, height - y)
    if x1 <= x0 or y1 <= y0:
        return Placed(0, 0, np.zeros((1, 1, 4), np.float32))
    return Placed(x + x0, y + y0, np.ascontiguousarray(pixels[y0:y1, x0:x1]))


def _squashed(part: Placed, fx: float, fy: float) -> Placed:
    """``part`` shrunk about a point 30 % down its box: a smaller opening of a drawn mouth."""
    h, w = part.pixels.shape[:2]
    small = cv2.resize(part.pixels, (max(round(w * fx), 1), max(round(h * fy), 1)), interpolation=cv2.INTER_AREA)
    x = part.x + round((w - small.shape[1]) / 2)
    y = part.y + round(0.3 * (h - small.shape[0]))
    return Placed(x, y, small)
