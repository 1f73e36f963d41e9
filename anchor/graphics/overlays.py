"""The broadcast package: every on-screen element, drawn once into sprites in the template's style.

Headline banner, station bug (logo or emblem), lower third, ticker band, subtitles,
the visible AI label with its persistent corner mark, and the intro/outro title
cards.  Each function reads a :class:`~anchor.template.Look` (a template applied to a
station's brand kit), so the same code draws the red-gold "news" look and the clean
"service" look.  Timing and animation belong to :mod:`anchor.layers`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFont

from ..errors import InputError
from .canvas import (
    Canvas, Sprite, blend, body_extent, fit_font, get_font, has_cjk_text, polygon, rounded_rect, shade, text_px,
    vgradient,
)
from .layout import Box, Layout
from .station import MIN_AI_LABEL_SECONDS
from .subtitles import Cue, wrap_text
from .template import Look

#: minimum ink height of the visible AI label as a share of the frame's short side (GB 45438-2025)
AI_LABEL_MIN_HEIGHT = 0.05


def _font(look: Look, size: int, weight: str = "bold") -> ImageFont.FreeTypeFont:
    return get_font(size, weight, _font_path(look, weight))


def _font_path(look: Look, weight: str) -> str | None:
    return look.station.font_bold if weight == "bold" else (look.station.font_regular or look.station.font_bold)


def _fit(look: Look, lines: list[str], size: int, max_w: int, weight: str = "bold", **kw) -> ImageFont.FreeTypeFont:
    return fit_font(lines, weight, size, max_w, path=_font_path(look, weight), **kw)


def _centre_baseline(font, text: str, height: float) -> float:
    top, bottom = body_extent(font, text)
    return (height - (bottom - top)) / 2 - top


# --------------------------------------------------------------------------- AI labels


def label_ink_px(layout: Layout) -> int:
    """Ink height the visible AI label is drawn at: 5% of the short side, plus a safety margin."""
    return math.ceil(AI_LABEL_MIN_HEIGHT * layout.short_side * 1.08)


def _font_for_ink(look: Look, text: str, ink: int) -> ImageFont.FreeTypeFont:
    """The smallest font whose rendered ``text`` is at least ``ink`` pixels tall (measured on the glyphs)."""
    size = ink
    while True:
        font = _font(look, size)
        bbox = font.getmask(text).getbbox()
        if bbox and bbox[3] - bbox[1] >= ink:
            return font
        size += 1


def ai_label_sprite(layout: Layout, look: Look, language: str = "zh", end: float | None = None) -> Sprite:
    """The big explicit AI label at the station's chosen top corner, from t=0 for at least
    ``ai_label_seconds`` (never under 2 s), its text at least 5% of the short side tall."""
    station, style = look.station, look.template.ai_label
    box = layout.label_at(station.ai_label_position)
    text = station.ai_label
    font = _font_for_ink(look, text, label_ink_px(layout))
    sub = "AI-generated content" if language != "zh" and not any(c.isascii() and c.islower() for c in text) else ""
    sub_font = _font(look, max(18, int(font.size * 0.36))) if sub else None
    pad_x, pad_y = int(font.size * 0.36), int(font.size * 0.26)
    top, bottom = body_extent(font, text)
    body = bottom - top
    text_w = text_px(font, text)
    sub_w = text_px(sub_font, sub) if sub else 0
    sub_h = int(sub_font.size * 1.35) if sub else 0
    accent = max(8, font.size // 8)
    w = max(text_w, sub_w) + 2 * pad_x + accent
    h = body + 2 * pad_y + sub_h
    c = Canvas(w + 8, h + 8)
    panel = rounded_rect(c.w, c.h, 0, 0, w, h, 10)
    c.paint(panel, look.rgb(style.panel), 0.86)
    c.paint(polygon(c.w, c.h, [(0, 0), (accent, 0), (accent, h), (0, h)]) * panel, station.rgb("primary"))
    # a thin border keeps the label readable on any background
    inner = rounded_rect(c.w, c.h, 1.5, 1.5, w - 1.5, h - 1.5, 9)
    border = (255, 255, 255) if sum(look.rgb(style.panel)) < 384 else (40, 44, 56)
    c.paint(np.clip(panel - inner, 0, 1), border, 0.35)
    c.text(accent + pad_x + (max(text_w, sub_w) - text_w) / 2, pad_y - top, text, font, look.rgb(style.text))
    if sub:
        c.text(accent + pad_x + (max(text_w, sub_w) - sub_w) / 2, pad_y + body + sub_h * 0.78, sub, sub_font,
               station.rgb("secondary") if sum(look.rgb(style.panel)) < 384 else station.rgb("primary"))
    seconds = max(station.ai_label_seconds, MIN_AI_LABEL_SECONDS)
    sx = box.right - w if box.x + box.w / 2 > layout.width / 2 else box.x
    sx = min(max(sx, 0), layout.width - c.w)
    sy = min(max(box.y, 0), layout.height - c.h)
    return c.sprite(sx, sy, 0.0, seconds if end is None else max(end, seconds), kind="label")


def corner_mark_sprite(layout: Layout, look: Look) -> Sprite:
    """The small persistent mark "AI生成 | station code", right-aligned in ``layout.corner_mark``."""
    station = look.station
    box = layout.corner_mark
    size = int(box.h * 0.46)
    label, code = station.ai_label, station.code
    font = _font(look, size)
    code_font = _font(look, int(size * 0.8), "regular")
    gap = int(size * 0.6)
    pad = int(box.h * 0.34)
    while True:
        lw, cw = text_px(font, label), text_px(code_font, code)
        total = pad + lw + gap + cw + pad
        if total <= box.w or code_font.size <= 12:
            break
        code_font = _font(look, code_font.size - 1, "regular")
        if code_font.size < size * 0.6:
            font = _font(look, max(12, font.size - 1))
    total = min(total, box.w)
    h = box.h
    c = Canvas(total, h)
    c.paint(rounded_rect(c.w, c.h, 0, 0, total, h, h / 2), (8, 10, 18), 0.58)
    baseline = _centre_baseline(font, label, h)
    c.text(pad, baseline, label, font, (255, 255, 255))
    sep_x = pad + lw + gap / 2
    c.paint(polygon(c.w, c.h, [(sep_x - 1, h * 0.28), (sep_x + 1, h * 0.28), (sep_x + 1, h * 0.72),
                               (sep_x - 1, h * 0.72)]), station.rgb("secondary"))
    c.text(pad + lw + gap, baseline, code, code_font, (225, 228, 235))
    return c.sprite(box.right - total, box.y, 0.0, math.inf, kind="corner_mark")


# --------------------------------------------------------------------------- station bug


def _logo(look: Look, height: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The station logo (RGB, alpha 0-1) scaled to ``height`` px, or None when the station has none."""
    path = look.station.logo
    if not path:
        return None
    try:
        with Image.open(path) as image:
            image = image.convert("RGBA")
            width = max(1, round(image.width * height / image.height))
            rgba = np.asarray(image.resize((width, height), Image.LANCZOS))
    except (OSError, ValueError) as e:
        raise InputError(f"台标图片无法读取：{path}", f"cannot read the station logo {path}: {e}") from None
    return rgba[..., :3], rgba[..., 3].astype(np.float32) / 255.0


def brand_sprite(layout: Layout, look: Look) -> Sprite:
    """The station bug: the logo (or an emblem with the station's first character), its name and English name."""
    station, template = look.station, look.template
    box = layout.brand
    h = box.h
    primary, secondary = station.rgb("primary"), station.rgb("secondary")
    logo = _logo(look, h)
    emblem = logo[0].shape[1] if logo is not None else h
    name_font = _fit(look, [station.name], int(h * 0.58), box.w - emblem - int(h * 1.2))
    en = station.name_en.upper()
    name_w = text_px(name_font, station.name)
    pad = int(h * 0.32)
    bar_w = pad + name_w + pad
    slant = int(h * 0.35) if template.panel == "slanted" else 0
    room = box.w - (emblem + bar_w + slant) - pad
    en_font = _fit(look, [en], max(12, int(h * 0.30)), room - pad, min_size=int(h * 0.22)) if en and room > h else None
    if en_font is None or text_px(en_font, en) > room - pad:
        en = ""
    en_w = text_px(en_font, en) + 2 * pad if en else 0
    total = min(box.w, emblem + bar_w + slant + en_w) if en else emblem + bar_w + slant
    c = Canvas(total, h)
    rounded = template.panel == "rounded"
    outline = rounded_rect(total, h, 0, 0, total, h, h * 0.22) if rounded else np.ones((h, total), np.float32)
    if logo is not None:
        rgb, alpha = logo
        plate = np.zeros((h, total), np.float32)
        plate[:, :emblem] = 1
        c.paint(plate * outline, (255, 255, 255), 0.92)
        layer = np.zeros((h, total), np.float32)
        layer[:, :emblem] = alpha
        colour = np.zeros((h, total, 3), np.float32)
        colour[:, :emblem] = rgb
        c.paint(layer * outline, colour)
    else:
        c.paint(polygon(total, h, [(0, 0), (emblem, 0), (emblem, h), (0, h)]) * outline,
                vgradient(total, h, shade(secondary, 1.2), shade(secondary, 0.82)))
        first = station.name[0]
        ef = _font(look, int(h * 0.62))
        c.text((emblem - text_px(ef, first)) / 2, _centre_baseline(ef, first, h), first, ef, primary)
    x0, x1 = emblem, emblem + bar_w
    bar = polygon(total, h, [(x0, 0), (x1 + slant, 0), (x1, h), (x0, h)]) * outline
    if rounded:
        c.paint(bar, primary)
    else:
        c.paint(bar, vgradient(total, h, shade(primary, 1.12), shade(primary, 0.72)))
    c.text(x0 + pad, _centre_baseline(name_font, station.name, h), station.name, name_font, (255, 255, 255),
           shadow=None if rounded else (1, 2, 1.5, 0.35))
    if en:
        ex0 = x1 + slant * 0.2
        c.paint(polygon(total, h, [(ex0, 0), (total, 0), (total, h), (ex0 - slant, h)]) * outline,
                (10, 12, 20) if not rounded else (255, 255, 255), 0.55 if not rounded else 0.9)
        c.text(x1 + slant + pad * 0.5, _centre_baseline(en_font, en, h), en, en_font,
               (235, 235, 240) if not rounded else (40, 44, 56))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="brand")


# --------------------------------------------------------------------------- headline


def _headline_geometry(box: Box) -> tuple[int, int, int]:
    accent = max(10, box.h // 14)
    pad_x = int(box.h * 0.16)
    return accent, pad_x, box.w - accent - 2 * pad_x - int(box.h * 0.2)


def headline_lines(title: str, layout: Layout, language: str = "zh", look: Look | None = None,
                   box: Box | None = None) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The font and (at most two, balanced) lines for a headline, the largest size that fits the banner."""
    box = box or layout.headline
    path = _font_path(look, "bold") if look else None
    _, _, avail = _headline_geometry(box)
    title = " ".join(title.split())
    max_size = int(box.h * 0.40)
    min_size = max(20, int(box.h * 0.18))
    size = max_size
    while True:
        font = get_font(size, "bold", path)
        per_line = avail / size if language == "zh" else avail / (size * 0.5)
        lines = wrap_text(title, language, max(1, int(per_line)))
        fits = (len(lines) <= 2 and all(text_px(font, ln) <= avail for ln in lines)
                and size * 1.28 * len(lines) <= box.h * 0.92)
        if fits or size <= min_size:
            break
        size -= 2
    if len(lines) > 2:  # a very long title: keep two lines and mark the cut
        lines = lines[:2]
        while text_px(font, lines[1] + "…") > avail and len(lines[1]) > 1:
            lines[1] = lines[1][:-1]
        lines[1] = lines[1].rstrip("，。、；,;: ") + "…"
    if len(lines) == 1 and size == max_size:
        font = fit_font(lines, "bold", int(box.h * 0.42), avail, path=path)
    return fit_font(lines, "bold", font.size, avail, path=path), lines


def headline_sprite(title: str, layout: Layout, look: Look, language: str = "zh", box: Box | None = None) -> Sprite:
    """The headline banner: up to two balanced lines of bold text in the template's colours."""
    box = box or layout.headline
    style, rounded = look.template.headline, look.template.panel == "rounded"
    fill, accent_rgb, ink = look.rgb(style.fill), look.rgb(style.accent), look.rgb(style.text)
    accent, pad_x, avail = _headline_geometry(box)
    font, lines = headline_lines(title, layout, language, look, box)
    w, h = box.w, box.h
    c = Canvas(w, h)
    if rounded:
        shape = rounded_rect(w, h, 0, 0, w, h, h * 0.16)
        c.paint(shape, (0, 0, 0), 0.10)  # a faint shadow line under a light card reads on light sets
        card = rounded_rect(w, h, 0, 0, w, h - 3, h * 0.16)
        c.paint(card, fill, 0.97)
        c.paint(polygon(w, h, [(0, 0), (accent, 0), (accent, h), (0, h)]) * card, accent_rgb)
    else:
        cut = int(h * 0.28)
        shape = polygon(w, h, [(0, 0), (w, 0), (w, h - cut), (w - cut, h), (0, h)])
        c.paint(shape, vgradient(w, h, shade(fill, 1.15), shade(fill, 0.62)))
        sheen = np.clip(1 - np.arange(h, dtype=np.float32)[:, None] / (h * 0.5), 0, 1) * np.ones((1, w), np.float32)
        c.paint(shape * sheen, (255, 255, 255), 0.10)
        c.paint(polygon(w, h, [(0, 0), (accent, 0), (accent, h), (0, h)]),
                vgradient(w, h, shade(accent_rgb, 1.15), shade(accent_rgb, 0.8)))
        c.paint(polygon(w, h, [(accent, h - 4), (w - cut, h - 4), (w - cut, h), (accent, h)]) * shape, accent_rgb, 0.9)
    top, bottom = body_extent(font, title)
    body = bottom - top
    line_h = max(body * 1.42, font.size * 1.22)
    block = line_h * (len(lines) - 1) + body
    y0 = (h - block) / 2 - top
    for k, line in enumerate(lines):
        lw = text_px(font, line)
        x = accent + pad_x + (avail - lw) / 2 if len(lines) == 1 else accent + pad_x
        c.text(x, y0 + k * line_h, line, font, ink, shadow=None if rounded else (2, 3, 2.0, 0.45))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="headline")


# --------------------------------------------------------------------------- lower third


def lower_third_sprite(name: str, title: str, layout: Layout, look: Look) -> Sprite:
    """Name over title, left-aligned in ``layout.lower_third``, in the template's style.

    The sprite is the lower third at rest; :class:`anchor.layers.LowerThirdLayer` slides it in and out.
    """
    box = layout.lower_third
    style, rounded = look.template.lower_third, look.template.panel == "rounded"
    name_h = int(box.h * (0.56 if title else 0.7))
    title_h = box.h - name_h if title else 0
    accent = max(8, box.h // 18)
    pad = int(name_h * 0.32)
    avail = box.w - accent - 2 * pad - 20
    name_font = _fit(look, [name], int(name_h * 0.56), avail)
    title_font = _fit(look, [title], int(title_h * 0.50), avail) if title else None
    name_w = text_px(name_font, name) + 2 * pad
    title_w = text_px(title_font, title) + 2 * pad if title else 0
    slant = 0 if rounded else int(name_h * 0.3)
    bar_w = min(box.w - accent - slant, max(name_w, title_w, int(box.w * 0.42)))
    fill, title_fill = look.rgb(style.fill), look.rgb(style.title_fill)
    c = Canvas(box.w, box.h)
    x0 = accent
    if rounded:
        card = rounded_rect(c.w, c.h, 0, 0, x0 + bar_w, box.h, min(18, box.h * 0.12))
        c.paint(card, fill, 0.97)
        if title:
            c.paint(card * (np.arange(box.h)[:, None] >= name_h), title_fill)
        c.paint(card * (np.arange(c.w)[None, :] < accent), look.rgb(style.accent))
    else:
        c.paint(polygon(c.w, c.h, [(x0, 0), (x0 + bar_w + slant, 0), (x0 + bar_w, name_h), (x0, name_h)]),
                vgradient(c.w, c.h, shade(fill, 1.15), shade(fill, 0.65), 0, name_h))
        if title:
            tw = min(box.w - accent, max(title_w, bar_w * 0.8))
            c.paint(polygon(c.w, c.h, [(x0, name_h), (x0 + tw, name_h), (x0 + tw - slant * (title_h / name_h), box.h),
                                       (x0, box.h)]),
                    vgradient(c.w, c.h, title_fill, shade(title_fill, 0.9), name_h, box.h))
        accent_rgb = look.rgb(style.accent)
        c.paint(polygon(c.w, c.h, [(0, 0), (accent, 0), (accent, box.h), (0, box.h)]),
                vgradient(c.w, c.h, shade(accent_rgb, 1.2), shade(accent_rgb, 0.8)))
    c.text(x0 + pad, _centre_baseline(name_font, name, name_h), name, name_font, look.rgb(style.text),
           shadow=None if rounded else (2, 2, 1.5, 0.4))
    if title:
        c.text(x0 + pad, name_h + _centre_baseline(title_font, title, title_h), title, title_font,
               look.rgb(style.title_text))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="lower_third")


# --------------------------------------------------------------------------- ticker


@dataclass(frozen=True)
class TickerArt:
    """The ticker's static band (background and label) and its scrolling text strip."""

    band: Sprite
    strip_rgb: np.ndarray  # HxWx3 uint8, one period of the loop: text then a gap
    strip_alpha: np.ndarray  # HxW float32
    window: Box  # where in the frame the text scrolls (right of the label)
    px_per_second: float


def ticker_art(text: str, layout: Layout, look: Look) -> TickerArt:
    """Draw the ticker band and one loop period of ``text`` (speed from the template, in characters per second)."""
    style, rounded = look.template.ticker, look.template.panel == "rounded"
    box = layout.ticker
    h = box.h
    font = _font(look, int(h * 0.52))
    label_font = _font(look, int(h * 0.48))
    pad = int(h * 0.4)
    label_w = text_px(label_font, style.label) + 2 * pad if style.label else 0
    c = Canvas(box.w, h)
    c.paint(np.ones((h, box.w), np.float32), look.rgb(style.fill), 0.92)
    if label_w:
        shape = (rounded_rect(box.w, h, 6, 6, label_w, h - 6, (h - 12) / 2) if rounded
                 else polygon(box.w, h, [(0, 0), (label_w + h * 0.3, 0), (label_w, h), (0, h)]))
        c.paint(shape, look.rgb(style.label_fill))
        c.text(pad if rounded else pad * 0.8, _centre_baseline(label_font, style.label, h), style.label, label_font,
               look.rgb(style.label_text))
    c.paint(polygon(box.w, h, [(0, 0), (box.w, 0), (box.w, 2), (0, 2)]), look.station.rgb("primary"), 0.9)
    band = c.sprite(box.x, box.y, kind="ticker")
    text = " ".join(text.split())
    gap = int(h * 2.5)
    width = text_px(font, text) + gap
    strip = Canvas(width, h)
    strip.text(gap // 2, _centre_baseline(font, text, h), text, font, look.rgb(style.text))
    chars = max(1, len(text.replace(" ", "")))
    px_per_char = (width - gap) / chars
    window = Box(box.x + label_w + int(h * 0.5), box.y, box.w - label_w - int(h * 0.5), h)
    return TickerArt(band, strip.straight(), strip.a.copy(), window, style.speed * px_per_char)


# --------------------------------------------------------------------------- subtitles


def _subtitle_font_size(layout: Layout, language: str) -> int:
    return int(layout.short_side * (0.050 if language == "zh" else 0.042))


def subtitle_sprites(cues: list[Cue], layout: Layout, look: Look, language: str | None = None) -> list[Sprite]:
    """One sprite per cue (see :func:`subtitle_sprite`); cues with no text are skipped."""
    sprites = (subtitle_sprite(cue, layout, look, language) for cue in cues)
    return [s for s in sprites if s is not None]


def subtitle_sprite(cue: Cue, layout: Layout, look: Look, language: str | None = None) -> Sprite | None:
    """Text with an outline and soft shadow on a translucent band, centred in ``layout.subtitles``;
    the font shrinks (never the frame) when a line is too wide."""
    style = look.template.subtitles
    box = layout.subtitles
    lines = [ln for ln in cue.lines if ln.strip()]
    if not lines:
        return None
    lang = language or ("zh" if any(has_cjk_text(ln) for ln in lines) else "en")
    stroke = max(2, layout.short_side // 360)
    pad_x = int(layout.short_side * 0.022)
    font = _fit(look, lines, _subtitle_font_size(layout, lang), box.w - 2 * pad_x - 2 * stroke, stroke=stroke)
    top, bottom = body_extent(font, "".join(lines))
    body = bottom - top
    line_h = int(max(body * 1.5, font.size * 1.22))
    while line_h * (len(lines) - 1) + body + 2 * stroke > box.h - 8 and font.size > 12:
        font = _font(look, font.size - 2)
        top, bottom = body_extent(font, "".join(lines))
        body = bottom - top
        line_h = int(max(body * 1.5, font.size * 1.22))
    widths = [text_px(font, ln, stroke) for ln in lines]
    pad_y = int(body * 0.30)
    band_w = min(box.w, max(widths) + 2 * pad_x)
    band_h = min(box.h, line_h * (len(lines) - 1) + body + 2 * pad_y)
    c = Canvas(band_w, band_h)
    c.paint(rounded_rect(band_w, band_h, 0, 0, band_w, band_h, min(14, band_h / 4)), look.rgb(style.band),
            style.band_opacity)
    y0 = (band_h - (line_h * (len(lines) - 1) + body)) / 2 - top
    for k, line in enumerate(lines):
        c.text((band_w - widths[k]) / 2 + stroke, y0 + k * line_h, line, font, look.rgb(style.text), stroke=stroke,
               stroke_colour=look.rgb(style.outline), shadow=(2, 3, 2.0, 0.5))
    x = box.x + (box.w - band_w) // 2
    y = box.y + (box.h - band_h) // 2
    return c.sprite(x, y, cue.start, cue.end, kind="subtitle")


# --------------------------------------------------------------------------- title cards


def title_card(layout: Layout, look: Look, title: str, language: str = "zh", closing: bool = False) -> np.ndarray:
    """A full-frame stinger card (HxWx3 uint8): the station bug large, and the headline (intro) or the
    station's name and "AI生成 · 出品" credit (outro), over the brand colours."""
    station = look.station
    W, H = layout.width, layout.height
    primary, backdrop, secondary = station.rgb("primary"), station.rgb("backdrop"), station.rgb("secondary")
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    diagonal = np.clip((xx / W + yy / H) / 2, 0, 1)[..., None]
    light = look.template.backdrop == "plain"
    top = np.asarray(shade(backdrop, 1.9) if light else shade(backdrop, 0.6), np.float32)
    bottom = np.asarray(shade(primary, 1.5) if light else shade(primary, 0.55), np.float32)
    img = top * (1 - diagonal) + bottom * diagonal
    c = Canvas(W, H)
    c.paint(np.ones((H, W), np.float32), img)
    stripe_y = H * 0.5
    c.paint(polygon(W, H, [(0, stripe_y - 6), (W, stripe_y - H * 0.06 - 6), (W, stripe_y - H * 0.06 + 6),
                           (0, stripe_y + 6)]), secondary, 0.9)
    ink = (24, 26, 34) if light else (255, 255, 255)
    name_font = _fit(look, [station.name], int(layout.short_side * 0.085), int(W * 0.86))
    c.text((W - text_px(name_font, station.name)) / 2, H * 0.40, station.name, name_font, ink,
           shadow=None if light else (3, 4, 3.0, 0.5))
    if closing:
        lines = ([f"{station.name}出品", "本视频由人工智能生成"] if language == "zh"
                 else [f"Produced by {station.name_en or station.name}", "This video is AI-generated"])
    else:
        lines = wrap_text(" ".join(title.split()), language, 14 if language == "zh" else 30)[:3]
    size = int(layout.short_side * 0.055)
    font = _fit(look, lines, size, int(W * 0.86))
    for k, line in enumerate(lines):
        c.text((W - text_px(font, line)) / 2, H * 0.58 + k * font.size * 1.35, line, font, ink)
    return c.straight()


def cover_image(frame: np.ndarray, layout: Layout, look: Look, title: str, language: str) -> np.ndarray:
    """A cover (HxWx3 uint8): the anchor frame darkened at the bottom, the headline large over it."""
    H, W = frame.shape[:2]
    out = frame.copy()
    shade_rows = np.clip((np.arange(H, dtype=np.float32) - H * 0.45) / (H * 0.4), 0, 1)[:, None, None] * 0.55
    out = (out.astype(np.float32) * (1 - shade_rows)).astype(np.uint8)
    box = Box(int(W * 0.05), int(H * (0.62 if H > W else 0.60)), int(W * 0.90), int(H * (0.16 if H > W else 0.24)))
    blend(out, headline_sprite(title, layout, look, language, box=box))
    blend(out, ai_label_sprite(layout, look, language))
    return out
