"""The lower face as one triangle mesh over the face-mesh landmarks, moved by an :class:`Articulation`.

The mesh is a grid whose columns run across the face and whose rows follow the
face's own curves, top to bottom: the patch's top edge, the base of the nose,
the upper lip's outer and inner edges, the lower lip's inner and outer edges,
the fold under the lower lip, the jaw line, the neck and the patch's bottom
edge.  Rows meet where the curves do (the lips at the mouth's corners), so the
rest mesh has the shape of this face.  An articulation moves every vertex; the
border rows and columns never move, so the warp fades into the untouched
picture.  Each triangle of the moved mesh is mapped back to its rest triangle by
one affine map (a piecewise-affine warp): straight lines inside a triangle stay
straight, and no pixel is stretched more than its triangle is.

The band between the two inner lip rows is the mouth opening: the warp stretches
whatever was there (a closed mouth's seam, or the photo's own teeth) and
:mod:`anchor.avatar.innermouth` paints the inside of the mouth over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import face as fm
from .articulation import MAX_GAP, ROUND, SPREAD, TEETH_SHOW, Articulation
from .face import Face

Rect = tuple[int, int, int, int]

# rows of the grid
TOP, NOSE, UPPER_OUTER, UPPER_INNER, LOWER_INNER, LOWER_OUTER, FOLD, JAW, NECK, BOTTOM = range(10)
ROWS = 10
NECK_DEPTH = 0.45  # the neck row lies this many mouth widths under the jaw; the chin never passes it
SMILE_NEUTRAL = 0.02  # how far a neutral mouth's corners sit above its centre line, in mouth widths


def bump(u: np.ndarray) -> np.ndarray:
    """1 at u = 0 falling smoothly to 0 at |u| >= 1."""
    return np.clip(np.cos(np.clip(u, -1, 1) * np.pi / 2), 0, 1)


def curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a contour at each x, held flat beyond its ends."""
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1]).astype(np.float32)


def mouth_rect(face: Face, shape: tuple) -> Rect:
    """The part of the picture the mouth may change: nose base to under the chin, jaw side to jaw side."""
    p = face.points
    width = mouth_width(face)
    jaw = face.at(fm.JAW)
    return clip_rect(shape, jaw[:, 0].min() - 0.12 * width, p[2, 1] - 0.06 * width,
                     jaw[:, 0].max() + 0.12 * width, jaw[:, 1].max() + (NECK_DEPTH + 0.2) * width)


def clip_rect(shape: tuple, x0: float, y0: float, x1: float, y1: float) -> Rect:
    """(x, y, w, h) of the box from (x0, y0) to (x1, y1), in whole pixels, inside a picture of ``shape``."""
    h, w = shape[:2]
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(np.ceil(x1)), w), min(int(np.ceil(y1)), h)
    return x0, y0, x1 - x0, y1 - y0


def mouth_width(face: Face) -> float:
    return float(np.linalg.norm(face.points[291] - face.points[61]))


@dataclass(frozen=True, eq=False)
class MouthMesh:
    """The rest grid of one face in its mouth patch (patch coordinates), and what moves it."""

    rect: Rect
    rest: np.ndarray  # (ROWS, columns, 2) float32 vertex positions at rest
    width: float  # mouth width, pixels
    centre_x: float
    inner_half: float  # half the inner lips' width
    outer_half: float
    jaw_half: float
    smile: float  # how far the corners sit above a neutral mouth's, in mouth widths (0: not smiling)
    corners: np.ndarray  # (2, 2) the outer corners of the mouth

    @classmethod
    def of(cls, face: Face, rect: Rect) -> MouthMesh:
        x0, y0, w, h = rect
        p = face.points - np.float32([x0, y0])
        width = mouth_width(face)
        cx = float(p[13, 0])
        inner = (float(p[78, 0]), float(p[308, 0]))
        outer = (float(p[61, 0]), float(p[291, 0]))
        jaw = p[list(fm.JAW)]
        xs = np.concatenate([[0.0, w - 1.0], np.linspace(jaw[:, 0].min() - 0.06 * width, jaw[:, 0].max() + 0.06 * width, 13),
                             inner, outer, [cx], np.linspace(inner[0], inner[1], 7)[1:-1]])
        xs = np.unique(np.clip(np.round(xs, 2), 0, w - 1))
        keep = np.concatenate([[True], np.diff(xs) > 1.5])
        xs = xs[keep].astype(np.float32)
        rows = np.zeros((ROWS, len(xs)), np.float32)
        rows[TOP] = 0
        rows[NOSE] = p[2, 1]
        rows[UPPER_OUTER] = curve(p[list(fm.UPPER_OUTER_LIP)], xs)
        rows[UPPER_INNER] = curve(p[list(fm.UPPER_INNER_LIP)], xs)
        rows[LOWER_INNER] = curve(p[list(fm.LOWER_INNER_LIP)], xs)
        rows[LOWER_OUTER] = curve(p[list(fm.LOWER_OUTER_LIP)], xs)
        rows[JAW] = curve(jaw, xs)
        rows[FOLD] = rows[LOWER_OUTER] + 0.45 * (rows[JAW] - rows[LOWER_OUTER])
        rows[NECK] = rows[JAW] + NECK_DEPTH * width
        rows[BOTTOM] = h - 1
        rows = np.clip(rows, 0, h - 1)
        rows = np.maximum.accumulate(rows, axis=0)
        rest = np.stack([np.broadcast_to(xs, rows.shape), rows], axis=-1).astype(np.float32)
        centre_line = float((p[13, 1] + p[14, 1]) / 2)
        rise = (centre_line - float((p[61, 1] + p[291, 1]) / 2)) / width
        return cls(rect, rest, width, cx, max((inner[1] - inner[0]) / 2, 1.0), max((outer[1] - outer[0]) / 2, 1.0),
                   max(float(jaw[:, 0].max() - jaw[:, 0].min()) / 2, width / 2), max(rise - SMILE_NEUTRAL, 0.0),
                   p[[61, 291]].astype(np.float32))

    # -- moving it -----------------------------------------------------------

    def opening_profile(self, xs: np.ndarray, pucker: float = 0.0) -> np.ndarray:
        """0..1 across the mouth: how much of the centre's opening a column gets (rounder when puckered)."""
        u = (xs - self.centre_x) / (self.inner_half * (1.0 - 0.3 * pucker))
        return bump(u) ** (0.7 + 0.5 * pucker)

    def teeth_edge(self, xs: np.ndarray) -> np.ndarray:
        """Where the upper incisors end, fixed to the skull: under the relaxed upper lip, rising to the corners."""
        u = (xs - self.centre_x) / self.inner_half
        upper = np.interp(xs, self.rest[UPPER_INNER, :, 0], self.rest[UPPER_INNER, :, 1])
        return upper + TEETH_SHOW * self.width * np.sqrt(np.clip(1 - (0.92 * u) ** 2, 0, 1))

    def place(self, a: Articulation) -> np.ndarray:
        """The mesh's vertices for articulation ``a`` (same shape as ``rest``)."""
        rest = self.rest
        xs, rows = rest[0, :, 0], rest[..., 1]
        width = self.width
        jaw_weight = bump((xs - self.centre_x) / self.jaw_half) ** 1.5
        prof = self.opening_profile(xs, a.pucker)
        jaw = a.jaw * width
        corner_drop = 0.45 * jaw * jaw_weight
        dy = np.zeros_like(rows)
        dy[UPPER_INNER] = -a.upper_lift * width * prof + corner_drop * (1 - prof)
        dy[LOWER_INNER] = (0.95 * jaw + a.lower_drop * width) * prof + corner_drop * (1 - prof)
        gap0 = rows[LOWER_INNER] - rows[UPPER_INNER]  # the photo's own opening
        if a.tuck:  # f: the lower lip rises to meet the upper teeth, which overlap it a little
            tucked = self.teeth_edge(xs) - 0.015 * width * prof - rows[LOWER_INNER]
            dy[LOWER_INNER] = a.tuck * np.minimum(tucked, dy[LOWER_INNER] + gap0) + (1 - a.tuck) * dy[LOWER_INNER]
        # lips pressed (b/p/m) close the photo's own opening; while reading, lips it shows parted (a smile
        # showing the teeth) come most of the way together between syllables, and part again at the end
        closing = max(a.press, a.together * (1 - a.tuck))
        dy[UPPER_INNER] += 0.5 * gap0 * closing
        dy[LOWER_INNER] -= 0.5 * gap0 * closing
        spread = a.spread / SPREAD
        opened = min(a.opening / MAX_GAP, 1.0)
        thin_upper = 1 - 0.25 * spread - 0.12 * opened + 0.15 * a.pucker - 0.3 * a.press
        thin_lower = 1 - 0.2 * spread - 0.1 * opened + 0.2 * a.pucker - 0.3 * a.press - 0.35 * a.tuck
        dy[UPPER_OUTER] = dy[UPPER_INNER] - (rows[UPPER_INNER] - rows[UPPER_OUTER]) * (thin_upper - 1)
        dy[LOWER_OUTER] = dy[LOWER_INNER] + (rows[LOWER_OUTER] - rows[LOWER_INNER]) * (thin_lower - 1)
        dy[FOLD] = 0.97 * jaw * jaw_weight - 0.015 * width * a.press
        dy[JAW] = jaw * jaw_weight
        dy[NECK] = 0.25 * jaw * jaw_weight
        # corners: out for i/e, in for o/u, in and down as a smile relaxes
        smile = self.smile * a.relax
        corner_dx = a.spread * width - ROUND * a.pucker * width - 0.35 * smile * width
        u = (xs - self.centre_x) / self.outer_half
        reach = np.where(np.abs(u) <= 1, np.abs(u), np.exp(-((np.abs(u) - 1) / 0.6) ** 2))
        by_row = np.float32([0, 0.3, 1, 1, 1, 1, 0.5, 0.2, 0, 0])[:, None]
        dx = corner_dx * np.sign(u) * reach * by_row
        if smile > 0:
            dy += self._relaxed_smile(rest, 0.9 * smile * width)
        moved = rest + np.stack([dx, dy], axis=-1)
        moved[[TOP, BOTTOM]] = rest[[TOP, BOTTOM]]
        moved[:, [0, -1]] = rest[:, [0, -1]]
        # the chin stops short of the neck row and the rows keep their order, so no triangle folds over
        moved[JAW, :, 1] = np.minimum(moved[JAW, :, 1], moved[NECK, :, 1] - 2.0)
        moved[..., 1] = np.maximum.accumulate(moved[..., 1] + np.arange(ROWS)[:, None] * 1e-3, axis=0)
        moved[..., 0] = np.maximum.accumulate(moved[..., 0] + np.arange(moved.shape[1])[None, :] * 1e-3, axis=1)
        return moved

    def _relaxed_smile(self, rest: np.ndarray, drop: float) -> np.ndarray:
        """Downward motion around the mouth's corners (and a little in the cheeks) as a smile relaxes."""
        out = np.zeros(rest.shape[:2], np.float32)
        for corner in self.corners:
            d = (rest - corner) / np.float32([0.3 * self.width, 0.4 * self.width])
            out += drop * np.exp(-(d ** 2).sum(axis=-1))
        out[[TOP, NOSE]] *= np.float32([0, 0.4])[:, None]
        return out

    # -- the warp ------------------------------------------------------------

    def triangles(self) -> np.ndarray:
        """(n, 3) vertex indices into the flattened grid, two triangles per cell."""
        n_rows, n_cols = self.rest.shape[:2]
        r, c = np.meshgrid(np.arange(n_rows - 1), np.arange(n_cols - 1), indexing="ij")
        a, b, d, e = r * n_cols + c, r * n_cols + c + 1, (r + 1) * n_cols + c, (r + 1) * n_cols + c + 1
        return np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3), np.stack([b, e, d], -1).reshape(-1, 3)])

    def source_maps(self, moved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every pixel of the patch, where in the rest picture (patch coordinates) it comes from."""
        w, h = self.rect[2:]
        tris = self.triangles()
        dst, src = moved.reshape(-1, 2)[tris], self.rest.reshape(-1, 2)[tris]
        area = (dst[:, 1, 0] - dst[:, 0, 0]) * (dst[:, 2, 1] - dst[:, 0, 1]) \
            - (dst[:, 2, 0] - dst[:, 0, 0]) * (dst[:, 1, 1] - dst[:, 0, 1])
        moving = np.abs(dst - src).max(axis=(1, 2)) > 0.01
        live = (np.abs(area) > 1e-3) & moving
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        if not live.any():
            return xs, ys
        # one affine map per moved triangle, and a last one (index -1) for the pixels that do not move
        coef = np.concatenate([_affine_back(dst[live], src[live], area[live]).reshape(-1, 6),
                               np.float32([[1, 0, 0, 1, 0, 0]])])
        index = np.full((h, w), -1, np.int32)
        for i, tri in enumerate(np.round(dst[live] * 16).astype(np.int32)):
            cv2.fillConvexPoly(index, tri, i, lineType=cv2.LINE_8, shift=4)
        # pixels that fall between two triangles along a shared edge (or inside lips pressed shut) take a
        # neighbour's map; next to pixels that do not move, a neighbour's map is all but the identity
        grown = cv2.dilate(index.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int32)
        index = np.where(index >= 0, index, grown)
        k = np.take(coef, index, axis=0)  # (h, w, 6): [a, c, b, d, ...] in coef's (3, 2) order, flattened
        return xs * k[..., 0] + ys * k[..., 2] + k[..., 4], xs * k[..., 1] + ys * k[..., 3] + k[..., 5]

    def inner_corners(self, moved: np.ndarray) -> tuple[float, float]:
        """x of the inner corners of the lips in the moved mesh."""
        xs = self.rest[0, :, 0]
        left = int(np.argmin(np.abs(xs - (self.centre_x - self.inner_half * 1.0))))
        right = int(np.argmin(np.abs(xs - (self.centre_x + self.inner_half * 1.0))))
        return float(moved[UPPER_INNER, left, 0]), float(moved[UPPER_INNER, right, 0])

    def row_at(self, moved: np.ndarray, row: int, xs: np.ndarray) -> np.ndarray:
        """y of a moved row at each column x (rows stay x-monotonic, so this is an interpolation)."""
        return np.interp(xs, moved[row, :, 0], moved[row, :, 1]).astype(np.float32)


def _affine_back(dst: np.ndarray, src: np.ndarray, area: np.ndarray) -> np.ndarray:
    """(n, 3, 2) coefficients c with [x, y, 1] @ c = the rest point, for each moved triangle (Cramer's rule)."""
    x, y = dst[..., 0].astype(np.float64), dst[..., 1].astype(np.float64)
    inverse = np.empty((len(dst), 3, 3))
    inverse[:, 0] = np.stack([y[:, 1] - y[:, 2], y[:, 2] - y[:, 0], y[:, 0] - y[:, 1]], -1)
    inverse[:, 1] = np.stack([x[:, 2] - x[:, 1], x[:, 0] - x[:, 2], x[:, 1] - x[:, 0]], -1)
    inverse[:, 2] = np.stack([x[:, 1] * y[:, 2] - x[:, 2] * y[:, 1], x[:, 2] * y[:, 0] - x[:, 0] * y[:, 2],
                              x[:, 0] * y[:, 1] - x[:, 1] * y[:, 0]], -1)
    inverse /= area.astype(np.float64)[:, None, None]
    return np.einsum("nij,njk->nik", inverse, src.astype(np.float64)).astype(np.float32)
