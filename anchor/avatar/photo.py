"""The photo anchor: the presenter cut out of one picture, framed in the anchor area, rigged to move and speak.

The framing (``Framing``, ``orientation_of``, ``frame_presenter``, ``soften_sides``) is shared with the video loop.
A photo is enlarged at most ``MAX_UPSCALE`` (see ``framing``): a small one is framed smaller, and
``framing_shortfall`` says so, with the face size that would fill the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..graphics import SUPPORTED, layout_for
from .face import Face, analyse, chroma_matte
from .framing import DEFAULT_FRAMING, MAX_UPSCALE, Framing, face_size_warning
from .pictures import hex_rgb
from .rig import CutoutRig, head_transform

__all__ = [
    "DEFAULT_FRAMING",
    "MAX_UPSCALE",
    "Framing",
    "FramingNote",
    "cut_out_presenter",
    "frame_presenter",
    "framing_shortfall",
    "orientation_of",
    "photo_rig",
    "presenter_motion",
    "size_warning",
    "soften_sides",
]


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


ORIENTATION_NAMES = {"vertical": ("竖屏", "vertical"), "landscape": ("横屏", "landscape"), "square": ("方形", "square")}


@dataclass(frozen=True)
class FramingNote:
    """A photo anchor framed smaller than the layout wants, because its face is too small to enlarge that far."""

    frame_face_px: int  # forehead to chin on screen, as the framing asks
    native_face_px: int  # forehead to chin in the pack's photo
    shown_share: float  # the face is shown at this share of what the framing asks
    fill_face_px: int  # the face a photo needs to fill the frame, enlarged at most MAX_UPSCALE
    fill_photo: tuple[int, int]  # about what size (width, height) this photo would need to be
    zh: str
    en: str

    @property
    def warning(self) -> str:
        """The note as a clip's JSON warnings list has it: Chinese, then English."""
        return f"{self.zh} / {self.en}"


def framing_shortfall(pack, width: int, height: int, orientation: str | None = None) -> FramingNote | None:
    """How far a photo anchor falls short of filling a ``width`` x ``height`` anchor area; None when it fills it.

    Only photo packs: a video loop is exempt from the enlargement limit (see ``videoloop``), a drawn
    mascot has no native size.
    """
    if pack.kind != "photo":
        return None
    orientation = orientation or orientation_of(width, height)
    image = pack.image()
    native = analyse(image)[0].height
    wanted = pack.framing_for(orientation).head_height * height
    if native * MAX_UPSCALE >= wanted - 0.5:
        return None
    fill = math.ceil(wanted / MAX_UPSCALE - 1e-6)  # as framing.fill_face_height counts it
    grow = fill / native
    photo = (math.ceil(image.shape[1] * grow / 10) * 10, math.ceil(image.shape[0] * grow / 10) * 10)
    share = native * MAX_UPSCALE / wanted
    zh_shape, en_shape = ORIENTATION_NAMES.get(orientation, (orientation, orientation))
    zh = (f"主播照片偏小：照片中人脸约 {native:.0f} 像素高，最多放大 {MAX_UPSCALE:g} 倍，在{zh_shape}画面（主播区域 "
          f"{width}×{height}）中只有版面要求的 {share:.0%} 大；人脸（额头到下巴）至少 {fill} 像素高"
          f"（照片约 {photo[0]}×{photo[1]}）才能填满画面")
    en = (f"the anchor's photo is small: its face is about {native:.0f} px high and is enlarged at most "
          f"{MAX_UPSCALE:g}x, so in the {en_shape} frame ({width}x{height} anchor area) it is shown at {share:.0%} "
          f"of the size the layout wants; a face of at least {fill} px forehead to chin (a photo of about "
          f"{photo[0]}x{photo[1]}) fills the frame")
    return FramingNote(round(wanted), round(native), round(share, 3), fill, photo, zh, en)


def size_warning(pack) -> str | None:
    """What ``avatar add`` says of a photo anchor whose face is too small to fill every supported frame."""
    return face_size_warning(analyse(pack.image())[0].height) if pack.kind == "photo" else None


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
                    framing: Framing, max_upscale: float | None = MAX_UPSCALE) -> tuple[np.ndarray, Face]:
    """Scale and place the presenter so the head sits where ``framing`` says: RGBA picture and face.

    The picture is enlarged at most ``max_upscale`` (None: no limit); a face too small for the
    framing is framed smaller, with the eye line still where the framing puts it (the graphics are
    laid out around it).  A picture that then ends inside the area fades out towards its edges
    instead of stopping in a hard line: over most of a face's height at the bottom (the body
    dissolves into the studio, mostly behind the desk, lower third and subtitles), a little at the
    sides and top.
    """
    wanted = framing.head_height * box_h / face.height
    scale = wanted if max_upscale is None else min(wanted, max_upscale)
    if scale < 0.8:  # shrink first by averaging, so fine detail does not alias
        size = (max(round(image.shape[1] * scale), 1), max(round(image.shape[0] * scale), 1))
        fx, fy = size[0] / image.shape[1], size[1] / image.shape[0]
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        matte = cv2.resize(matte, size, interpolation=cv2.INTER_AREA)
        face = Face(face.points * np.float32([fx, fy]))
        wanted = scale = framing.head_height * box_h / face.height
    eyes_y = float(face.points[[159, 386], 1].mean())
    centre_x = float(face.points[[234, 454], 0].mean())
    dx = box_w / 2 - centre_x * scale
    dy = framing.eye_line * box_h - eyes_y * scale
    if scale >= wanted:  # framed as asked: the picture's bottom edge at or below the area's, never cut mid-frame
        dy = max(dy, box_h - image.shape[0] * scale)
    warp = np.float32([[scale, 0, dx], [0, scale, dy]])
    size = (box_w, box_h)
    # Lanczos keeps an enlarged picture crisp; near 1:1 bilinear is as good and 10x faster
    interpolation = cv2.INTER_LANCZOS4 if scale > 1.25 else cv2.INTER_LINEAR
    person = cv2.warpAffine(image, warp, size, flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    if scale > 1.5:  # only an uncapped, much enlarged picture (a small video loop): restore some crispness
        person = cv2.addWeighted(person, 1.6, cv2.GaussianBlur(person, (0, 0), 2.0), -0.6, 0)
    alpha = cv2.warpAffine(matte, warp, size, flags=cv2.INTER_LINEAR, borderValue=0)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(scale * 0.6, 0.8))
    alpha *= _edge_fade(size, (dx, dy, dx + image.shape[1] * scale, dy + image.shape[0] * scale), face.height * scale)
    picture = cv2.merge([*cv2.split(person), np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])
    return picture, face.scaled(scale, dx, dy)


def _edge_fade(size: tuple[int, int], edges: tuple[float, float, float, float], face_px: float) -> np.ndarray:
    """(h, w) weights easing to 0 at each edge of the picture (left, top, right, bottom) that lies inside the area."""
    w, h = size
    left, top, right, bottom = edges
    x, y = np.arange(w, dtype=np.float32) + 0.5, np.arange(h, dtype=np.float32) + 0.5
    ramp_x, ramp_y = np.ones(w, np.float32), np.ones(h, np.float32)
    for ramp, at, edge, band, inside, sign in ((ramp_x, x, left, 0.3, left > 0.5, 1),
                                               (ramp_x, x, right, 0.3, right < w - 0.5, -1),
                                               (ramp_y, y, top, 0.15, top > 0.5, 1),
                                               (ramp_y, y, bottom, 0.9, bottom < h - 0.5, -1)):
        if inside:
            u = np.clip(sign * (at - edge) / max(band * face_px, 1.0), 0, 1)
            ramp *= u * u * (3 - 2 * u)  # smoothstep: no visible start or end of the fade
    return np.outer(ramp_y, ramp_x)


def soften_sides(picture: np.ndarray, share: float = 0.08) -> None:
    """Fade the presenter's matte out towards the left and right edges of the anchor area (in place)."""
    w = picture.shape[1]
    edge = np.minimum(np.arange(w), np.arange(w)[::-1]) / max(share * w, 1.0)
    ramp = np.clip(edge, 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    picture[..., 3] = (picture[..., 3] * ramp[None, :] + 0.5).astype(np.uint8)
