"""Avatar packs: a presenter's picture plus how to frame and animate it.

A pack is a folder ``avatars/<id>/`` with an ``avatar.yaml``.  ``load_avatar``
reads it; ``AvatarPack.rig`` cuts the presenter out, frames them head and
shoulders over the studio backdrop, finds the face once and hands the picture to
the pack's lip-sync method.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import yaml

from .errors import AvatarError
from .face import analyse
from .lipsync import Rig, get_method

DEFAULT_AVATAR = "astronaut"


def avatars_dir() -> Path:
    return Path(os.environ.get("ANCHOR_AVATARS_DIR") or Path(__file__).resolve().parent.parent / "avatars")


@dataclass(frozen=True)
class Framing:
    head_height: float = 0.29
    eye_line: float = 0.34


@dataclass(frozen=True)
class AvatarPack:
    id: str
    name: str
    kind: str
    source: str
    licence: str
    folder: Path
    framing: Framing = field(default_factory=Framing)
    lipsync: str = "warp"

    def image(self) -> np.ndarray:
        """The presenter's picture as RGB uint8."""
        if self.source.startswith("skimage:"):
            import skimage.data

            return np.ascontiguousarray(getattr(skimage.data, self.source.split(":", 1)[1])()[..., :3])
        path = self.folder / self.source
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise AvatarError(f"无法读取主播形象图片：{path}", f"cannot read the avatar picture {path}")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def rig(self, backdrop: np.ndarray) -> Rig:
        """Frame the presenter over ``backdrop`` (the anchor area of the studio) and prepare lip-sync."""
        image = self.image()
        face, matte = analyse(image)
        framed, framed_face = _frame(image, matte, face, backdrop, self.framing)
        return get_method(self.lipsync).rig(framed, framed_face)


def load_avatar(name: str | None = None) -> AvatarPack:
    name = name or DEFAULT_AVATAR
    path = avatars_dir() / name / "avatar.yaml"
    if not path.is_file():
        known = ", ".join(list_avatars()) or "-"
        raise AvatarError(f"找不到主播形象 {name!r}（可用：{known}）", f"unknown avatar {name!r} (available: {known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return AvatarPack(
            id=name,
            name=str(data.get("name", name)),
            kind=data.get("kind", "photo"),
            source=str(data["source"]),
            licence=str(data.get("licence", "")),
            folder=path.parent,
            framing=Framing(**(data.get("framing") or {})),
            lipsync=data.get("lipsync", "warp"),
        )
    except (yaml.YAMLError, KeyError, TypeError) as e:
        raise AvatarError(f"主播形象配置有误：{path}（{e}）", f"malformed avatar pack {path}: {e}") from None


def list_avatars() -> list[str]:
    root = avatars_dir()
    return sorted(p.parent.name for p in root.glob("*/avatar.yaml")) if root.is_dir() else []


def _frame(image, matte, face, backdrop, framing: Framing):
    """Scale and place the matted presenter so the head sits where ``framing`` says."""
    box_h, box_w = backdrop.shape[:2]
    scale = framing.head_height * box_h / face.height
    eyes_y = float(face.points[[159, 386], 1].mean())
    centre_x = float(face.points[[234, 454], 0].mean())
    dx = box_w / 2 - centre_x * scale
    dy = framing.eye_line * box_h - eyes_y * scale
    # Keep the picture's bottom edge at or below the area's bottom so the body is never cut mid-frame.
    dy = max(dy, box_h - image.shape[0] * scale)
    warp = np.float32([[scale, 0, dx], [0, scale, dy]])
    size = (box_w, box_h)
    person = cv2.warpAffine(image, warp, size, flags=cv2.INTER_LANCZOS4, borderMode=cv2.BORDER_REPLICATE)
    person = _sharpen(person, amount=0.6 if scale > 1.5 else 0.0)
    alpha = cv2.warpAffine(matte, warp, size, flags=cv2.INTER_LINEAR, borderValue=0)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(scale * 0.6, 0.8))[..., None]
    framed = person.astype(np.float32) * alpha + backdrop.astype(np.float32) * (1 - alpha)
    return np.clip(framed, 0, 255).astype(np.uint8), face.scaled(scale, dx, dy)


def _sharpen(image: np.ndarray, amount: float) -> np.ndarray:
    if amount <= 0:
        return image
    blurred = cv2.GaussianBlur(image, (0, 0), 2.0)
    return cv2.addWeighted(image, 1 + amount, blurred, -amount, 0)
