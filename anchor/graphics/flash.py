"""A breaking-news flash (快讯): the sting card that opens it, and the urgent band held under the anchor.

The ``flash`` template opens on :func:`flash_card` for at most a second (no title card:
the headline is on screen from the first frame after it) and keeps :func:`urgent_band_sprite`
in the ticker's place for the whole clip: the label (快讯) on the band's left, then the
station's name and the time the flash was made.
"""

from __future__ import annotations

import math

import numpy as np

from .canvas import Canvas, Sprite, polygon, shade
from .fonts import _centre_baseline, _fit, _font, text_px
from .layout import Layout
from .template import Look


def flash_card(layout: Layout, look: Look, language: str = "zh") -> np.ndarray:
    """The sting (HxWx3 uint8): the urgent label huge on the primary colour, crossed by two accent bars."""
    style = look.template.urgent
    label = style.label if language == "zh" else style.label_en
    W, H = layout.width, layout.height
    fill = look.rgb(style.fill)
    c = Canvas(W, H)
    c.paint(np.ones((H, W), np.float32), shade(fill, 0.8))
    band_h = H * 0.26
    top = H * 0.5 - band_h / 2
    c.paint(polygon(W, H, [(0, top), (W, top - H * 0.03), (W, top + band_h - H * 0.03), (0, top + band_h)]), fill)
    for y in (top - H * 0.02, top + band_h + H * 0.004):
        c.paint(polygon(W, H, [(0, y), (W, y - H * 0.03), (W, y - H * 0.03 + H * 0.012), (0, y + H * 0.012)]),
                look.rgb(style.accent))
    font = _fit(look, [label], int(min(band_h * 0.62, W * 0.3)), int(W * 0.8))
    ink = look.rgb(style.text)
    c.text((W - text_px(font, label)) / 2, H * 0.5 + font.size * 0.3, label, font, ink, shadow=(4, 5, 4.0, 0.45))
    name = look.station.name if language == "zh" else (look.station.name_en or look.station.name)
    small = _font(look, int(layout.short_side * 0.045))
    c.text((W - text_px(small, name)) / 2, top + band_h + H * 0.07, name, small, ink)
    return c.straight()


def urgent_band_sprite(layout: Layout, look: Look, made_at: str, language: str = "zh") -> Sprite:
    """The band in the ticker's place: the urgent label, then "<station> · <made_at>"."""
    style = look.template.urgent
    label = style.label if language == "zh" else style.label_en
    box = layout.ticker
    h = box.h
    c = Canvas(box.w, h)
    c.paint(np.ones((h, box.w), np.float32), look.rgb(style.fill))
    label_font = _font(look, int(h * 0.56))
    pad = int(h * 0.4)
    label_w = text_px(label_font, label) + 2 * pad
    c.paint(polygon(box.w, h, [(0, 0), (label_w + h * 0.3, 0), (label_w, h), (0, h)]), look.rgb(style.accent))
    c.text(pad * 0.8, _centre_baseline(label_font, label, h), label, label_font, look.rgb(style.label_text))
    name = look.station.name if language == "zh" else (look.station.name_en or look.station.name)
    text = f"{name} · {made_at}"
    font = _font(look, int(h * 0.48))
    c.text(label_w + h * 0.6, _centre_baseline(font, text, h), text, font, look.rgb(style.text))
    return c.sprite(box.x, box.y, 0.0, math.inf, kind="urgent_band")
