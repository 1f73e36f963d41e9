"""The inside of an opening mouth, painted to match the photo it sits in.

Back to front: the cavity (dark, lightest at the centre and darker toward the
corners and under the lips), the tongue (low in the mouth when it opens wide;
its tip raised behind the upper teeth for d/t/n/l), the lower teeth (they ride
with the jaw and mostly hide behind the lower lip) and the upper teeth (fixed to
the skull: the upper lip uncovers them, they never move with the jaw; over the
lower lip when it tucks under them for f).

Colours come from the photo (:func:`mouth_style`): the upper teeth are the
person's own where the photo shows them (cut from the picture and pinned where
they are), otherwise drawn in the colour of the eye whites; the cavity and the
tongue are darkened and lightened versions of the lips; the painted layer is
blurred and grained like the photo around it, so it neither looks sharper nor
cleaner than the face.  Regions are spans between two curves per column, so
their edges are anti-aliased exactly, with no supersampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import face as fm
from .face import Face
from .mouthmesh import (
    LOWER_INNER,
    LOWER_OUTER,
    UPPER_INNER,
    UPPER_OUTER,
    MouthMesh,
    bump,
)

IVORY = np.float32([238, 231, 216]) / 238  # drawn teeth, before the photo's white balance and exposure
#: where the gaps between the upper teeth fall, from the centre, in mouth widths (incisors, laterals, canines)
TOOTH_GAPS = (0.0, 0.105, 0.19, 0.265)


@dataclass(frozen=True, eq=False)
class MouthStyle:
    """What the inside of this photo's mouth looks like."""

    teeth: np.ndarray  # RGB float32, the upper teeth in full light
    lip: np.ndarray  # RGB, the lips' own colour
    cavity: np.ndarray  # RGB, the darkest of the mouth
    tongue: np.ndarray  # RGB
    blur: float  # Gaussian sigma (pixels) matching the photo's sharpness around the mouth
    grain: np.ndarray  # the patch's own noise field (HxW float32, std of the photo's noise)
    own_teeth: np.ndarray | None = None  # HxWx3 float32: the photo's teeth, pinned where they are
    own_mask: np.ndarray | None = None  # HxW 0..1: where own_teeth holds teeth
    own_edge: np.ndarray | None = None  # per column: the lowest row the photo's own teeth reach

    @property
    def shows_own_teeth(self) -> bool:
        return self.own_mask is not None


def span(ys: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """0..1 coverage of each pixel by the band between ``top`` and ``bottom`` (per column), anti-aliased."""
    return np.clip(ys - top[None, :] + 0.5, 0, 1) * np.clip(bottom[None, :] - ys + 0.5, 0, 1)


def mouth_style(picture: np.ndarray, face: Face, mesh: MouthMesh) -> MouthStyle:
    """The colours, sharpness and grain of ``picture`` (RGBA, the framed presenter) around its mouth."""
    x0, y0, w, h = mesh.rect
    patch = picture[y0:y0 + h, x0:x0 + w, :3].astype(np.float32)
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)[:, None]
    rest = mesh.rest
    row = {r: np.interp(xs, rest[r, :, 0], rest[r, :, 1]) for r in (UPPER_OUTER, UPPER_INNER, LOWER_INNER, LOWER_OUTER)}
    across = np.abs(xs - mesh.centre_x) / mesh.inner_half
    middle = (across < 0.7)[None, :]
    lips = ((span(ys, row[UPPER_OUTER] + 1, row[UPPER_INNER] - 1) > 0.99)
            | (span(ys, row[LOWER_INNER] + 1, row[LOWER_OUTER] - 1) > 0.99)) & middle
    lip = np.median(patch[lips], axis=0) if lips.sum() > 10 else np.float32([170, 95, 95])
    sclera = _eye_whites(picture, face)
    balance = np.clip(sclera / max(float(sclera.mean()), 1.0), 0.95, 1.05)
    # teeth in the mouth's light read a little brighter than the eye whites, and brighter than the lips
    luma = float(np.clip(max(1.15 * sclera.mean(), 1.15 * lip.mean()), 200, 240))
    teeth = IVORY * balance * luma
    own, own_mask, own_edge = None, None, None
    gap = span(ys, row[UPPER_INNER], row[LOWER_INNER]) * (across < 0.8)[None, :]
    gap_px = float(np.interp(mesh.centre_x, xs, row[LOWER_INNER] - row[UPPER_INNER]))
    if gap_px > max(2.0, 0.03 * mesh.width) and (gap > 0.99).sum() > 10:
        inside = patch[gap > 0.99]
        brightness = inside.mean(axis=1)
        if np.median(brightness) > 0.8 * float(lip.mean()):  # teeth, not a dark open mouth
            bright = inside[brightness >= np.median(brightness)]
            teeth = np.percentile(bright, 60, axis=0).astype(np.float32)
            own_mask = (cv2.GaussianBlur(gap.astype(np.float32), (0, 0), 0.7) * (gap > 0)).astype(np.float32)
            own = patch
            own_edge = np.where(across < 0.8, row[LOWER_INNER], 0).astype(np.float32)
    grey = cv2.cvtColor(picture[y0:y0 + h, x0:x0 + w, :3], cv2.COLOR_RGB2GRAY)
    rng = np.random.default_rng(int(mesh.width * 1000) % 2 ** 31)
    grain = rng.standard_normal((h, w)).astype(np.float32) * _noise(grey, lips)
    return MouthStyle(teeth.astype(np.float32), lip.astype(np.float32), (lip * np.float32([0.30, 0.17, 0.19])).astype(np.float32),
                      np.clip(lip * np.float32([0.8, 0.5, 0.52]), 0, 255).astype(np.float32),
                      _sharpness(grey), grain, own, own_mask, own_edge)


def _eye_whites(picture: np.ndarray, face: Face) -> np.ndarray:
    """Mean colour of the whites of the eyes (the photo's white point near the face); grey if none show."""
    found = []
    for upper, lower in ((fm.RIGHT_EYE_UPPER, fm.RIGHT_EYE_LOWER), (fm.LEFT_EYE_UPPER, fm.LEFT_EYE_LOWER)):
        outline = np.vstack([face.at(upper), face.at(lower)[::-1]]).astype(np.int32)
        x, y, w, h = cv2.boundingRect(outline)
        if w < 4 or h < 2:
            continue
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [outline - np.int32([x, y])], 1)
        eye = picture[y:y + h, x:x + w, :3]
        if eye.shape[:2] != mask.shape:
            continue
        hsv = cv2.cvtColor(eye, cv2.COLOR_RGB2HSV)
        pixels = eye[mask > 0].astype(np.float32)
        value, saturation = hsv[..., 2][mask > 0], hsv[..., 1][mask > 0]
        white = (saturation < 90) & (value >= np.percentile(value, 60))
        if white.sum() >= 4:
            found.append(pixels[white])
    if not found:
        return np.float32([200, 200, 200])
    return np.concatenate(found).mean(axis=0).astype(np.float32)


def _sharpness(grey: np.ndarray) -> float:
    """The photo's blur as a Gaussian sigma, from its strongest edges: a step of contrast c blurred by
    sigma has a steepest slope of c / (sigma * sqrt(2 pi))."""
    g = grey.astype(np.float32)
    slope = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)) / 8
    kernel = np.ones((7, 7), np.uint8)
    contrast = cv2.dilate(g, kernel) - cv2.erode(g, kernel)
    strong = slope >= np.percentile(slope, 98)
    if strong.sum() < 5:
        return 1.0
    sigma = contrast[strong] / (slope[strong] * np.sqrt(2 * np.pi) + 1e-6)
    return float(np.clip(np.median(sigma) - 0.3, 0.4, 3.0))


def _noise(grey: np.ndarray, lips: np.ndarray) -> float:
    """Standard deviation of the photo's fine grain, from the lips and skin around them."""
    g = grey.astype(np.float32)
    residual = g - cv2.medianBlur(grey, 3).astype(np.float32)
    sample = residual[lips] if lips.sum() > 50 else residual
    return float(np.clip(1.2 * np.median(np.abs(sample)) * 1.4826, 0.0, 8.0))


def paint_inner_mouth(patch: np.ndarray, mesh: MouthMesh, moved: np.ndarray, a, style: MouthStyle) -> None:
    """Paint the inside of the mouth into ``patch`` (the warped patch, HxWx4 uint8) in place; what is painted
    becomes opaque (the mouth is part of the presenter, whatever the matte said)."""
    h, w = patch.shape[:2]
    xs = np.arange(w, dtype=np.float32)
    up, lo = mesh.row_at(moved, UPPER_INNER, xs), mesh.row_at(moved, LOWER_INNER, xs)
    edge = mesh.teeth_edge(xs)
    if style.own_edge is not None:
        edge = np.maximum(edge, style.own_edge)
    opening = lo - up
    rest_gap = np.interp(xs, mesh.rest[LOWER_INNER, :, 0], mesh.rest[LOWER_INNER, :, 1]) \
        - np.interp(xs, mesh.rest[UPPER_INNER, :, 0], mesh.rest[UPPER_INNER, :, 1])
    closed_over = (opening <= 0.3) & (rest_gap > 0.5)  # lips closed over the photo's own opening: draw their seam
    show = (opening > 0.3) | ((edge - up > 0.3) & (a.tuck > 0)) | closed_over
    if not show.any():
        return
    c0, c1 = int(np.flatnonzero(show)[0]), int(np.flatnonzero(show)[-1]) + 1
    margin = int(np.ceil(2 * style.blur)) + 2
    c0, c1 = max(c0 - margin, 0), min(c1 + margin, w)
    r0 = max(int(np.floor(min(up[c0:c1].min(), edge[c0:c1].min()))) - margin, 0)
    r1 = min(int(np.ceil(max(lo[c0:c1].max(), edge[c0:c1].max()))) + margin + 1, h)
    cols = xs[c0:c1]
    up, lo, edge, opening = up[c0:c1], lo[c0:c1], edge[c0:c1], opening[c0:c1]
    ys = np.arange(r0, r1, dtype=np.float32)[:, None]
    width = mesh.width
    across = (cols - mesh.centre_x) / mesh.inner_half
    centre = bump(across)

    cavity = span(ys, up, lo) * (opening > 0.3)[None, :]
    depth = np.clip((ys - up[None, :]) / np.maximum(opening, 1.0)[None, :], 0, 1)
    near_lip = np.clip(np.minimum(ys - up[None, :], lo[None, :] - ys) / (0.03 * width), 0, 1)
    shade = (0.35 + 0.65 * centre[None, :] ** 0.8) * (0.85 + 0.15 * depth) * (0.6 + 0.4 * near_lip)
    paint = style.cavity[None, None, :] * shade[..., None]

    # the tongue: its body low in a wide-open mouth, its tip behind the upper teeth for d/t/n/l
    body_top = lo - np.maximum(0.35 * opening - 0.03 * width, 0) * bump(across / 0.7)
    tip_bottom = edge + a.tongue_tip * 0.09 * width * bump(across / 0.5)
    tongue = np.maximum(span(ys, body_top, lo + 2), span(ys, edge - 0.02 * width, tip_bottom) * (tip_bottom > edge + 0.5))
    # in the mouth's shadow: darker at the back (its top edge) and toward the corners
    tongue_light = (0.55 + 0.45 * centre[None, :]) * (0.6 + 0.4 * np.clip((ys - body_top[None, :]) / (0.08 * width), 0, 1))
    paint = _layer(paint, style.tongue[None, None, :] * tongue_light[..., None], tongue)

    # lower teeth ride with the jaw just inside the lower lip
    lower_top = lo - 0.025 * width * bump(across / 0.5) * np.clip(opening / (0.15 * width) - 0.6, 0, 1)
    lower = span(ys, lower_top, lo + 1) * (lower_top < lo - 0.5)[None, :]
    paint = _layer(paint, (style.teeth * 0.6)[None, None, :] * (0.6 + 0.4 * centre[None, :, None]), 0.8 * lower)

    # upper teeth, fixed to the skull; in front of the lower lip when it tucks under them
    teeth = span(ys, up - 1, edge) * (np.abs(across) < 0.92)[None, :]
    under_lip = np.clip((ys - up[None, :]) / (0.03 * width), 0, 1)  # the upper lip shades their top
    light = (1 - 0.5 * across ** 2)[None, :] * (0.85 + 0.15 * under_lip)
    gaps = np.ones_like(cols)
    line = max(0.7, 0.008 * width)
    for gap in TOOTH_GAPS:
        for side in ((1,) if gap == 0 else (-1, 1)):
            gaps -= 0.22 * np.exp(-((cols - mesh.centre_x - side * gap * width) / line) ** 2)
    # the biting edge is thinner and lets the dark behind show through a little
    translucent = 1 - 0.15 * np.clip((ys - (edge - 0.02 * width)[None, :]) / (0.02 * width), 0, 1)
    drawn = style.teeth[None, None, :] * (light * gaps[None, :] * translucent)[..., None]
    if style.shows_own_teeth:
        own = style.own_mask[r0:r1, c0:c1, None]
        drawn = style.own_teeth[r0:r1, c0:c1] * own + drawn * (1 - own)
    # when the lower lip tucks, the teeth overlap its top edge, no more
    visible = teeth * (cavity + a.tuck * (1 - cavity) * span(ys, up - 1, lo + 0.02 * width))
    paint = _layer(paint, drawn, visible)

    left, right = mesh.inner_corners(moved)
    between = np.clip(np.minimum(cols - left, right - cols) / 2, 0, 1)  # inside the moved corners
    seam = np.exp(-((ys - (up + lo)[None, :] / 2) / 0.7) ** 2) * (closed_over[c0:c1] * between)[None, :]
    paint = _layer(paint, (style.lip * 0.55)[None, None, :], seam)
    mask = np.maximum(np.maximum(cavity, visible), seam)
    if style.blur > 0.5:
        sigma = float(np.sqrt(style.blur ** 2 - 0.25))
        paint = cv2.GaussianBlur(paint, (0, 0), sigma)
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    paint = paint + style.grain[r0:r1, c0:c1, None]
    region = patch[r0:r1, c0:c1]
    cover = mask[..., None]
    region[..., :3] = np.clip(region[..., :3] * (1 - cover) + paint * cover + 0.5, 0, 255).astype(np.uint8)
    region[..., 3] = np.maximum(region[..., 3], (mask * 255).astype(np.uint8))


def _layer(under: np.ndarray, colour: np.ndarray, cover: np.ndarray) -> np.ndarray:
    return under * (1 - cover[..., None]) + colour * cover[..., None]
