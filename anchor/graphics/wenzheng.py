"""A 问政 reply's question card: the citizen's question as received, opening the clip before the anchor replies.

The card is what a viewer reads on a phone, so the question is set large (at least
:data:`MIN_TEXT` of the frame's short side, shrinking only for a long question), with the
platform it came in on, who asked and when, its status as a coloured badge, and the
department that answers.  It stays up long enough to be read (:func:`question_seconds`).
"""

from __future__ import annotations

import numpy as np

from ..script import Question
from .canvas import Canvas, rounded_rect, shade, vgradient
from .fonts import _centre_baseline, _fit, _font, text_px
from .layout import Layout
from .linebreak import wrap_text
from .template import Look

READ_CHARS_PER_SECOND = 6.0  # a viewer reading Chinese on a phone
MAX_TEXT, MIN_TEXT = 0.062, 0.045  # the question's font size, of the short side
MAX_LINES = 9
STATUS_COLOURS = {"已办结": (34, 139, 84), "办理中": (222, 128, 24), "已受理": (44, 100, 182)}


def question_seconds(question: Question, shortest: float, longest: float = 12.0) -> float:
    """How long the card stays up: time to read the question, between ``shortest`` and ``longest``."""
    return float(min(max(shortest, 1.5 + len(question.text) / READ_CHARS_PER_SECOND), longest))


def question_card(layout: Layout, look: Look, question: Question, language: str = "zh") -> np.ndarray:
    """The full-frame card (HxWx3 uint8)."""
    W, H = layout.width, layout.height
    short = layout.short_side
    primary = look.station.rgb("primary")
    c = Canvas(W, H)
    c.paint(np.ones((H, W), np.float32), vgradient(W, H, shade(look.station.rgb("backdrop"), 1.3),
                                                   shade(look.station.rgb("backdrop"), 0.7)))
    margin = int(short * 0.06)
    top = layout.label.bottom + margin // 2  # below the big AI label, which is drawn over every card
    card_x0, card_x1, card_y1 = margin, W - margin, H - margin * 1.5
    c.paint(rounded_rect(W, H, card_x0, top, card_x1, card_y1, short * 0.03), (250, 250, 247))
    # header: "网友提问" and the platform, on the station's colour
    header_h = int(short * 0.11)
    c.paint(rounded_rect(W, H, card_x0, top, card_x1, top + header_h, short * 0.03), primary)
    c.paint(rounded_rect(W, H, card_x0, top + header_h * 0.5, card_x1, top + header_h, 0), primary)
    head = "网友提问" if language == "zh" else "A citizen asks"
    head_font = _font(look, int(header_h * 0.5))
    pad = int(short * 0.04)
    c.text(card_x0 + pad, top + _centre_baseline(head_font, head, header_h), head, head_font, (255, 255, 255))
    if question.channel:
        ch_font = _font(look, int(header_h * 0.36), "regular")
        c.text(card_x1 - pad - text_px(ch_font, question.channel), top + _centre_baseline(ch_font, question.channel,
                                                                                         header_h),
               question.channel, ch_font, (255, 255, 255))
    # who asked and when, then the status badge
    y = top + header_h + pad
    meta_font = _font(look, int(short * 0.032), "regular")
    meta = " · ".join(v for v in (question.asker, question.date) if v)
    if meta:
        c.text(card_x0 + pad, y + meta_font.size, meta, meta_font, (96, 100, 112))
    badge_font = _font(look, int(short * 0.034))
    badge_w = text_px(badge_font, question.status) + int(short * 0.04)
    badge_h = int(badge_font.size * 1.6)
    bx1 = card_x1 - pad
    c.paint(rounded_rect(W, H, bx1 - badge_w, y - badge_h * 0.15, bx1, y + badge_h * 0.85, badge_h / 2),
            STATUS_COLOURS.get(question.status, primary))
    c.text(bx1 - badge_w + int(short * 0.02), y - badge_h * 0.15 + _centre_baseline(badge_font, question.status,
                                                                                     badge_h),
           question.status, badge_font, (255, 255, 255))
    # the question itself, large
    y += badge_h + pad
    answer_h = int(short * 0.12)
    room_w, room_h = card_x1 - card_x0 - 2 * pad, card_y1 - answer_h - y - pad
    lines, font = _question_lines(look, question.text, language, short, room_w, room_h)
    for k, line in enumerate(lines):
        c.text(card_x0 + pad, y + font.size * (1 + k * 1.45), line, font, (28, 30, 38))
    # who answers
    rule_y = card_y1 - answer_h
    c.paint(rounded_rect(W, H, card_x0 + pad, rule_y, card_x1 - pad, rule_y + 3, 0), (220, 220, 214))
    label = f"答复单位：{question.department}" if language == "zh" else f"Answered by {question.department}"
    dept_font = _fit(look, [label], int(short * 0.04), int(room_w))
    c.text(card_x0 + pad, rule_y + _centre_baseline(dept_font, label, answer_h), label, dept_font, primary)
    return c.straight()


def _question_lines(look: Look, text: str, language: str, short: int, width: float, height: float):
    """The question wrapped at the largest size between MAX_TEXT and MIN_TEXT that fits the room."""
    size = int(short * MAX_TEXT)
    while True:
        font = _font(look, size, "regular")
        per_line = max(4, int(width / max(1, text_px(font, "国"))))
        lines = wrap_text(text, language, per_line if language == "zh" else per_line * 2)
        fits = len(lines) * size * 1.45 <= height and len(lines) <= MAX_LINES
        if fits or size <= int(short * MIN_TEXT):
            break
        size -= 2
    if not fits:  # a very long question: what fits, ending in an ellipsis (the full text is in the JSON)
        keep = max(1, min(MAX_LINES, int(height / (size * 1.45))))
        lines = lines[:keep - 1] + [lines[keep - 1][:-1] + "…"] if len(lines) > keep else lines
    return lines, font
