"""The photo anchor: the presenter cut out of one picture, framed in the anchor area, rigged to move and speak.

The framing (``Framing``, ``orientation_of``, ``frame_presenter``, ``soften_sides``) is shared with the video loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..graphics import SUPPORTED, layout_for
from .face import Face, analyse, chroma_matte
from .pictures import hex_rgb
from .rig import CutoutRig, head_transform


@dataclass(frozen=True)
class Framing:
    head_height: float = 0.29  # forehead to chin, as a share of the anchor area's height
    eye_line: float = 0.34  # eye line from the top of the anchor area, as a share of its height


#: framing when a pack says nothing for a frame shape
DEFAULT_FRAMING = {"vertical": Framing(0.29, 0.34), "landscape": Framing(0.25, 0.30), "square": Framing(0.26, 0.30)}


def photo_rig(pack, behind: np.ndarray, orientation: str) -> CutoutRig:
    """The photo anchor of ``pack`` over ``behind`` (the anchor area) for one clip."""
    picture, face = cut_out_presenter(pack, behind.shape[1], behind.shape[0], orientation)
    parts = pack.lipsync_method().parts(picture, face)
    return CutoutRig(picture, behind, parts, **presenter_motion(face, picture.shape, pack.motion))


def cut_out_presenter(pack, width: int, height: int, orientation: str) -> tuple[np.ndarray, Face]:
    """The presenter framed in a ``width`` x ``height`` anchor area: RGBA picture and face landmarks."""
    image = pack.image()
    face, matte = analyse(image)
    if pack.background.cutout == "chroma":
        matte, image = chroma_matte(image, hex_rgb(pack.background.chroma_colour))
    elif pack.background.cutout == "none":
        matte = np.ones(image.shape[:2], np.float32)
    picture, face = frame_presenter(image, matte, face, width, height, pack.framing_for(orientation))
    if orientation != "vertical":  # the anchor area ends inside the frame: no hard cut through the shoulders
        soften_sides(picture)
    return picture, face


def orientation_of(width: int, height: int) -> str:
    """The frame shape whose layout has an anchor area of this size (else judged by its proportions)."""
    for w, h in SUPPORTED:
        box = layout_for(w, h).avatar
        if (box.w, box.h) == (width, height):
            return layout_for(w, h).orientation
    return "landscape" if width > 1.5 * height else "square" if width > height else "vertical"


def presenter_motion(face: Face, shape: tuple, amount: float, lift: float = 0.0) -> dict:
    """CutoutRig keyword arguments moving a presenter about a pivot at the bottom of the area."""
    if amount <= 0:
        return {}
    h = shape[0]
    head = face.points[[33, 263]].mean(axis=0)
    pivot = (float(head[0]), float(h))
    motion = head_transform(pivot, (float(head[0]), float(head[1])), face.height * amount, lift)
    reach = h - float(head[1])
    margin = int(0.05 * face.height * amount + np.radians(1.0 * amount) * reach + lift) + 3
    return {"motion": motion, "margin": margin}


def frame_presenter(image: np.ndarray, matte: np.ndarray, face: Face, box_w: int, box_h: int,
                    framing: Framing) -> tuple[np.ndarray, Face]:
    """Scale and place the presenter so the head sits where ``framing`` says: RGBA picture and face."""
    scale = framing.head_height * box_h / face.height
    if scale < 0.8:  # shrink first by averaging, so fine detail does not alias
        size = (max(round(image.shape[1] * scale), 1), max(round(image.shape[0] * scale), 1))
        fx, fy = size[0] / image.shape[1], size[1] / image.shape[0]
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        matte = cv2.resize(matte, size, interpolation=cv2.INTER_AREA)
        face = Face(face.points * np.float32([fx, fy]))
        scale = framing.head_height * box_h / face.height
    eyes_y = float(face.points[[159, 386], 1].mean())
    centre_x = float(face.points[[234, 454], 0].mean())
    dx = box_w / 2 - centre_x * scale
    dy = framing.eye_line * box_h - eyes_y * scale
    # Keep the picture's bottom edge at or below the area's bottom so the body is never cut mid-frame.
    dy = max(dy, box_h - image.shape[0] * scale)
    warp = np.float32([[scale, 0, dx], [0, scale, dy]])
    size = (box_w, box_h)
    # Lanczos keeps an enlarged photo crisp; near 1:1 (a video frame) bilinear is as good and 10x faster
    interpolation = cv2.INTER_LANCZOS4 if scale > 1.25 else cv2.INTER_LINEAR
    person = cv2.warpAffine(image, warp, size, flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    if scale > 1.5:  # an enlarged small photo: restore some crispness
        person = cv2.addWeighted(person, 1.6, cv2.GaussianBlur(person, (0, 0), 2.0), -0.6, 0)
    alpha = cv2.warpAffine(matte, warp, size, flags=cv2.INTER_LINEAR, borderValue=0)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(scale * 0.6, 0.8))
    picture = cv2.merge([*cv2.split(person), np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])
    return picture, face.scaled(scale, dx, dy)


def soften_sides(picture: np.ndarray, share: float = 0.08) -> None:
    """Fade the presenter's matte out towards the left and right edges of the anchor area (in place)."""
    w = picture.shape[1]
    edge = np.minimum(np.arange(w), np.arange(w)[::-1]) / max(share * w, 1.0)
    ramp = np.clip(edge, 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    picture[..., 3] = (picture[..., 3] * ramp[None, :] + 0.5).astype(np.uint8)
