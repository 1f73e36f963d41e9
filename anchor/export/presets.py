"""Platform presets (``anchor/export/presets.yaml``): frame rate, bitrate cap, loudness and upload limits
for Douyin, Kuaishou, WeChat Channels, Bilibili and broadcast TV."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..errors import InputError
from ..graphics import aspect_size
from .writer import ExportPreset

PRESETS_FILE = Path(__file__).resolve().parent / "presets.yaml"


@dataclass(frozen=True)
class Platform:
    name: str
    title: str
    aspects: tuple[str, ...]
    fps: int
    maxrate: str | None
    loudness: float
    max_seconds: float | None = None
    max_megabytes: float | None = None

    def export(self, aspect: str, base: ExportPreset | None = None) -> ExportPreset:
        """The encoder settings for one aspect of a clip on this platform."""
        width, height = aspect_size(aspect)
        return replace(base or ExportPreset(), width=width, height=height, fps=self.fps, maxrate=self.maxrate,
                       loudness_lufs=self.loudness)

    def limits_warnings(self, seconds: float, megabytes: float, aspect: str) -> list[str]:
        """Warnings (Chinese / English) for a clip over this platform's upload limits."""
        out = []
        if self.max_seconds and seconds > self.max_seconds:
            out.append(f"{aspect} 视频时长 {seconds:.0f} 秒，超过{self.title}的上限 {self.max_seconds:.0f} 秒 / "
                       f"the {aspect} clip lasts {seconds:.0f} s, over {self.title}'s limit of {self.max_seconds:.0f} s")
        if self.max_megabytes and megabytes > self.max_megabytes:
            out.append(f"{aspect} 视频大小 {megabytes:.0f} MB，超过{self.title}的上限 {self.max_megabytes:.0f} MB / "
                       f"the {aspect} clip is {megabytes:.0f} MB, over {self.title}'s limit of {self.max_megabytes:.0f} MB")
        return out


def export_settings(aspects, platform: Platform | None, base: ExportPreset) -> dict[str, ExportPreset]:
    """The encoder settings per aspect: the platform's, else ``base`` at each aspect's frame size.

    ``aspects`` are checked first (9:16, 16:9, 1:1; duplicates dropped, order kept).
    """
    out = {}
    for name in _aspects(aspects):
        width, height = aspect_size(name)
        out[name] = platform.export(name, base) if platform else replace(base, width=width, height=height)
    return out


def _aspects(names) -> tuple[str, ...]:
    out = []
    for name in names:
        name = name.strip()
        try:
            aspect_size(name)
        except ValueError:
            raise InputError(f"不支持的画面比例 {name}（可用：9:16、16:9、1:1）",
                             f"unsupported aspect {name!r}; use 9:16, 16:9 or 1:1") from None
        if name not in out:
            out.append(name)
    if not out:
        raise InputError("没有指定画面比例", "no aspect ratio given")
    return tuple(out)


def list_platforms() -> list[Platform]:
    return [load_platform(name) for name in _read()]


def load_platform(name: str) -> Platform:
    presets = _read()
    if name not in presets:
        raise InputError(f"未知的平台预设：{name}（可用：{'、'.join(presets)}）",
                         f"unknown platform preset {name!r} (available: {', '.join(presets)})")
    data = dict(presets[name])
    try:
        aspects = tuple(data.pop("aspects", ["9:16"]))
        for aspect in aspects:
            aspect_size(aspect)
        return Platform(name=name, aspects=aspects, **data)
    except (TypeError, ValueError) as e:
        raise InputError(f"平台预设 {name} 有误：{e}", f"invalid platform preset {name}: {e}") from None


def _read() -> dict:
    return yaml.safe_load(PRESETS_FILE.read_text(encoding="utf-8")) or {}
