"""A story's plan laid out for one aspect: the studio with its anchor, the timed layers, the cover.

The graphics stage draws each element; this module decides which ones a clip gets
and when (from the :class:`~anchor.render.plan.Plan`), so the compositor only ever
sees layers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator, Sequence

import cv2
import numpy as np

from ..avatar import AvatarPack, Rig
from ..errors import InputError
from ..graphics import (
    Z_AI_LABEL, Z_BRAND, Z_BROLL_FULL, Z_BROLL_PIP, Z_CORNER_MARK, Z_DESK, Z_HEADLINE, Z_SUBTITLES, Z_TICKER,
    Box, ImageBRoll, Layer, Layout, Look, LowerThirdLayer, Sprite, SpriteLayer, Stinger, TickerLayer, VideoBRoll,
    ai_label_sprite, blend, brand_sprite, corner_mark_sprite, cover_image, desk_sprite, flash_card, headline_sprite,
    lower_third_sprite, pip_frame, question_card, studio_background, subtitle_sprite, ticker_art, title_card,
    urgent_band_sprite, video_duration,
)
from ..script import Script
from .plan import Plan

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def studio_set(layout: Layout, look: Look, avatars: Sequence[AvatarPack],
               cut: bool = False) -> tuple[np.ndarray, list[tuple[Rig, Box]]]:
    """The studio backdrop for ``layout``, and each anchor prepared over its seat (one, or two at a desk;
    ``cut``: both in the one anchor's place, for a desk that cuts between them)."""
    backdrop = studio_background(layout, look)
    return backdrop, [(avatar.rig(np.ascontiguousarray(backdrop[box.y:box.bottom, box.x:box.right])), box)
                      for avatar, box in zip(avatars, layout.seats(len(avatars), cut))]


def scene_layers(story: Script, layout: Layout, look: Look, plan: Plan) -> list[Layer]:
    """Every layer of the clip but the subtitles: branding, headline, labels, lower thirds, ticker, B-roll, stingers."""
    language = story.language
    layers: list = []
    desk = desk_sprite(layout, look)
    if desk is not None:
        layers.append(SpriteLayer(desk, Z_DESK))
    layers += [SpriteLayer(brand_sprite(layout, look), Z_BRAND),
               SpriteLayer(headline_sprite(story.title, layout, look, language), Z_HEADLINE),
               SpriteLayer(ai_label_sprite(layout, look, language), Z_AI_LABEL),
               SpriteLayer(corner_mark_sprite(layout, look), Z_CORNER_MARK)]
    for lt, start, end in plan.lower_thirds:
        layers.append(LowerThirdLayer(lower_third_sprite(lt.name, lt.title, layout, look), start, end,
                                      look.template.lower_third.slide_seconds))
    if look.template.urgent is not None and not plan.tickers:  # a flash: the urgent band where a ticker would run
        made_at = time.strftime("%H:%M")
        layers.append(SpriteLayer(urgent_band_sprite(layout, look, made_at, language), Z_TICKER))
    for text, start, end in plan.tickers:
        art = ticker_art(text, layout, look)
        strip = Sprite(art.strip_rgb, art.strip_alpha, 0, 0, kind="ticker_text")
        layers.append(TickerLayer(art.band, strip, art.window, art.px_per_second, start, end))
    for broll, start, end in plan.brolls:
        full = broll.mode == "full"
        target = layout.full if full else layout.pip
        border = None if full else pip_frame(target)
        z = Z_BROLL_FULL if full else Z_BROLL_PIP
        if broll.path.suffix.lower() in IMAGE_SUFFIXES:
            layers.append(ImageBRoll(read_image(broll.path), target, start, end, z, frame_sprite=border))
        else:
            layers.append(VideoBRoll(broll.path, target, start, end, broll.start, broll.end, z, border))
    layers += _stingers(story, layout, look, plan)
    return layers


def subtitle_layers(cues, layout: Layout, look: Look, language: str) -> Iterator[Layer]:
    """The subtitle cues as layers, drawn one at a time as the clip reaches them."""
    return (SpriteLayer(s, Z_SUBTITLES) for cue in cues
            if (s := subtitle_sprite(cue, layout, look, language)) is not None)


def _stingers(story: Script, layout: Layout, look: Look, plan: Plan) -> list:
    timing = plan.timing
    out = []
    for which, start, end in (("intro", 0.0, timing.intro), ("outro", timing.outro_at, timing.duration)):
        if end - start <= 0:
            continue
        video = look.stinger_video(which)
        if video is not None:
            out.append(Stinger(start, end, video=VideoBRoll(video, layout.full, start, end), fade=0))
        elif getattr(look.template, which).card == "question" and story.question is not None:
            out.append(Stinger(start, end, card=question_card(layout, look, story.question, story.language),
                               fade=min(0.4, (end - start) / 3), fade_in=which == "outro", fade_out=which == "intro"))
        elif getattr(look.template, which).card == "flash":  # the 快讯 sting: cut in, a short fade out
            out.append(Stinger(start, end, card=flash_card(layout, look, story.language), fade=min(0.2, end - start),
                               fade_in=which == "outro", fade_out=which == "intro"))
        else:
            card = title_card(layout, look, story.title, story.language, closing=which == "outro")
            out.append(Stinger(start, end, card=card, fade=min(0.4, (end - start) / 3),
                               fade_in=which == "outro", fade_out=which == "intro"))
    return out


def cover_frame(backdrop: np.ndarray, rigs: Sequence[tuple[Rig, Box]], layout: Layout, look: Look,
                story: Script) -> np.ndarray:
    """The clip's cover picture: the anchors at rest in the studio, branded, with the headline large."""
    frame = backdrop.copy()
    for rig, box in rigs:
        frame[box.y:box.y + box.h, box.x:box.x + box.w] = rig.base
    for sprite in (desk_sprite(layout, look), brand_sprite(layout, look), corner_mark_sprite(layout, look)):
        if sprite is not None:
            blend(frame, sprite)
    return cover_image(frame, layout, look, story.title, story.language)


def check_broll(story: Script) -> None:
    """Every B-roll cue's file opens, or an :class:`InputError` naming the paragraph and the cue."""
    for cue in story.cues:
        if cue.kind == "broll":
            _check_broll(cue)


def _check_broll(cue) -> None:
    path = cue.value.path
    where = f"第 {cue.paragraph + 1} 段的画面提示 {cue.source}", f"the B-roll cue {cue.source} (paragraph {cue.paragraph + 1})"
    if not path.is_file():
        raise InputError(f"{where[0]}：找不到文件 {path}", f"{where[1]}: file not found: {path}")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if read_image(path) is None:
            raise InputError(f"{where[0]}：图片无法读取 {path}", f"{where[1]}: cannot read the image {path}")
        return
    try:
        video_duration(path)
    except InputError as e:
        raise InputError(f"{where[0]}：{e.zh}", f"{where[1]}: {e.en}") from None


def read_image(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
