"""The ``warp`` lip-sync method: the lower face moved as one mesh, the inside of the mouth painted, the eyelids slid.

Needs no model weights.  Per pose, the jaw and lip channels (:mod:`anchor.avatar.articulation`)
move the face mesh (:mod:`anchor.avatar.mouthmesh`), the patch is warped triangle by
triangle, and the opening is filled by :mod:`anchor.avatar.innermouth`.  A mouth costs a
few milliseconds; recent poses are kept, since speech returns to the same shapes often.
The eyelids have three pre-rendered states (open, half, closed), each column of the eye
remapped so the upper lid slides down.  Pictures are RGBA: the presenter's matte is
warped with the colours, so a chin dropping over the backdrop stays cut out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace

import cv2
import numpy as np

from . import face as fm
from .articulation import Articulation, articulate
from .face import Face
from .innermouth import mouth_style, paint_inner_mouth
from .lipsync import BLINK_LEVELS, Paste, Pose, Rect
from .mouthmesh import MouthMesh, clip_rect, curve, mouth_rect

KEPT_MOUTHS = 48  # recent mouth pictures kept for reuse


class MeshMouth:
    """The lower face of one picture, rendered for any pose."""

    def __init__(self, picture: np.ndarray, face: Face):
        self.rect = mouth_rect(face, picture.shape)
        x0, y0, w, h = self.rect
        self.mesh = MouthMesh.of(face, self.rect)
        self.source = np.ascontiguousarray(picture[y0:y0 + h, x0:x0 + w])
        self.style = mouth_style(picture, face, self.mesh)
        self._kept: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def picture(self, pose: Pose) -> np.ndarray:
        """The patch (RGBA) for ``pose``; the same array for poses that look the same."""
        pose = _quantised(pose)
        key = (pose.mouth_open, pose.mouth_width, pose.viseme, pose.tongue, pose.speaking, pose.reading)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        out = self.render(pose)
        self._kept[key] = out
        if len(self._kept) > KEPT_MOUTHS:
            self._kept.popitem(last=False)
        return out

    def render(self, pose: Pose) -> np.ndarray:
        a = articulate(pose)
        if a == Articulation():
            return self.source.copy()
        moved = self.mesh.place(a)
        map_x, map_y = self.mesh.source_maps(moved)
        out = cv2.remap(self.source, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        paint_inner_mouth(out, self.mesh, moved, a, self.style)
        return out


def _quantised(pose: Pose) -> Pose:
    viseme = pose.viseme if pose.viseme in ("closed", "teeth") else "other"
    return replace(pose, mouth_open=round(float(np.clip(pose.mouth_open, 0, 1)) * 24) / 24,
                   mouth_width=round(float(np.clip(pose.mouth_width, -1, 1)) * 8) / 8, viseme=viseme,
                   tongue=round(float(np.clip(pose.tongue, 0, 1)) * 4) / 4,
                   speaking=round(float(np.clip(pose.speaking, 0, 1)) * 16) / 16,
                   reading=round(float(np.clip(pose.reading, 0, 1)) * 16) / 16, audio=None, frame=0)


@dataclass
class Eye:
    """One eye in its blink states (``BLINK_LEVELS``), (x, y) its top-left corner."""

    x: int
    y: int
    states: list

    @property
    def rect(self) -> Rect:
        return self.x, self.y, self.states[0].shape[1], self.states[0].shape[0]


class WarpParts:
    """The mouth and eyelids of the ``warp`` method."""

    def __init__(self, mouth: MeshMouth | None, eyes: list[Eye]):
        self.mouth = mouth
        self.eyes = eyes

    def rects(self) -> list[Rect]:
        return ([self.mouth.rect] if self.mouth else []) + [e.rect for e in self.eyes]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        if self.mouth is not None:
            yield self.mouth.rect[0], self.mouth.rect[1], self.mouth.picture(pose)
        blink = min(range(len(BLINK_LEVELS)), key=lambda i: abs(BLINK_LEVELS[i] - pose.blink))
        for eye in self.eyes:
            yield eye.x, eye.y, eye.states[blink]


class WarpLipSync:
    """Landmark-driven warp of the lower face and eyelids (no model weights needed)."""

    name = "warp"

    def __init__(self, mouth: bool = True, eyes: bool = True):
        self.animate_mouth = mouth
        self.animate_eyes = eyes

    def parts(self, picture: np.ndarray, face: Face) -> WarpParts:
        mouth = MeshMouth(picture, face) if self.animate_mouth else None
        eyes = [eye_states(picture, face, upper, lower, brow)
                for upper, lower, brow in ((fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER, fm.RIGHT_BROW),
                                           (fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER, fm.LEFT_BROW))] if self.animate_eyes else []
        return WarpParts(mouth, eyes)


# -- eyes --------------------------------------------------------------------

def eye_states(image, face, upper_ids, lower_ids, brow_ids) -> Eye:
    """Open, half-closed and closed states of one eye of ``image`` (RGBA)."""
    upper_pts, lower_pts, brow = face.at(upper_ids), face.at(lower_ids), face.at(brow_ids)
    eye_w = float(upper_pts[:, 0].max() - upper_pts[:, 0].min())
    x0, y0, w, h = clip_rect(image.shape, upper_pts[:, 0].min() - 0.35 * eye_w, brow[:, 1].min() - 0.1 * eye_w,
                             upper_pts[:, 0].max() + 0.35 * eye_w, lower_pts[:, 1].max() + 0.5 * eye_w)
    xs = np.arange(w, dtype=np.float32) + x0
    upper, lower = curve(upper_pts, xs), curve(lower_pts, xs)
    closed = lower - 0.15 * (lower - upper)
    top, bottom = float(y0), float(y0 + h - 1)
    states = []
    for amount in BLINK_LEVELS:
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
            shade = cv2.resize(shade, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255 * 0.6
            out[..., :3] = (out[..., :3] * (1 - shade) + np.float32([70, 50, 45]) * shade).astype(np.uint8)
        states.append(out)
    return Eye(x0, y0, states)


def _column_maps(dest: np.ndarray, src: np.ndarray, h: int) -> np.ndarray:
    """Per column, map destination rows to source rows through piecewise-linear knots."""
    rows = np.arange(h, dtype=np.float32)
    return np.stack([np.interp(rows, dest[:, c], src[:, c]) for c in range(dest.shape[1])], axis=1).astype(np.float32)
