"""The station's marks on screen: the visible AI label with its persistent corner mark, and the station
bug (logo or emblem, name, English name), each drawn once into a sprite in the template's style."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFont

from ..errors import InputError
from .canvas import Canvas, Sprite, polygon, rounded_rect, shade, vgradient
from .fonts import _centre_baseline, _fit, _font, body_extent, text_px
from .layout import Layout
from .station import MIN_AI_LABEL_SECONDS
from .template import Look

#: minimum ink height of the visible AI label as a share of the frame's short side (GB 45438-2025)
AI_LABEL_MIN_HEIGHT = 0.05


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


# --------------------------------------------------------------------------- live channel
def live_mark_sprite(layout: Layout, look: Look, clock: str) -> Sprite:
    """A live channel's mark: a red "直播 LIVE" pill and the time of day, right-aligned with the corner mark
    (above it where the frame has room, else under it)."""
    corner = layout.corner_mark
    h = corner.h
    font, clock_font = _font(look, int(h * 0.46)), _font(look, int(h * 0.42), "regular")
    live, pad = "直播 LIVE", int(h * 0.34)
    live_w = pad + text_px(font, live) + pad
    clock_w = pad + text_px(clock_font, "00:00:00") + pad
    c = Canvas(live_w + clock_w, h)
    c.paint(rounded_rect(c.w, c.h, 0, 0, c.w, h, h / 2), (8, 10, 18), 0.62)
    c.paint(rounded_rect(c.w, c.h, 0, 0, live_w, h, h / 2), (214, 28, 36))
    c.text(pad, _centre_baseline(font, live, h), live, font, (255, 255, 255))
    c.text(live_w + pad, _centre_baseline(clock_font, clock, h), clock, clock_font, (235, 238, 245))
    y = corner.y - h - 12 if corner.y - h - 12 >= 16 else corner.bottom + 12
    return c.sprite(corner.right - c.w, y, 0.0, math.inf, kind="live_mark")
