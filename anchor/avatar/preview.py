"""The anchor on the station's studio set: the preview a producer sees, and each pack's cached thumbnail."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..cache import cache_key, cache_root
from ..graphics import layout_for, load_look, load_station, studio_background
from .pictures import write_picture

#: changes when the way a presenter is framed changes (v2: photos enlarged at most framing.MAX_UPSCALE)
FRAMING_VERSION = "framing-v2"


def thumbnail(pack) -> Path:
    """A preview picture of this anchor: the pack's own, or one rendered once into the cache."""
    if pack.preview and (pack.folder / pack.preview).is_file():
        return pack.folder / pack.preview
    yaml_text = (pack.folder / "avatar.yaml").read_bytes()
    key = cache_key('thumbnail', pack.id, yaml_text, FRAMING_VERSION)  # re-drawn when the framing rules change
    path = cache_root() / "thumbnails" / f"{key[:24]}.jpg"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_picture(path, preview_frame(pack))
    return path


def preview_frame(pack) -> np.ndarray:
    """The anchor at rest in the studio, as in a vertical clip, half size."""
    backdrop = studio_backdrop(1080, 1920)
    base = pack.rig(backdrop, "vertical").base
    return cv2.resize(base, (base.shape[1] // 2, base.shape[0] // 2), interpolation=cv2.INTER_AREA)


def studio_backdrop(width: int, height: int) -> np.ndarray:
    """The default station's studio under the anchor area of a ``width`` x ``height`` frame."""
    layout = layout_for(width, height)
    box = layout.avatar
    studio = studio_background(layout, load_look(None, load_station()))
    return np.ascontiguousarray(studio[box.y:box.y + box.h, box.x:box.x + box.w])
