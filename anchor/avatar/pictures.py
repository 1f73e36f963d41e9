"""Pictures for avatar packs: reading and writing image files, scaling one to fill an area, ``#rrggbb`` colours."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from ..errors import AvatarError


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
    if Path(path).suffix.lower() == ".png":
        # PIL's optimising PNG encoder took 55 s for a phone's 4000 px photo; OpenCV's at level 3, about 1 s
        if not cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, 3]):
            raise AvatarError(f"无法写入图片：{path}", f"cannot write the picture {path}")
        return
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

