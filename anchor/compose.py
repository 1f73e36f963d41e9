"""The render stage: compose each video frame from pre-rendered layers.

Everything that does not change is composed once: the studio backdrop, the
anchor at rest and the graphics that stay for the whole clip.  Timed graphics
(subtitle cues, the opening AI label, the lower third) are blended into that
picture only when the set of visible ones changes.  Per frame, only the mouth
and eye patches of the current pose are pasted, so a frame costs a few small
copies however long the clip is.
"""

from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from .graphics import Sprite, blend
from .layout import Box
from .lipsync import Rig
from .performance import Performance


def compose_frames(backdrop: np.ndarray, rig: Rig, at: Box, performance: Performance,
                   sprites: list[Sprite]) -> Iterator[np.ndarray]:
    """Yield every frame of the clip as an HxWx3 uint8 RGB array.

    The same buffer is yielded each time: consume (encode) it before asking for
    the next frame.
    """
    fps = performance.fps
    still = backdrop.copy()
    still[at.y:at.y + at.h, at.x:at.x + at.w] = rig.base
    patch_rects = [(x + at.x, y + at.y, p.shape[1], p.shape[0]) for x, y, p in rig.patches(performance.pose(0))]

    def over_patches(sprite: Sprite) -> bool:
        return any(_overlaps(sprite, *rect) for rect in patch_rects)

    permanent: list[Sprite] = []
    timed: list[Sprite] = []
    for sprite in sprites:
        (permanent if sprite.start <= 0 and math.isinf(sprite.end) else timed).append(sprite)
    for sprite in permanent:
        blend(still, sprite)
    frame = still.copy()
    showing: tuple[int, ...] | None = None
    redraw: list[Sprite] = []  # graphics lying over a patch, blended again after it is pasted
    for i in range(len(performance)):
        t = i / fps
        visible = tuple(k for k, s in enumerate(timed) if s.start <= t < s.end)
        if visible != showing:
            np.copyto(frame, still)
            for k in visible:
                blend(frame, timed[k])
            redraw = [s for s in permanent + [timed[k] for k in visible] if over_patches(s)]
            showing = visible
        for x, y, patch in rig.patches(performance.pose(i)):
            h, w = patch.shape[:2]
            frame[y + at.y:y + at.y + h, x + at.x:x + at.x + w] = patch
        for sprite in redraw:
            blend(frame, sprite)
        yield frame


def _overlaps(sprite: Sprite, x: int, y: int, w: int, h: int) -> bool:
    sh, sw = sprite.rgb.shape[:2]
    return sprite.x < x + w and x < sprite.x + sw and sprite.y < y + h and y < sprite.y + sh
