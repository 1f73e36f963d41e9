"""The cut-out rig: a presenter picture (RGBA) over the studio, face parts pasted, moving as one piece.

Used by the photo anchor and the cartoon mascot.  Per frame the pose's head
motion (sideways sway, nod, tilt; a mascot's hop) becomes one similarity
transform of the whole presenter (:func:`head_transform`), so nothing is warped,
only moved: a head that tilts takes the shoulders with it, the way a seated
presenter sways.  The moved presenter over the backdrop is shown again until
the motion would carry it more than half a pixel away, and the face parts of
the frame (mouth, eyes) are moved the same way and pasted on top, so most frames
cost a few small blends; a frame that moved costs one warp of the presenter's box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np

from .lipsync import FaceParts, Paste, Pose, Rect

Motion = Callable[[Pose], np.ndarray]  # pose -> 2x3 affine matrix in anchor-area pixels
STEP = 0.5  # the presenter is re-rendered when it would land this many pixels off: finer is invisible


def head_transform(pivot: tuple[float, float], head: tuple[float, float], face_height: float,
                   lift: float = 0.0) -> Motion:
    """Pose -> similarity transform about ``pivot`` (where the presenter is anchored, below the frame's
    edge or at the chest) that puts ``head`` where the pose's sway, nod and roll say.

    A nod lowers the head by scaling about the pivot (the shoulders dip less than the head, as in a
    real nod seen from the front); ``lift`` pixels of a mascot's hop move everything up.
    """
    px, py = pivot
    hx, hy = head
    reach = max(py - hy, 1.0)

    def motion(pose: Pose) -> np.ndarray:
        dx, dy = pose.sway * face_height, pose.nod * face_height
        matrix = cv2.getRotationMatrix2D((px, py), -pose.roll, 1.0 - dy / reach)
        moved_x = matrix[0, 0] * hx + matrix[0, 1] * hy + matrix[0, 2]
        matrix[0, 2] += hx + dx - moved_x
        matrix[1, 2] -= pose.bounce * lift
        return matrix.astype(np.float32)

    return motion


class CutoutRig:
    """:class:`~anchor.avatar.lipsync.Rig` for a cut-out presenter: ``picture`` (RGBA, the anchor area's size)
    over ``backdrop``, ``parts`` pasted per pose, ``motion`` moving the whole presenter."""

    def __init__(self, picture: np.ndarray, backdrop: np.ndarray, parts: FaceParts,
                 motion: Motion | None = None, margin: int = 0):
        self.backdrop = np.ascontiguousarray(backdrop)
        self.parts = parts
        self.motion = motion
        h, w = backdrop.shape[:2]
        rest = picture.copy()
        for x, y, pixels in parts.patches(Pose()):
            _put(rest, x, y, pixels)
        self.base = over(rest, self.backdrop)
        if motion is None:
            self.region = None
            self._rects = list(parts.rects())
            return
        # the presenter's box, grown by how far the motion can carry it
        ys, xs = np.nonzero(picture[..., 3] > 0)
        x0, y0 = max(int(xs.min()) - margin, 0), max(int(ys.min()) - margin, 0)
        x1 = min(int(xs.max()) + margin + 1, w)
        self.region = (x0, y0, x1 - x0, h - y0)
        self._rest = np.ascontiguousarray(rest[y0:h, x0:x1])
        self._rest_backdrop = np.ascontiguousarray(self.backdrop[y0:h, x0:x1])
        self._probes = np.float32([[x0, y0], [x1, y0], [x0, h], [x1, h], [(x0 + x1) / 2, y0]])
        self._shown: tuple[np.ndarray, np.ndarray] | None = None  # (matrix, moved presenter) last rendered
        self._part_memo: dict[tuple, Paste] = {}
        self._rects = [self.region]

    def dirty_rects(self) -> list[Rect]:
        return list(self._rects)

    @property
    def shown_motion(self) -> np.ndarray | None:
        """The 2x3 transform the presenter was last shown moved by (None before any moving frame)."""
        return None if self.motion is None or self._shown is None else self._shown[0]

    def patches(self, pose: Pose) -> Iterator[Paste]:
        if self.motion is None:
            for x, y, pixels in self.parts.patches(pose):
                yield x, y, over(pixels, self.backdrop[y:y + pixels.shape[0], x:x + pixels.shape[1]])
            return
        matrix, moved = self._moved_presenter(self.motion(pose))
        rx, ry = self.region[:2]
        yield rx, ry, moved
        memo = {}
        for x, y, pixels in self.parts.patches(pose):
            key = (x, y, id(pixels), id(moved))
            paste = memo[key] = self._part_memo.get(key) or _moved_part(
                self._opaque(pixels, x, y), x, y, matrix, moved, (rx, ry))
            if paste is not None:
                yield paste
        self._part_memo = memo

    def _opaque(self, pixels: np.ndarray, x: int, y: int) -> np.ndarray:
        """A part laid over the backdrop where it sits at rest, fully opaque (so moving it a few pixels
        carries a few pixels of the soft backdrop along, which nobody can see)."""
        h, w = pixels.shape[:2]
        return cv2.cvtColor(over(pixels, self.backdrop[y:y + h, x:x + w]), cv2.COLOR_RGB2RGBA)

    def _moved_presenter(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The presenter moved by about ``matrix`` over the backdrop, and the matrix actually used.

        The last picture is shown again while no point of the presenter would land more than
        :data:`STEP` pixels away from where it shows it: slow breathing motion costs a warp
        only every few frames.
        """
        if self._shown is not None:
            shown_matrix, moved = self._shown
            error = cv2.transform(self._probes[None], matrix - shown_matrix)[0]
            if float(np.abs(error).max()) <= STEP:
                return shown_matrix, moved
        rx, ry, rw, rh = self.region
        local = matrix.copy()
        local[:, 2] += matrix[:, :2] @ np.float32([rx, ry]) - np.float32([rx, ry])
        picture = cv2.warpAffine(self._rest, local, (rw, rh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self._shown = matrix, over(picture, self._rest_backdrop)
        return self._shown


def _moved_part(pixels: np.ndarray, x: int, y: int, matrix: np.ndarray, moved: np.ndarray,
                region_xy: tuple[int, int]) -> Paste | None:
    """One face part (RGBA at (x, y) at rest) moved by ``matrix`` and laid over the moved presenter."""
    h, w = pixels.shape[:2]
    rx, ry = region_xy
    corners = cv2.transform(np.float32([[[x, y], [x + w, y], [x, y + h], [x + w, y + h]]]), matrix)[0]
    x0, y0 = max(int(np.floor(corners[:, 0].min())), rx), max(int(np.floor(corners[:, 1].min())), ry)
    x1 = min(int(np.ceil(corners[:, 0].max())) + 1, rx + moved.shape[1])
    y1 = min(int(np.ceil(corners[:, 1].max())) + 1, ry + moved.shape[0])
    if x0 >= x1 or y0 >= y1:
        return None
    local = matrix.copy()
    local[:, 2] += matrix[:, :2] @ np.float32([x, y]) - np.float32([x0, y0])
    size = (x1 - x0, y1 - y0)
    part = cv2.warpAffine(pixels, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # how much of each output pixel the moved rectangle covers (soft along its slanted edges)
    cover = cv2.warpAffine(np.full((h, w), 255, np.uint8), local, size, flags=cv2.INTER_LINEAR)
    weight = cover.astype(np.float32) * (1 / 255)
    under = moved[y0 - ry:y1 - ry, x0 - rx:x1 - rx]
    return x0, y0, cv2.blendLinear(cv2.cvtColor(part, cv2.COLOR_RGBA2RGB), under, weight, 1 - weight)


def over(rgba: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """RGBA uint8 composited over an RGB uint8 backdrop of the same size."""
    alpha = cv2.extractChannel(rgba, 3)
    rgb = cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB)
    soft = cv2.inRange(alpha, 1, 254)
    if cv2.countNonZero(soft) > alpha.size // 8:
        weight = alpha.astype(np.float32) * (1 / 255)
        return cv2.blendLinear(rgb, np.ascontiguousarray(backdrop), weight, 1 - weight)
    # a cut-out: opaque or clear but for its edge, so only the edge's few pixels are blended
    cv2.copyTo(np.ascontiguousarray(backdrop), cv2.compare(alpha, 0, cv2.CMP_EQ), rgb)
    if (edge := cv2.findNonZero(soft)) is not None:
        xs, ys = edge[:, 0, 0], edge[:, 0, 1]
        weight = alpha[ys, xs, None] * np.float32(1 / 255)
        rgb[ys, xs] = (rgb[ys, xs] * weight + backdrop[ys, xs] * (1 - weight) + 0.5).astype(np.uint8)
    return rgb


def _put(target: np.ndarray, x: int, y: int, pixels: np.ndarray) -> None:
    h, w = pixels.shape[:2]
    target[y:y + h, x:x + w] = pixels
