"""The words on screen: headline banner, lower third, ticker band, subtitles, the intro/outro title cards and
the cover, drawn once in the template's style.  Timing and animation belong to :mod:`anchor.graphics.layers`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import ImageFont

from .canvas import Canvas, Sprite, blend, polygon, rounded_rect, shade, vgradient
from .fonts import _centre_baseline, _fit, _font, _font_path, body_extent, fit_font, get_font, has_cjk_text, text_px
from .labels import _logo, ai_label_sprite
from .layout import Box, Layout
from .linebreak import wrap_text
from .subtitles import Cue
from .template import Look

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
    """A full-frame stinger card (HxWx3 uint8): the station's logo (when it has one) over its name, and the headline (intro) or the
    station's name and its credit line (outro: ``station.credit``, by default "<name>出品"), over the brand
    colours."""
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
    if (logo := _logo(look, int(layout.short_side * 0.16))) is not None:  # the station's own mark, above its name
        rgb, alpha = logo
        h, w = alpha.shape
        top_of_name = H * 0.40 - name_font.size * 1.15
        x, y = max((W - w) // 2, 0), max(int(top_of_name - h - layout.short_side * 0.03), 0)
        w, h = min(w, W - x), min(h, H - y)
        mask, colour = np.zeros((H, W), np.float32), np.zeros((H, W, 3), np.float32)
        mask[y:y + h, x:x + w], colour[y:y + h, x:x + w] = alpha[:h, :w], rgb[:h, :w]
        c.paint(mask, colour)
    c.text((W - text_px(name_font, station.name)) / 2, H * 0.40, station.name, name_font, ink,
           shadow=None if light else (3, 4, 3.0, 0.5))
    if closing:
        notice = "本视频由人工智能生成" if language == "zh" else "This video is AI-generated"
        lines = [station.credit_line(language), notice]
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
