"""The station's identity: name, colours and the AI-generated labels it shows.

A station is read from ``station.yaml`` at the repository root, from the file
named by the environment variable ``ANCHOR_STATION``, or from a path given to
:func:`load_station`.  Every field has a neutral default, so a missing file is
fine; a malformed one is an :class:`~anchor.errors.InputError`.

The visible AI label is a legal requirement (人工智能生成合成内容标识办法 /
GB 45438-2025): it must be shown for at least 2 seconds from the start of the
clip.  A shorter ``ai_label_seconds`` is raised to 2.0 with a warning rather
than honoured.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, fields
from pathlib import Path


from ..config import read_mapping
from ..errors import InputError
from ..files import PROJECT_DIR

MIN_AI_LABEL_SECONDS = 2.0
DEFAULT_STATION_FILE = PROJECT_DIR / "station.yaml"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Station:
    name: str = "融媒体中心"
    name_en: str = "Media Center"
    code: str = "anchor-demo-station"  # ContentProducer of the implicit AIGC label
    primary: str = "#c8102e"  # banners, name bar
    secondary: str = "#f2c14e"  # accents, title bar
    ai_label: str = "AI生成"  # the visible explicit label
    ai_label_seconds: float = 4.0  # how long the big label shows from t=0 (>= 2.0 by law)
    backdrop: str = "#0b2350"  # the studio's base tone behind the presenter
    ai_label_position: str = "top-right"  # top-right | top-left
    template: str = "news"  # graphics template used unless a script or --template names another
    logo: str | None = None  # PNG with alpha (relative to the station file), shown in the station bug
    font_bold: str | None = None  # font files (.ttf/.otf/.ttc) replacing Noto Sans CJK
    font_regular: str | None = None
    read_title: bool = False  # the anchor reads each script's headline first unless the script says read_title
    anchor_name: str = "小融"  # the station's own drawn anchor (a sprite pack with station_name: true) is called this
    anchor_name_en: str = "Xiao Rong"
    allow_unconsented_faces: bool = False  # batch/studio/API may use a real face with no valid consent record
    folder: str = "."  # where relative paths in the station file are resolved (set by load_station)

    def __post_init__(self):
        for name in ("primary", "secondary", "backdrop"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _HEX.match(value.strip()):
                raise InputError(
                    f"台标配置中的颜色 {name}={value!r} 无效，请写成 #RRGGBB",
                    f"station colour {name}={value!r} is not a hex colour like #c8102e",
                )
            object.__setattr__(self, name, _normalise_hex(value))
        for name in ("name", "code", "ai_label"):
            if not str(getattr(self, name) or "").strip():
                raise InputError(f"台标配置中的 {name} 不能为空", f"station field {name!r} must not be empty")
            object.__setattr__(self, name, str(getattr(self, name)).strip())
        object.__setattr__(self, "name_en", str(self.name_en or "").strip())
        if self.ai_label_position not in ("top-right", "top-left"):
            raise InputError(f"ai_label_position 应为 top-right 或 top-left，收到 {self.ai_label_position!r}",
                             f"ai_label_position must be top-right or top-left, got {self.ai_label_position!r}")
        for name in ("read_title", "allow_unconsented_faces"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"台标配置中的 {name} 应为 true 或 false，收到 {getattr(self, name)!r}",
                                 f"station {name} must be true or false, got {getattr(self, name)!r}")
        for name in ("anchor_name", "anchor_name_en"):
            object.__setattr__(self, name, str(getattr(self, name) or "").strip())
        for name in ("logo", "font_bold", "font_regular"):
            value = getattr(self, name)
            if value is None:
                continue
            path = Path(str(value)).expanduser()
            path = path if path.is_absolute() else Path(self.folder) / path
            if not path.is_file():
                raise InputError(f"台标配置中的 {name} 文件不存在：{path}", f"station {name} file not found: {path}")
            object.__setattr__(self, name, str(path))
        try:
            seconds = float(self.ai_label_seconds)
        except (TypeError, ValueError):
            raise InputError(
                f"ai_label_seconds 应为秒数，收到 {self.ai_label_seconds!r}",
                f"ai_label_seconds must be a number of seconds, got {self.ai_label_seconds!r}",
            ) from None
        if not seconds >= MIN_AI_LABEL_SECONDS:  # also catches NaN
            warnings.warn(
                f"ai_label_seconds={self.ai_label_seconds} 低于法定最短 2 秒，已改为 2 秒 / "
                f"ai_label_seconds={self.ai_label_seconds} is below the legal minimum of 2 s; using 2.0",
                UserWarning,
                stacklevel=3,
            )
            seconds = MIN_AI_LABEL_SECONDS
        object.__setattr__(self, "ai_label_seconds", seconds)

    def rgb(self, which: str) -> tuple[int, int, int]:
        """One of the colours (``"primary"``, ``"secondary"``, ``"backdrop"``) as an (r, g, b) tuple."""
        return hex_to_rgb(getattr(self, which))


def is_colour(value) -> bool:
    return isinstance(value, str) and bool(_HEX.match(value.strip()))


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    h = _normalise_hex(value)[1:]
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _normalise_hex(value: str) -> str:
    h = value.strip().lstrip("#").lower()
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return "#" + h


def load_station(path: str | Path | None = None) -> Station:
    """Read the station file (``path``, else ``$ANCHOR_STATION``, else ``station.yaml``), or the defaults."""
    explicit = path is not None or bool(os.environ.get("ANCHOR_STATION"))
    path = Path(path if path is not None else os.environ.get("ANCHOR_STATION") or DEFAULT_STATION_FILE)
    if not path.is_file():
        if explicit:
            raise InputError(f"找不到台标配置文件：{path}", f"station file not found: {path}")
        return Station()
    data = read_mapping(path, InputError, "台标配置", "station")
    known = {f.name for f in fields(Station)}
    unknown = sorted(set(data) - known)
    if unknown:
        names = ", ".join(map(str, unknown))
        raise InputError(f"台标配置文件含有未知字段：{names}", f"unknown field(s) in station file {path}: {names}")
    return Station(**{k: v for k, v in data.items() if v is not None and k != "folder"}, folder=str(path.parent))
