"""Lip-sync methods: turn a still anchor image into per-frame mouth and eye patches.

A method prepares a :class:`Rig` once per clip; the renderer then asks the rig
for the patches of each frame's :class:`~anchor.performance.Pose` and pastes
them.  Methods are chosen by name (``get_method``); adding one does not touch
the renderer.

The built-in ``warp`` method reads the lip, jaw and eyelid curves from the face
mesh and remaps each pixel column of the lower face (or eye) piecewise-linearly:
the lower lip and chin drop while the upper lip lifts a little, the gap between
the lips becomes a painted mouth interior, and an eyelid slides down over the
eye.  Every displacement fades to zero at the patch borders, so nothing outside
the lower face and the eyes moves.  All states are rendered ahead of time; a
frame costs a few array copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import cv2
import numpy as np

from . import face as fm
from .face import Face

OPEN_LEVELS = 9  # 0 = lips closed ... 8 = widest opening
WIDTH_LEVELS = (-1.0, 0.0, 1.0)  # rounded (o/u), neutral, spread (i/e)
BLINK_LEVELS = (0.0, 0.55, 1.0)


@dataclass(frozen=True)
class Pose:
    """What the face does in one frame."""

    mouth_open: float = 0.0  # 0 closed .. 1 widest
    mouth_width: float = 0.0  # -1 rounded .. 1 spread
    blink: float = 0.0  # 0 eyes open .. 1 closed


@dataclass
class Patch:
    """A rectangle of the anchor image, (x, y) its top-left corner."""

    x: int
    y: int
    states: dict  # level key -> HxWx3 uint8

    @property
    def shape(self) -> tuple[int, int]:
        return next(iter(self.states.values())).shape[:2]


@dataclass
class Rig:
    base: np.ndarray  # the anchor image at rest, HxWx3 uint8
    mouth: Patch
    eyes: list[Patch]

    def dirty_rects(self) -> list[tuple[int, int, int, int]]:
        """Every (x, y, w, h) of the anchor image that some pose may change; the renderer
        re-blends graphics lying over these after pasting the patches."""
        return [(p.x, p.y, p.shape[1], p.shape[0]) for p in (self.mouth, *self.eyes)]

    def patches(self, pose: Pose) -> Iterator[tuple[int, int, np.ndarray]]:
        level = int(round(np.clip(pose.mouth_open, 0, 1) * (OPEN_LEVELS - 1)))
        width = min(range(len(WIDTH_LEVELS)), key=lambda i: abs(WIDTH_LEVELS[i] - pose.mouth_width))
        yield self.mouth.x, self.mouth.y, self.mouth.states[(level, width if level else 1)]
        blink = min(range(len(BLINK_LEVELS)), key=lambda i: abs(BLINK_LEVELS[i] - pose.blink))
        for eye in self.eyes:
            yield eye.x, eye.y, eye.states[blink]


class LipSyncMethod(Protocol):
    name: str

    def rig(self, image: np.ndarray, face: Face) -> Rig: ...


class WarpLipSync:
    """Landmark-driven thin-plate-spline warp of the lower face and eyelids."""

    name = "warp"

    def rig(self, image: np.ndarray, face: Face) -> Rig:
        mouth = _mouth_patch(image, face)
        eyes = [_eye_patch(image, face, upper, lower, brow)
                for upper, lower, brow in ((fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER, fm.RIGHT_BROW),
                                           (fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER, fm.LEFT_BROW))]
        base = image.copy()
        for patch, key in ((mouth, (0, 1)), *((e, 0) for e in eyes)):
            h, w = patch.shape
            base[patch.y:patch.y + h, patch.x:patch.x + w] = patch.states[key]
        return Rig(base=base, mouth=mouth, eyes=eyes)


METHODS = {"warp": WarpLipSync}


def get_method(name: str) -> LipSyncMethod:
    try:
        return METHODS[name]()
    except KeyError:
        raise ValueError(f"unknown lip-sync method {name!r}; known: {', '.join(METHODS)}") from None


# -- mouth -------------------------------------------------------------------

def _mouth_patch(image: np.ndarray, face: Face) -> Patch:
    p = face.points
    mouth_w = float(np.linalg.norm(p[291] - p[61]))
    jaw = face.at(fm.JAW)
    rect = _clip_rect(image, jaw[:, 0].min() - 0.1 * mouth_w, p[2, 1] - 0.05 * mouth_w,
                      jaw[:, 0].max() + 0.1 * mouth_w, p[152, 1] + 0.45 * mouth_w)
    max_gap = 0.30 * mouth_w
    states = {}
    for level in range(OPEN_LEVELS):
        for wi, width in enumerate(WIDTH_LEVELS):
            if level == 0 and wi != 1:
                continue
            gap = max_gap * level / (OPEN_LEVELS - 1)
            spread = width * (0.4 + 0.6 * level / (OPEN_LEVELS - 1))
            states[(level, wi)] = _mouth_state(image, face, rect, gap, spread, mouth_w)
    return Patch(rect[0], rect[1], states)


def _mouth_state(image, face, rect, gap, spread, mouth_w) -> np.ndarray:
    p = face.points
    x0, y0, w, h = rect
    xs = np.arange(w, dtype=np.float32) + x0
    upper = _curve(face.at(fm.UPPER_INNER_LIP), xs)
    lower = _curve(face.at(fm.LOWER_INNER_LIP), xs)
    cx, half = float(p[13, 0]), max(float(p[308, 0] - p[78, 0]) / 2, 1.0)
    lips = _bump((xs - cx) / half) ** 0.7  # 1 mid-mouth, 0 at the corners
    jaw_half = max(float(p[361, 0] - p[132, 0]) / 2, half)
    jaw = _bump((xs - cx) / jaw_half) ** 2  # 1 at the chin, 0 at the jaw sides

    lift = 0.18 * gap * lips  # the upper lip rises a little as the mouth opens
    seam = upper - lift  # where the upper lip now ends
    lip_top = seam + gap * lips  # where the lower lip now starts
    drop = float((lip_top - lower)[np.argmin(abs(xs - cx))])
    chin = float(p[152, 1])
    chin_to = chin + drop * (0.85 if drop > 0 else 0.6) * jaw
    top, bottom = float(y0), float(y0 + h - 1)
    # Column by column, destination rows -> source rows, as increasing knots.
    dest = np.stack([np.full_like(xs, top), seam, np.maximum(lip_top, seam + 1e-3), chin_to, np.full_like(xs, bottom)])
    src = np.stack([np.full_like(xs, top), upper, lower, np.full_like(xs, chin), np.full_like(xs, bottom)])
    dest = np.maximum.accumulate(dest + np.arange(5)[:, None] * 1e-4, axis=0)
    map_y = _column_maps(dest - y0, src, h)
    # Corners move out for spread vowels (i, e) and in for rounded ones (o, u).
    yy = np.arange(h, dtype=np.float32)[:, None] + y0
    rows = np.exp(-(((yy - float(p[13, 1])) / (0.45 * mouth_w)) ** 2))
    dx = spread * 0.10 * mouth_w * np.clip((xs - cx) / half, -1.6, 1.6) * (jaw ** 0.5)
    map_x = (xs[None, :] - dx[None, :] * rows).astype(np.float32)
    out = cv2.remap(image, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    inside = (xs >= p[78, 0]) & (xs <= p[308, 0])
    moved_x = xs + dx * float(np.exp(-((seam[inside].mean() - p[13, 1]) / (0.45 * mouth_w)) ** 2)) if inside.any() else xs
    _paint_mouth(out, moved_x[inside] - x0, seam[inside] - y0, lip_top[inside] - y0, gap, mouth_w)
    return out


def _paint_mouth(out, xs, seam, lip_top, gap, mouth_w):
    """Dark mouth interior with a hint of upper teeth between the lips; a soft seam when closed."""
    h, w = out.shape[:2]
    if len(xs) < 2:
        return
    scale = 4  # drawn at 4x and shrunk for smooth edges
    if gap < 1.0:
        seam_line = np.column_stack([xs, seam])
        shade = np.zeros((h * scale, w * scale), np.uint8)
        cv2.polylines(shade, [np.round(seam_line * scale).astype(np.int32)], False, 255,
                      thickness=max(scale, int(mouth_w * 0.012 * scale)), lineType=cv2.LINE_AA)
        shade = _shrink(shade, w, h) * 0.5
        out[:] = (out * (1 - shade) + np.float32([95, 45, 50]) * shade).astype(np.uint8)
        return
    cavity = np.zeros((h * scale, w * scale), np.uint8)
    outline = np.vstack([np.column_stack([xs, seam]), np.column_stack([xs, lip_top])[::-1]])
    cv2.fillPoly(cavity, [np.round(outline * scale).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    teeth_h = np.minimum(0.35 * (lip_top - seam), 0.08 * mouth_w)
    band = np.vstack([np.column_stack([xs, seam]), np.column_stack([xs, seam + teeth_h])[::-1]])
    teeth = np.zeros_like(cavity)
    cv2.fillPoly(teeth, [np.round(band * scale).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    cavity, teeth = _shrink(cavity, w, h), _shrink(teeth, w, h)
    teeth = cv2.GaussianBlur(teeth, (0, 0), 0.7)[..., None] * cavity
    depth = np.clip((np.arange(h, dtype=np.float32)[:, None] - seam.mean()) / max(gap, 1.0), 0, 1)
    interior = np.float32([92, 30, 38]) * (1.0 - 0.5 * depth[..., None])
    painted = out * (1 - cavity) + interior * cavity
    painted = painted * (1 - 0.92 * teeth) + np.float32([232, 226, 214]) * 0.92 * teeth
    out[:] = np.clip(painted, 0, 255).astype(np.uint8)


# -- eyes --------------------------------------------------------------------

def _eye_patch(image, face, upper_ids, lower_ids, brow_ids) -> Patch:
    upper_pts, lower_pts, brow = face.at(upper_ids), face.at(lower_ids), face.at(brow_ids)
    eye_w = float(upper_pts[:, 0].max() - upper_pts[:, 0].min())
    rect = _clip_rect(image, upper_pts[:, 0].min() - 0.35 * eye_w, brow[:, 1].min() - 0.1 * eye_w,
                      upper_pts[:, 0].max() + 0.35 * eye_w, lower_pts[:, 1].max() + 0.5 * eye_w)
    x0, y0, w, h = rect
    xs = np.arange(w, dtype=np.float32) + x0
    upper, lower = _curve(upper_pts, xs), _curve(lower_pts, xs)
    closed = lower - 0.15 * (lower - upper)
    top, bottom = float(y0), float(y0 + h - 1)
    states = {}
    for level, amount in enumerate(BLINK_LEVELS):
        lid = upper + (closed - upper) * amount
        under = np.maximum(lower + (closed - lower) * amount * 0.5, lid + 1e-3)
        dest = np.stack([np.full_like(xs, top), lid, under, np.full_like(xs, bottom)])
        src = np.stack([np.full_like(xs, top), upper, lower, np.full_like(xs, bottom)])
        dest = np.maximum.accumulate(dest + np.arange(4)[:, None] * 1e-4, axis=0)
        map_x = np.repeat(xs[None, :], h, axis=0)
        out = cv2.remap(image, map_x, _column_maps(dest - y0, src, h), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        if amount > 0.9:
            inside = (xs >= upper_pts[:, 0].min()) & (xs <= upper_pts[:, 0].max())
            lash = np.column_stack([xs[inside] - x0, lid[inside] - y0]) * 4
            shade = np.zeros((h * 4, w * 4), np.uint8)
            cv2.polylines(shade, [lash.astype(np.int32)], False, 255, max(4, int(eye_w * 0.12)), cv2.LINE_AA)
            shade = _shrink(shade, w, h) * 0.6
            out[:] = (out * (1 - shade) + np.float32([70, 50, 45]) * shade).astype(np.uint8)
        states[level] = out
    return Patch(x0, y0, states)


# -- shared ------------------------------------------------------------------

def _bump(u: np.ndarray) -> np.ndarray:
    """1 at u = 0 falling smoothly to 0 at |u| >= 1."""
    return np.clip(np.cos(np.clip(u, -1, 1) * np.pi / 2), 0, 1)


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a lip or lid contour at each x, held flat beyond its corners."""
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1]).astype(np.float32)


def _column_maps(dest: np.ndarray, src: np.ndarray, h: int) -> np.ndarray:
    """Per column, map destination rows to source rows through piecewise-linear knots."""
    rows = np.arange(h, dtype=np.float32)
    return np.stack([np.interp(rows, dest[:, c], src[:, c]) for c in range(dest.shape[1])], axis=1).astype(np.float32)


def _shrink(mask: np.ndarray, w: int, h: int) -> np.ndarray:
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255


def _clip_rect(image, x0, y0, x1, y1) -> tuple[int, int, int, int]:
    h, w = image.shape[:2]
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(np.ceil(x1)), w), min(int(np.ceil(y1)), h)
    return x0, y0, x1 - x0, y1 - y0
