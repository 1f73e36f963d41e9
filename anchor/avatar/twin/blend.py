"""A recorded lower face laid onto another frame of the same recording: aligned, stretched toward its target,
feathered in, its colour matched over time.

The lower face (from under the nose past the chin and jaw line) of the chosen frame is
moved onto the background frame by the similarity transform that carries its upper face
(eye corners, brows, nose bridge) onto the background's, so the head's own motion is
the background's.  The mask covers both frames' lower faces, the chin reaching a little
into the neck, so an open jaw in either never shows twice; it is pulled in from the
face's edge and feathered, so the seam lies on skin.  What still differs at the seam
(light changing over a recording) is measured in a band along the mask's edge and taken
off the pasted face, smoothed over frames, so the correction never flickers.  No
Poisson blending: solved per frame it flickers.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..face import JAW, UPPER_FACE, Face

#: the mask's top edge under the nose, from the left jaw over the nostrils to the right jaw
_UNDER_NOSE = (132, 98, 2, 327, 361)
_CHIN = (176, 148, 152, 377, 400)
FEATHER = 0.035  # of the face height: how soft the seam is (and how far it is pulled inside the face's edge)
CHIN_REACH = 0.08  # of the face height: how far the mask reaches below the chin
COLOUR_RATE = 0.15  # per frame: how fast the seam's colour correction follows the light
_STABLE = [i for i in UPPER_FACE if i not in (1, 4, 5)]  # the nose tip moves a little with the upper lip


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 rotation, uniform scale and shift best carrying ``source`` points onto ``target`` (least squares)."""
    ms, mt = source.mean(axis=0), target.mean(axis=0)
    s, t = source - ms, target - mt
    a = float((s * t).sum())
    b = float((s[:, 0] * t[:, 1] - s[:, 1] * t[:, 0]).sum())
    norm = float((s * s).sum()) or 1.0
    c, d = a / norm, b / norm
    rotate = np.float32([[c, -d], [d, c]])
    return np.hstack([rotate, (mt - rotate @ ms)[:, None]]).astype(np.float32)


def lower_face_polygon(face: Face) -> np.ndarray:
    """The lower face as a closed polygon, the chin reaching ``CHIN_REACH`` into the neck."""
    down = (face.points[152] - face.points[10]) / max(face.height, 1.0)
    jaw = face.at(reversed(JAW)).copy()  # right jaw to left
    for k, i in enumerate(reversed(JAW)):
        if i in _CHIN:
            jaw[k] += down * CHIN_REACH * face.height
    return np.vstack([face.at(_UNDER_NOSE), jaw]).astype(np.float32)


class LowerFaceBlender:
    """Pastes chosen lower faces onto background frames, one clip's frames in order (the colour state is per clip)."""

    def __init__(self, feather: float = FEATHER, colour_rate: float = COLOUR_RATE):
        self.feather = feather
        self.colour_rate = colour_rate
        self._offset = None
        self._last = None

    def blend(self, under: np.ndarray, under_face: Face, crop: np.ndarray, crop_face: Face, stretch: float = 0.0,
              frame: int | None = None) -> tuple[int, int, np.ndarray] | None:
        """The paste (x, y, pixels) over ``under`` (an RGB picture, ``under_face`` in its pixels) showing the
        lower face of ``crop`` (``crop_face`` in its pixels); ``stretch`` opens (+) or closes (-) the mouth
        further, in head units (eye-corner distances), where no recorded mouth matched closely enough."""
        move = similarity(crop_face.at(_STABLE), under_face.at(_STABLE))
        placed = crop_face.transformed(move)
        polygon = np.vstack([lower_face_polygon(placed), lower_face_polygon(under_face)])
        h, w = under.shape[:2]
        pad = int(self.feather * under_face.height * 2) + 2
        x0, y0 = np.floor(polygon.min(axis=0)).astype(int) - pad
        x1, y1 = np.ceil(polygon.max(axis=0)).astype(int) + pad
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return None
        local = move.copy()
        local[:, 2] -= (x0, y0)
        size = (x1 - x0, y1 - y0)
        moved = cv2.warpAffine(crop, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        eye_px = float(np.linalg.norm(under_face.points[263] - under_face.points[33]))
        if abs(stretch) * eye_px >= 0.5:
            moved = _stretch(moved, placed.scaled(1.0, -x0, -y0), stretch * eye_px)
        mask = self._mask(polygon - (x0, y0), placed, under_face, size, x0, y0)
        below = under[y0:y1, x0:x1]
        pasted = moved.astype(np.float32) - self._colour(moved, below, mask, frame)
        weight = mask[..., None]
        out = below.astype(np.float32) + weight * (pasted - below)
        return x0, y0, np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def _mask(self, polygon, placed: Face, under_face: Face, size, x0, y0) -> np.ndarray:
        w, h = size
        mask = np.zeros((h, w), np.uint8)
        n = len(polygon) // 2
        for part in (polygon[:n], polygon[n:]):
            cv2.fillPoly(mask, [np.round(part * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
        soft = max(self.feather * under_face.height, 1.0)
        inset = int(round(soft))
        if inset > 0:
            mask = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * inset + 1, 2 * inset + 1)))
        return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), soft * 0.6)

    def _colour(self, moved: np.ndarray, below: np.ndarray, mask: np.ndarray, frame: int | None) -> np.ndarray:
        """The pasted face's colour offset from the frame under it along the seam, smoothed over frames."""
        band = (mask > 0.15) & (mask < 0.85)
        if band.sum() < 8:
            return np.zeros(3, np.float32) if self._offset is None else self._offset
        now = (moved[band].astype(np.float32) - below[band].astype(np.float32)).mean(axis=0)
        if self._offset is None or frame is None or self._last is None or frame != self._last + 1:
            self._offset = now
        else:
            self._offset = self._offset + self.colour_rate * (now - self._offset)
        self._last = frame
        return self._offset


def _stretch(image: np.ndarray, face: Face, pixels: float) -> np.ndarray:
    """The lower lip and jaw moved down by ``pixels`` (up when negative), easing out above the lips and below the
    chin and toward the cheeks, so the nearest recorded mouth is opened or closed toward the shape asked for."""
    h, w = image.shape[:2]
    mouth = face.points[[13, 14]].mean(axis=0)
    chin = face.points[152]
    half = max(float(np.linalg.norm(face.points[291] - face.points[61])), 4.0)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    lip_h = max(float(np.linalg.norm(face.points[17] - face.points[0])) / 2, 2.0)
    start = mouth[1] - 0.5 * lip_h
    down = np.clip((ys - start) / lip_h, 0, 1)
    fade = np.clip(1 - (ys - chin[1]) / max(0.4 * (chin[1] - mouth[1]), 2.0), 0, 1)
    across = np.exp(-(((xs - mouth[0]) / (1.1 * half)) ** 2))
    weight = down * np.where(ys > chin[1], fade, 1.0) * across
    weight = weight * weight * (3 - 2 * weight)
    return cv2.remap(image, xs, ys - pixels * weight, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
