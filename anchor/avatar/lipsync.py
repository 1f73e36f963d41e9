"""Lip-sync: what a frame's pose does to the face, and the rig protocol the renderer uses.

The renderer knows one small protocol, :class:`Rig`: ``base`` (the anchor area at
rest), ``dirty_rects()`` (every rectangle a pose may change) and ``patches(pose)``
(the pastes for one frame).  Avatar kinds (a photo, a presenter's video loop, a
cartoon mascot) each build a rig; how they do it never touches the renderer.

A lip-sync *method* turns a presenter picture and its face landmarks into
:class:`FaceParts`: small patches (mouth, eyes) rendered per pose.  Methods are
chosen by name from the avatar pack (``get_method``): ``warp`` here, ``wav2lip``
(a neural network, the ``neural`` extra) in :mod:`anchor.avatar.wav2lip`.

The ``warp`` method reads the lip, jaw and eyelid curves from the face mesh and
remaps each pixel column of the lower face (or eye) piecewise-linearly: the
lower lip and chin drop while the upper lip lifts a little, the gap between the
lips becomes a painted mouth interior with a hint of teeth, and an eyelid slides
down over the eye.  Every displacement fades to zero at the patch borders, so
nothing outside the lower face and the eyes moves.  All states are rendered
ahead of time; a frame costs a few array copies.  Pictures are RGBA: the alpha
(the presenter's matte) is warped with the colours, so a chin dropping over the
backdrop stays cut out.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Iterator, Protocol, runtime_checkable

import cv2
import numpy as np

from . import face as fm
from .face import Face

OPEN_LEVELS = 11  # 0 = lips closed ... 10 = widest opening
WIDTH_LEVELS = (-1.0, 0.0, 1.0)  # rounded (o/u), neutral, spread (i/e)
BLINK_LEVELS = (0.0, 0.55, 1.0)

Paste = tuple[int, int, np.ndarray]  # (x, y, pixels): pixels go at column x, row y of the anchor area
Rect = tuple[int, int, int, int]  # (x, y, w, h)


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    """The clip's speech audio, for methods that listen to it (a neural lip-sync network)."""

    samples: np.ndarray  # mono float32
    sample_rate: int
    fps: int


@dataclass(frozen=True)
class Pose:
    """What the anchor does in one frame."""

    mouth_open: float = 0.0  # 0 closed .. 1 widest
    mouth_width: float = 0.0  # -1 rounded .. 1 spread
    blink: float = 0.0  # 0 eyes open .. 1 closed
    viseme: str = "rest"  # the mouth shape being spoken (anchor.speech.VISEMES)
    sway: float = 0.0  # head moved sideways, in face heights (+ to the viewer's right)
    nod: float = 0.0  # head lowered, in face heights (+ down)
    roll: float = 0.0  # head tilted, degrees (+ clockwise as seen)
    bounce: float = 0.0  # 0 .. 1: how high a mascot hops
    frame: int = 0  # index of the frame in the clip
    audio: SpeechAudio | None = field(default=None, compare=False, repr=False)


@runtime_checkable
class Rig(Protocol):
    """An avatar prepared for one clip at one frame size; the renderer's whole view of it."""

    #: the anchor area at rest (HxWx3 uint8), pasted once into the static picture
    base: np.ndarray

    def dirty_rects(self) -> list[Rect]:
        """Every (x, y, w, h) of the anchor area that some pose may change; the renderer
        re-blends graphics lying over these after pasting the patches."""
        ...

    def patches(self, pose: Pose) -> Iterator[Paste]:
        """The pastes that turn ``base`` into this pose's picture, in order."""
        ...


class FaceParts(Protocol):
    """The parts of a face a lip-sync method animates, as RGBA patches of the presenter picture."""

    def rects(self) -> list[Rect]: ...

    def patches(self, pose: Pose) -> Iterator[Paste]: ...


class LipSyncMethod(Protocol):
    name: str

    def parts(self, picture: np.ndarray, face: Face) -> FaceParts:
        """Prepare the animated parts of ``picture`` (HxWx4 RGBA uint8) whose face is ``face``."""
        ...


#: method name -> "module:class"; a method's module is imported only when a pack asks for it
METHODS = {"warp": "anchor.avatar.lipsync:WarpLipSync", "wav2lip": "anchor.avatar.wav2lip:Wav2LipSync"}


def get_method(name: str, **options) -> LipSyncMethod:
    from ..errors import AvatarError

    if name not in METHODS:
        raise AvatarError(f"未知的口型方法 {name!r}（可用：{', '.join(METHODS)}）",
                          f"unknown lip-sync method {name!r}; known: {', '.join(METHODS)}")
    module, cls = METHODS[name].split(":")
    return getattr(importlib.import_module(module), cls)(**options)


@dataclass
class Patch:
    """A rectangle of the presenter picture in several states, (x, y) its top-left corner."""

    x: int
    y: int
    states: dict  # level key -> HxWx4 uint8

    @property
    def shape(self) -> tuple[int, int]:
        return next(iter(self.states.values())).shape[:2]

    @property
    def rect(self) -> Rect:
        return self.x, self.y, self.shape[1], self.shape[0]


class WarpParts:
    """Mouth and eyelid states of the ``warp`` method, looked up per pose."""

    def __init__(self, mouth: Patch | None, eyes: list[Patch]):
        self.mouth = mouth
        self.eyes = eyes

    def rects(self) -> list[Rect]:
        return [p.rect for p in ([self.mouth] if self.mouth else []) + self.eyes]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        if self.mouth is not None:
            yield self.mouth.x, self.mouth.y, self.mouth.states[mouth_key(pose)]
        blink = min(range(len(BLINK_LEVELS)), key=lambda i: abs(BLINK_LEVELS[i] - pose.blink))
        for eye in self.eyes:
            yield eye.x, eye.y, eye.states[blink]


def mouth_key(pose: Pose) -> tuple[int, int]:
    """The (opening level, width index) of the pre-rendered mouth state nearest ``pose``."""
    level = int(round(float(np.clip(pose.mouth_open, 0, 1)) * (OPEN_LEVELS - 1)))
    width = min(range(len(WIDTH_LEVELS)), key=lambda i: abs(WIDTH_LEVELS[i] - pose.mouth_width))
    return level, (width if level else 1)


class WarpLipSync:
    """Landmark-driven warp of the lower face and eyelids (no model weights needed)."""

    name = "warp"

    def __init__(self, mouth: bool = True, eyes: bool = True):
        self.animate_mouth = mouth
        self.animate_eyes = eyes

    def parts(self, picture: np.ndarray, face: Face) -> WarpParts:
        mouth = mouth_patch(picture, face) if self.animate_mouth else None
        eyes = [eye_patch(picture, face, upper, lower, brow)
                for upper, lower, brow in ((fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER, fm.RIGHT_BROW),
                                           (fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER, fm.LEFT_BROW))] if self.animate_eyes else []
        return WarpParts(mouth, eyes)


# -- mouth -------------------------------------------------------------------

def mouth_patch(image: np.ndarray, face: Face) -> Patch:
    """Every mouth state (opening level x width) of the lower face of ``image`` (RGBA)."""
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
    chin_to = chin + drop * (0.85 if drop > 0 else 0.6) * jaw  # the jaw and chin follow the lower lip
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
    rgb = out[..., :3].astype(np.float32)
    scale = 4  # drawn at 4x and shrunk for smooth edges
    if gap < 1.0:
        seam_line = np.column_stack([xs, seam])
        shade = np.zeros((h * scale, w * scale), np.uint8)
        cv2.polylines(shade, [np.round(seam_line * scale).astype(np.int32)], False, 255,
                      thickness=max(scale, int(mouth_w * 0.012 * scale)), lineType=cv2.LINE_AA)
        shade = _shrink(shade, w, h) * 0.5
        out[..., :3] = (rgb * (1 - shade) + np.float32([95, 45, 50]) * shade).astype(np.uint8)
        return
    cavity = np.zeros((h * scale, w * scale), np.uint8)
    outline = np.vstack([np.column_stack([xs, seam]), np.column_stack([xs, lip_top])[::-1]])
    cv2.fillPoly(cavity, [np.round(outline * scale).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    # upper teeth: a band under the upper lip, fading out towards the corners of the mouth
    across = np.abs(np.linspace(-1, 1, len(xs)))
    teeth_h = np.minimum(0.3 * (lip_top - seam), 0.075 * mouth_w) * np.sqrt(np.clip(1.0 - 1.4 * across ** 2, 0, 1))
    band = np.vstack([np.column_stack([xs, seam]), np.column_stack([xs, seam + teeth_h])[::-1]])
    teeth = np.zeros_like(cavity)
    cv2.fillPoly(teeth, [np.round(band * scale).astype(np.int32)], 255, lineType=cv2.LINE_AA)
    # a tongue low in the mouth when it opens wide
    tongue = np.zeros_like(cavity)
    if gap > 0.12 * mouth_w:
        mid = len(xs) // 2
        centre = (xs[mid] * scale, (lip_top[mid] + 0.1 * gap) * scale)
        axes = (0.3 * (xs[-1] - xs[0]) * scale, 0.35 * gap * scale)
        cv2.ellipse(tongue, (int(centre[0]), int(centre[1])), (int(axes[0]), int(axes[1])), 0, 180, 360, 255, -1,
                    cv2.LINE_AA)
    cavity, teeth, tongue = _shrink(cavity, w, h), _shrink(teeth, w, h), _shrink(tongue, w, h)
    teeth = cv2.GaussianBlur(teeth, (0, 0), 0.6)[..., None] * cavity
    tongue = cv2.GaussianBlur(tongue, (0, 0), 1.5)[..., None] * cavity
    # dark throat, a little lighter towards the lips; lips shade the edge of the opening
    rows = np.arange(h, dtype=np.float32)[:, None]
    depth = np.clip((rows - seam.mean()) / max(gap, 1.0), 0, 1)
    interior = np.float32([58, 22, 26]) * (0.55 + 0.45 * np.abs(2 * depth - 1))[..., None]
    interior = interior * (1 - 0.6 * tongue) + np.float32([150, 62, 66]) * 0.6 * tongue
    edge = cv2.GaussianBlur(cavity[..., 0], (0, 0), max(0.04 * mouth_w, 1.0))[..., None]
    rgb = rgb * (1 - 0.25 * edge * (1 - cavity))
    painted = rgb * (1 - cavity) + interior * cavity
    shine = np.clip(1.0 - 0.25 * (rows - seam.mean()) / max(0.075 * mouth_w, 1.0), 0.75, 1.0)[..., None]
    toward_corners = np.clip(1.0 - 0.45 * np.abs(np.arange(w, dtype=np.float32) - xs.mean()) / max(np.ptp(xs) / 2, 1.0), 0.5, 1.0)
    painted = painted * (1 - 0.85 * teeth) + np.float32([214, 207, 194]) * (shine * toward_corners[None, :, None]) * 0.85 * teeth
    out[..., :3] = np.clip(painted, 0, 255).astype(np.uint8)
    if out.shape[2] == 4:  # the mouth is part of the presenter, whatever the matte said
        out[..., 3] = np.maximum(out[..., 3], (cavity[..., 0] * 255).astype(np.uint8))


# -- eyes --------------------------------------------------------------------

def eye_patch(image, face, upper_ids, lower_ids, brow_ids) -> Patch:
    """Open, half-closed and closed states of one eye of ``image`` (RGBA)."""
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
            out[..., :3] = (out[..., :3] * (1 - shade) + np.float32([70, 50, 45]) * shade).astype(np.uint8)
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


def _clip_rect(image, x0, y0, x1, y1) -> Rect:
    h, w = image.shape[:2]
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(np.ceil(x1)), w), min(int(np.ceil(y1)), h)
    return x0, y0, x1 - x0, y1 - y0
