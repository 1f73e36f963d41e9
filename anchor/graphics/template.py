"""Graphics templates: how each on-screen element looks, as YAML a producer can read.

A template (``anchor/graphics/templates/<name>.yaml``, or any YAML file given by path) styles
the headline banner, lower third, ticker, subtitles, station bug, AI label and the
intro/outro stingers.  Colours are ``#rrggbb`` or the name of a brand-kit colour
(``primary``, ``secondary``, ``backdrop``), so one template serves every station.

:func:`load_look` joins a template with a station's brand kit into a :class:`Look`,
the one object the graphics code reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..config import read_mapping, validated
from ..errors import InputError
from .station import Station, hex_to_rgb, is_colour

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_TEMPLATE = "news"
FLASH_MAX_SECONDS = 1.0

Colour = str  # "#rrggbb" or a brand colour name


class _Style(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HeadlineStyle(_Style):
    fill: Colour = "primary"
    accent: Colour = "secondary"
    text: Colour = "#ffffff"


class LowerThirdStyle(_Style):
    fill: Colour = "primary"
    text: Colour = "#ffffff"
    title_fill: Colour = "#f7f7f7"
    title_text: Colour = "#1c1e26"
    accent: Colour = "secondary"
    slide_seconds: float = Field(0.4, ge=0.0, le=2.0)  # animation in and out
    start: float = Field(0.5, ge=0.0)  # when the script's front-matter lower third comes in
    seconds: float = Field(6.0, gt=0.0)  # how long it stays


class TickerStyle(_Style):
    fill: Colour = "#0d1b3e"
    text: Colour = "#ffffff"
    label: str = "快讯"
    label_fill: Colour = "secondary"
    label_text: Colour = "#1c1e26"
    speed: float = Field(5.0, gt=0.0, le=40.0)  # characters per second (a CJK character counts as one)


class SubtitleStyle(_Style):
    text: Colour = "#ffffff"
    outline: Colour = "#0a0a0e"
    band: Colour = "#06080e"
    band_opacity: float = Field(0.5, ge=0.0, le=1.0)


class StingerStyle(_Style):
    seconds: float = Field(2.0, ge=0.0, le=10.0)  # 0 = none
    video: str | None = None  # a station's own ident video instead of the generated title card
    # title: the headline card; flash: the 快讯 sting (at most FLASH_MAX_SECONDS); question: a 问政 reply's
    # question card (up as long as reading the question takes, ``seconds`` at least)
    card: Literal["title", "flash", "question"] = "title"

    @model_validator(mode="after")
    def _short_sting(self):
        if self.card == "flash" and self.seconds > FLASH_MAX_SECONDS:
            raise ValueError(f"a flash sting lasts at most {FLASH_MAX_SECONDS} s")
        return self


class UrgentStyle(_Style):
    """The breaking-news band held in the ticker's place, and the colours of the flash sting."""

    label: str = "快讯"
    label_en: str = "BREAKING"
    fill: Colour = "primary"
    accent: Colour = "secondary"
    text: Colour = "#ffffff"
    label_text: Colour = "#1c1e26"


class DeskStyle(_Style):
    """Two anchors (双主播): how the vertical frame shows them. two-shot: both side by side all the time;
    cut: the one speaking alone in the anchor's place, cutting in the pause between turns (16:9 and 1:1 always
    seat both at the desk)."""

    vertical: Literal["two-shot", "cut"] = "two-shot"


class AILabelStyle(_Style):
    panel: Colour = "#0c0e16"
    text: Colour = "#ffffff"


class Template(_Style):
    name: str
    title: str = ""  # shown to producers, e.g. "新闻 · 红金"
    backdrop: Literal["studio", "plain"] = "studio"
    panel: Literal["slanted", "rounded"] = "slanted"
    headline: HeadlineStyle = HeadlineStyle()
    lower_third: LowerThirdStyle = LowerThirdStyle()
    ticker: TickerStyle = TickerStyle()
    subtitles: SubtitleStyle = SubtitleStyle()
    ai_label: AILabelStyle = AILabelStyle()
    intro: StingerStyle = StingerStyle(seconds=2.0)
    outro: StingerStyle = StingerStyle(seconds=1.6)
    urgent: UrgentStyle | None = None  # a breaking-news flash: the urgent band under the anchor
    desk: DeskStyle = DeskStyle()
    folder: Path = Path(".")  # where relative paths (stinger videos) are resolved


@dataclass(frozen=True)
class Look:
    """A template applied to a station: everything the graphics code needs to draw."""

    template: Template
    station: Station

    def rgb(self, colour: Colour) -> tuple[int, int, int]:
        """``colour`` (a brand colour name or #rrggbb) as an (r, g, b) tuple."""
        if colour in ("primary", "secondary", "backdrop"):
            return self.station.rgb(colour)
        return hex_to_rgb(colour)

    def stinger_video(self, which: str) -> Path | None:
        video = getattr(self.template, which).video
        if not video:
            return None
        path = Path(video).expanduser()
        return path if path.is_absolute() else self.template.folder / path


def list_templates() -> list[Template]:
    return [load_template(p.stem) for p in sorted(TEMPLATES_DIR.glob("*.yaml"))]


def load_template(name: str | None = None) -> Template:
    """The template called ``name`` (shipped) or at the YAML path ``name``; default "news"."""
    name = name or DEFAULT_TEMPLATE
    path = Path(name).expanduser() if name.endswith((".yaml", ".yml")) else TEMPLATES_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(TEMPLATES_DIR.glob("*.yaml")))
        raise InputError(f"找不到画面模板 {name!r}（可用：{known}）", f"unknown graphics template {name!r} (available: {known})")
    data = _extended(read_mapping(path, InputError, "画面模板", "template"), path)
    data["name"] = data.get("name") or path.stem
    template = validated(Template, {**data, "folder": path.parent}, path, InputError, "画面模板", "template")
    _check_colours(template, path)
    return template


def _extended(data: dict, path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """``extends: news`` (a shipped template's name or a YAML path beside this one): that template's
    settings with this file's over them, element by element, so a variant states only what differs."""
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if str(parent).endswith((".yaml", ".yml")):
        base = path.parent / Path(parent).expanduser()  # an absolute path stays itself
    else:
        base = TEMPLATES_DIR / f"{parent}.yaml"
    if not base.is_file():
        raise InputError(f"画面模板 {path.name} 的 extends: 找不到模板 {parent!r}",
                         f"template {path.name}: extends: unknown template {parent!r}")
    if base.resolve() in seen:
        raise InputError(f"画面模板 {path.name} 的 extends: 形成循环", f"template {path.name}: extends: goes in a circle")
    merged = _extended(read_mapping(base, InputError, "画面模板", "template"), base, (*seen, base.resolve()))
    merged.pop("name", None)
    for key, value in data.items():
        merged[key] = {**merged[key], **value} if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def load_look(template: str | None, station: Station) -> Look:
    return Look(load_template(template or station.template), station)


def _check_colours(template: Template, path: Path) -> None:
    for element in ("headline", "lower_third", "ticker", "subtitles", "ai_label", "urgent"):
        style = getattr(template, element)
        if style is None:
            continue
        for field, value in style.model_dump().items():
            if field in ("label",) or not isinstance(value, str) or field not in _COLOUR_FIELDS:
                continue
            if value in ("primary", "secondary", "backdrop"):
                continue
            if not is_colour(value):
                raise InputError(f"画面模板 {path.name} 中 {element}.{field}={value!r} 不是颜色",
                                 f"template {path.name}: {element}.{field}={value!r} is not a colour")


_COLOUR_FIELDS = {"fill", "accent", "text", "title_fill", "title_text", "label_fill", "label_text", "outline",
                  "band", "panel"}
