"""Avatar packs: who reads the news, how they are framed, and how they are animated.

A pack is a folder ``avatars/<id>/`` (or under ``$ANCHOR_AVATARS_DIR``) with an
``avatar.yaml`` a producer can read and edit::

    name: 艾琳 Eileen
    kind: photo                 # photo | video_loop | sprite
    source: photo.png           # picture or recording in this folder ("skimage:astronaut", "drawn:panda")
    licence: ...                # where the material comes from and on what terms
    framing:                    # where the head sits in the anchor area, as shares of its height
      head_height: 0.29         # forehead to chin
      eye_line: 0.34            # eye line from the top
      landscape: {head_height: 0.26, eye_line: 0.30}   # per frame shape: vertical | landscape | square
    background:
      behind: studio            # studio (the station's), a colour "#1d3557", or an image in this folder
      cutout: segment           # segment (AI person matte) | chroma (green/blue screen) | none
      chroma_colour: "#00b140"
    lipsync: warp               # warp | wav2lip (needs the neural extra and a checkpoint)
    motion: 1.0                 # head motion, 0 = none

``load_avatar`` reads a pack; ``AvatarPack.rig(backdrop)`` prepares it for one
clip (see :class:`anchor.lipsync.Rig`); ``add_photo_avatar`` makes a new pack
from a producer's photo; ``list_avatars`` names them all.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import cv2
import numpy as np
import yaml

from ..cache import cache_key, cache_root
from ..config import read_mapping
from ..errors import AvatarError
from ..files import PROJECT_DIR
from ..graphics import SUPPORTED, layout_for
from .face import Face, analyse, check_portrait, chroma_matte
from .lipsync import Rig, get_method
from .rig import CutoutRig, head_transform

DEFAULT_AVATAR = "astronaut"
KINDS = ("photo", "video_loop", "sprite")
ORIENTATIONS = ("vertical", "landscape", "square")
CUTOUTS = ("segment", "chroma", "none")


def avatars_dir() -> Path:
    return Path(os.environ.get("ANCHOR_AVATARS_DIR") or PROJECT_DIR / "avatars")


@dataclass(frozen=True)
class Framing:
    head_height: float = 0.29  # forehead to chin, as a share of the anchor area's height
    eye_line: float = 0.34  # eye line from the top of the anchor area, as a share of its height


#: framing when a pack says nothing for a frame shape
DEFAULT_FRAMING = {"vertical": Framing(0.29, 0.34), "landscape": Framing(0.25, 0.30), "square": Framing(0.26, 0.30)}


@dataclass(frozen=True)
class Background:
    behind: str = "studio"  # "studio", "#rrggbb", or an image file in the pack folder
    cutout: str = "segment"  # how the presenter is separated from their own background
    chroma_colour: str = "#00b140"  # the screen's colour, for cutout: chroma


@dataclass(frozen=True)
class AvatarPack:
    id: str
    name: str
    kind: str
    source: str
    licence: str
    folder: Path
    framing: dict = field(default_factory=lambda: dict(DEFAULT_FRAMING))  # orientation -> Framing
    background: Background = field(default_factory=Background)
    lipsync: str = "warp"
    lipsync_options: dict = field(default_factory=dict)
    motion: float = 1.0
    loop: str = "pingpong"  # video_loop: pingpong | crossfade
    loop_seconds: float = 4.0  # video_loop: how much of the recording is used
    preview: str | None = None  # thumbnail image in the pack folder

    def image(self) -> np.ndarray:
        """The presenter's picture as RGB uint8 (photo packs)."""
        if self.source.startswith("skimage:"):
            import skimage.data

            return np.ascontiguousarray(getattr(skimage.data, self.source.split(":", 1)[1])()[..., :3])
        return read_picture(self.folder / self.source)

    def framing_for(self, orientation: str) -> Framing:
        return self.framing.get(orientation, DEFAULT_FRAMING[orientation])

    def rig(self, backdrop: np.ndarray, orientation: str | None = None) -> Rig:
        """Prepare this anchor over ``backdrop`` (the studio under the anchor area) for one clip."""
        backdrop = np.ascontiguousarray(backdrop)
        orientation = orientation or orientation_of(backdrop.shape[1], backdrop.shape[0])
        behind = self.behind(backdrop)
        if self.kind == "sprite":
            from .mascot import mascot_rig

            return mascot_rig(self, behind, self.framing_for(orientation))
        if self.kind == "video_loop":
            from .videoloop import video_loop_rig

            return video_loop_rig(self, behind, self.framing_for(orientation))
        picture, face = self.cut_out(backdrop.shape[1], backdrop.shape[0], orientation)
        parts = self.lipsync_method().parts(picture, face)
        return CutoutRig(picture, behind, parts, **presenter_motion(face, picture.shape, self.motion))

    def cut_out(self, width: int, height: int, orientation: str) -> tuple[np.ndarray, Face]:
        """The presenter framed in a ``width`` x ``height`` anchor area: RGBA picture and face landmarks."""
        image = self.image()
        face, matte = analyse(image)
        if self.background.cutout == "chroma":
            matte, image = chroma_matte(image, hex_rgb(self.background.chroma_colour))
        elif self.background.cutout == "none":
            matte = np.ones(image.shape[:2], np.float32)
        picture, face = frame_presenter(image, matte, face, width, height, self.framing_for(orientation))
        if orientation != "vertical":  # the anchor area ends inside the frame: no hard cut through the shoulders
            soften_sides(picture)
        return picture, face

    def behind(self, backdrop: np.ndarray) -> np.ndarray:
        """What shows behind the presenter: the studio, a flat colour or the pack's own image."""
        h, w = backdrop.shape[:2]
        behind = self.background.behind
        if behind == "studio":
            return backdrop
        if behind.startswith("#"):
            return np.full((h, w, 3), hex_rgb(behind), np.uint8)
        return cover(read_picture(self.folder / behind), w, h)

    def lipsync_method(self):
        options = dict(self.lipsync_options)
        if "checkpoint" in options:
            options["checkpoint"] = self.folder / str(options["checkpoint"])
        return get_method(self.lipsync, **options)

    def thumbnail(self) -> Path:
        """A preview picture of this anchor: the pack's own, or one rendered once into the cache."""
        if self.preview and (self.folder / self.preview).is_file():
            return self.folder / self.preview
        yaml_text = (self.folder / "avatar.yaml").read_bytes()
        path = cache_root() / "thumbnails" / f"{cache_key('thumbnail', self.id, yaml_text)[:24]}.jpg"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_picture(path, preview_frame(self))
        return path


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


# -- reading packs -----------------------------------------------------------

def load_avatar(name: str | None = None) -> AvatarPack:
    name = name or DEFAULT_AVATAR
    path = avatars_dir() / name / "avatar.yaml"
    if not path.is_file():
        known = ", ".join(list_avatars()) or "-"
        raise AvatarError(f"找不到主播形象 {name!r}（可用：{known}）", f"unknown avatar {name!r} (available: {known})")
    data = read_mapping(path, AvatarError, "主播形象配置", "avatar pack")
    try:
        return _pack(name, path.parent, data)
    except (KeyError, TypeError, ValueError) as e:
        raise AvatarError(f"主播形象配置有误：{path}（{e}）", f"malformed avatar pack {path}: {e}") from None


def _pack(name: str, folder: Path, data: dict) -> AvatarPack:
    kind = data.get("kind", "photo")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    background = Background(**(data.get("background") or {}))
    if background.cutout not in CUTOUTS:
        raise ValueError(f"background.cutout must be one of {', '.join(CUTOUTS)}, not {background.cutout!r}")
    for colour in (background.chroma_colour, background.behind):
        if colour.startswith("#"):
            hex_rgb(colour)
    lipsync = data.get("lipsync", "warp")
    options = data.get(lipsync) if isinstance(data.get(lipsync), dict) else {}
    return AvatarPack(
        id=name,
        name=str(data.get("name", name)),
        kind=kind,
        source=str(data["source"]),
        licence=str(data.get("licence", "")),
        folder=folder,
        framing=_framing(data.get("framing") or {}),
        background=background,
        lipsync=lipsync,
        lipsync_options=options,
        motion=float(data.get("motion", 1.0)),
        loop=str(data.get("loop", "pingpong")),
        loop_seconds=float(data.get("loop_seconds", 4.0)),
        preview=data.get("preview"),
    )


def _framing(data: dict) -> dict:
    """orientation -> Framing from ``framing:`` (shared values, then per-orientation overrides)."""
    shared = {k: float(v) for k, v in data.items() if k in {f.name for f in fields(Framing)}}
    unknown = set(data) - set(shared) - set(ORIENTATIONS)
    if unknown:
        raise ValueError(f"unknown framing field(s): {', '.join(sorted(unknown))}")
    out = {}
    for orientation in ORIENTATIONS:
        own = data.get(orientation) or {}
        out[orientation] = replace(DEFAULT_FRAMING[orientation], **{**shared, **{k: float(v) for k, v in own.items()}})
    return out


def list_avatars() -> list[str]:
    root = avatars_dir()
    return sorted(p.parent.name for p in root.glob("*/avatar.yaml")) if root.is_dir() else []


# -- adding a pack from a photo ----------------------------------------------

MAX_FACE_HEIGHT = 640  # larger photos are scaled down to this face height: more is never seen


def add_photo_avatar(photo: str | os.PathLike, name: str, avatar_id: str | None = None, licence: str | None = None,
                     force: bool = False) -> AvatarPack:
    """Make a new photo anchor from ``photo``: check the face, write ``avatars/<id>/`` with a preview.

    The pack appears all at once (written to a hidden folder, then renamed), so a failure leaves
    nothing behind.
    """
    photo = Path(photo)
    image = read_picture(photo)
    face = check_portrait(image)
    if face.height > MAX_FACE_HEIGHT:
        scale = MAX_FACE_HEIGHT / face.height
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    avatar_id = avatar_id or slug(name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", avatar_id):
        raise AvatarError(f"主播形象编号 {avatar_id!r} 只能用小写字母、数字、- 和 _",
                          f"avatar id {avatar_id!r} may use only lower-case letters, digits, - and _")
    root = avatars_dir()
    final = root / avatar_id
    if final.exists() and not force:
        raise AvatarError(f"主播形象 {avatar_id!r} 已存在，换一个名字或加 --force 覆盖",
                          f"avatar {avatar_id!r} already exists; choose another name or pass --force")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{avatar_id}.", suffix=".partial", dir=root))
    try:
        write_picture(staging / "photo.png", image)
        data = {
            "name": name,
            "kind": "photo",
            "source": "photo.png",
            "licence": licence or "由本台提供，使用须经本人同意 / supplied by the station; use needs the presenter's consent",
            "original": photo.name,
            "framing": {"head_height": DEFAULT_FRAMING["vertical"].head_height,
                        "eye_line": DEFAULT_FRAMING["vertical"].eye_line},
            "background": {"behind": "studio", "cutout": "segment"},
            "lipsync": "warp",
            "motion": 1.0,
            "preview": "preview.jpg",
        }
        (staging / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        pack = _pack(avatar_id, staging, data)
        write_picture(staging / "preview.jpg", preview_frame(pack))
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_avatar(avatar_id)


def slug(name: str) -> str:
    """A folder-safe id from a display name: 张明 -> zhang-ming, "Li Hua" -> li-hua."""
    from pypinyin import lazy_pinyin

    words = " ".join(lazy_pinyin(name)).lower()
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-") or "anchor"


def preview_frame(pack: AvatarPack) -> np.ndarray:
    """The anchor at rest in the studio, as in a vertical clip, half size."""
    backdrop = studio_backdrop(1080, 1920)
    base = pack.rig(backdrop, "vertical").base
    return cv2.resize(base, (base.shape[1] // 2, base.shape[0] // 2), interpolation=cv2.INTER_AREA)


def studio_backdrop(width: int, height: int) -> np.ndarray:
    """The default station's studio under the anchor area of a ``width`` x ``height`` frame."""
    from ..graphics import load_station
    from ..graphics import studio_background
    from ..graphics import load_look

    layout = layout_for(width, height)
    box = layout.avatar
    studio = studio_background(layout, load_look(None, load_station()))
    return np.ascontiguousarray(studio[box.y:box.y + box.h, box.x:box.x + box.w])


# -- pictures ----------------------------------------------------------------

def read_picture(path: Path) -> np.ndarray:
    """An image file as RGB uint8, turned upright as the camera recorded it (EXIF orientation)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB")).copy()
    except FileNotFoundError:
        raise AvatarError(f"找不到图片文件：{path}", f"picture not found: {path}") from None
    except (UnidentifiedImageError, OSError) as e:
        raise AvatarError(f"无法读取图片：{path}（{e}）", f"cannot read the picture {path}: {e}") from None


def write_picture(path: Path, rgb: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path, quality=90, optimize=True)


def cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` scaled to fill ``width`` x ``height``, cropped about its centre."""
    scale = max(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, (max(round(image.shape[1] * scale), width), max(round(image.shape[0] * scale), height)),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y0:y0 + height, x0:x0 + width])


def hex_rgb(colour: str) -> tuple[int, int, int]:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"{colour!r} is not a colour like #00b140")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def describe(pack: AvatarPack) -> dict:
    """What ``anchor avatars`` shows for a pack."""
    return {"id": pack.id, "name": pack.name, "kind": pack.kind, "lipsync": pack.lipsync,
            "licence": pack.licence, "thumbnail": str(pack.thumbnail())}


__all__ = ["AvatarPack", "Framing", "Background", "load_avatar", "list_avatars", "add_photo_avatar", "avatars_dir",
           "describe"]
