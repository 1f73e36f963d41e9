"""A presenter's mouth as numbers: lip and jaw shape, head pose, the mouth's look, and the speaker's own range.

Everything here is pure numpy over face-mesh landmarks (and, for the look, a small
crop).  Shapes are measured in a frame fixed to the head, so a head that moves, tilts
or comes closer measures the same: the origin at the nose bridge, the outer eye
corners level, and one unit the distance between them.

A twin (:mod:`anchor.avatar.twin.rig`) compares the shape the script asks for in each
output frame with the shapes measured in the presenter's recording; ``SpeakerRange``
maps the timeline's speaker-neutral mouth (0 closed .. 1 widest) into this speaker's
own measured opening, width and jaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import Face

#: shape vector columns
SHAPE = ("gap", "width", "jaw", "upper_lip", "lower_lip", "corner_lift")
GAP, WIDTH, JAW = 0, 1, 2
#: head pose columns: yaw and roll in degrees, pitch as where the nose tip sits between eyes and chin (0..1)
POSE = ("yaw", "pitch", "roll")
#: how far apart two poses are judged, per column (a twin's mouth from a frame this far off looks pasted); a
#: tilt is undone by the similarity transform that places the mouth, so roll counts much less than a turn or nod
POSE_SCALE = np.float32([4.0, 0.03, 10.0])
LOOK_SIZE = (16, 8)  # the mouth's look: a grey thumbnail this size (w, h) of the lips and what shows between
_EYES = (33, 263)
_BRIDGE = 168


def head_frame(points: np.ndarray) -> np.ndarray:
    """The 2x3 matrix taking image pixels into the head's own frame (see the module's docstring)."""
    left, right = points[_EYES[0]], points[_EYES[1]]
    axis = right - left
    unit = float(np.hypot(*axis)) or 1.0
    c, s = axis / unit
    rotate = np.float32([[c, s], [-s, c]]) / unit
    return np.hstack([rotate, (-rotate @ points[_BRIDGE])[:, None]]).astype(np.float32)


def mouth_shapes(points: np.ndarray) -> np.ndarray:
    """(n, 6) shape vectors (``SHAPE``) of (n, 468, 2) landmark sets."""
    out = np.zeros((len(points), len(SHAPE)), np.float32)
    for i, p in enumerate(points):
        m = head_frame(p)
        q = p[[13, 14, 61, 291, 152, 1, 0, 17]] @ m[:, :2].T + m[:, 2]
        inner_top, inner_bottom, left, right, chin, nose, outer_top, outer_bottom = q
        centre_y = (outer_top[1] + outer_bottom[1]) / 2
        out[i] = (max(inner_bottom[1] - inner_top[1], 0.0), right[0] - left[0], chin[1] - nose[1],
                  inner_top[1] - outer_top[1], outer_bottom[1] - inner_bottom[1],
                  centre_y - (left[1] + right[1]) / 2)
    return out


def head_poses(points: np.ndarray) -> np.ndarray:
    """(n, 3) head poses (``POSE``) of (n, 468, 2) landmark sets."""
    out = np.zeros((len(points), 3), np.float32)
    for i, p in enumerate(points):
        face = Face(p)
        m = head_frame(p)
        eyes_y = float(((p[list(_EYES)] @ m[:, :2].T + m[:, 2])[:, 1]).mean())
        nose_y, chin_y = (p[[1, 152]] @ m[:, :2].T + m[:, 2])[:, 1]
        out[i] = (face.yaw, (nose_y - eyes_y) / max(chin_y - eyes_y, 1e-3), face.roll)
    return out


def mouth_box(points: np.ndarray, margin: float = 0.25) -> tuple[int, int, int, int]:
    """(x, y, w, h) around the lips, ``margin`` of the mouth's width added on each side."""
    lips = points[[61, 291, 0, 17, 13, 14]]
    (x0, y0), (x1, y1) = lips.min(axis=0), lips.max(axis=0)
    pad = margin * (x1 - x0)
    return int(x0 - pad), int(y0 - pad), int(x1 - x0 + 2 * pad) + 1, int(y1 - y0 + 2 * pad) + 1


def mouth_look(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A small descriptor of how the mouth looks (teeth, tongue, the dark between the lips): a grey thumbnail
    of the lip box, zero mean and unit spread, so two frames of the same shape but other teeth differ."""
    x, y, w, h = mouth_box(points)
    x0, y0 = max(x, 0), max(y, 0)
    patch = image[y0:y + h, x0:x + w]
    if patch.size == 0:
        return np.zeros(LOOK_SIZE[0] * LOOK_SIZE[1], np.float32)
    grey = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, LOOK_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    return (small - small.mean()) / (small.std() + 8.0)


@dataclass(frozen=True)
class SpeakerRange:
    """This speaker's own mouth, measured over the recording: how closed, how open, how wide, how the jaw follows."""

    gap_closed: float  # lips together (b, p, m)
    gap_open: float  # the widest this speaker opens in speech
    width_narrow: float  # rounded (o, u)
    width_mid: float
    width_wide: float  # spread (i, e)
    jaw_at_closed: float  # the jaw, fitted as a line in the opening
    jaw_per_gap: float
    gap_rest: float  # the lips at rest, not speaking (a smile may part them)
    width_rest: float

    @staticmethod
    def measure(shapes: np.ndarray, speaking: np.ndarray, idle: np.ndarray | None = None) -> SpeakerRange:
        talk = shapes[speaking] if speaking.sum() >= 10 else shapes
        still = shapes[idle] if idle is not None and idle.sum() >= 5 else shapes[~speaking] if (~speaking).sum() >= 5 \
            else shapes
        gap, width = shapes[:, GAP], talk[:, WIDTH]
        closed, opened = float(np.percentile(gap, 3)), float(np.percentile(talk[:, GAP], 97))
        slope, intercept = np.polyfit(shapes[:, GAP], shapes[:, JAW], 1) if np.ptp(gap) > 1e-4 else (0.0, shapes[0, JAW])
        return SpeakerRange(closed, max(opened, closed + 1e-3), float(np.percentile(width, 5)),
                            float(np.median(width)), float(np.percentile(width, 95)),
                            float(intercept + slope * closed), float(slope), float(np.median(still[:, GAP])),
                            float(np.median(still[:, WIDTH])))

    @property
    def gap_span(self) -> float:
        return self.gap_open - self.gap_closed

    @property
    def width_span(self) -> float:
        return max(self.width_wide - self.width_narrow, 1e-3)

    def targets(self, mouth_open: np.ndarray, mouth_width: np.ndarray, closed: np.ndarray,
                resting: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) target gap, width and jaw for the timeline's opening (0..1) and width (-1..1) per frame;
        frames in ``closed`` (b, p, m) get this speaker's closed lips whatever the smoothing left, frames in
        ``resting`` (not speaking) the lips as this speaker rests them."""
        gap = self.gap_closed + np.clip(mouth_open, 0, 1) * self.gap_span
        gap = np.where(closed, self.gap_closed, gap)
        w = np.clip(mouth_width, -1, 1)
        width = np.where(w >= 0, self.width_mid + w * (self.width_wide - self.width_mid),
                         self.width_mid + w * (self.width_mid - self.width_narrow))
        if resting is not None:
            gap, width = np.where(resting, self.gap_rest, gap), np.where(resting, self.width_rest, width)
        jaw = self.jaw_at_closed + (gap - self.gap_closed) * self.jaw_per_gap
        return np.stack([gap, width, jaw], axis=1).astype(np.float32)

    def as_array(self) -> np.ndarray:
        return np.float32([self.gap_closed, self.gap_open, self.width_narrow, self.width_mid, self.width_wide,
                           self.jaw_at_closed, self.jaw_per_gap, self.gap_rest, self.width_rest])

    @staticmethod
    def from_array(values) -> SpeakerRange:
        return SpeakerRange(*(float(v) for v in values))
