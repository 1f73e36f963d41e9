"""The render stage: compose each video frame from pre-rendered layers.

Everything that does not change is composed once: the studio backdrop, the
anchor at rest and the graphics that stay for the whole clip.  Timed graphics
(subtitle cues, the opening AI label, the lower third) are blended into that
picture only when the set of visible ones changes.  Per frame, only the mouth
and eye patches of the current pose are pasted, so a frame costs a few small
copies however long the clip is.

Timed sprites may come from a lazy iterator sorted by start time (subtitles are
drawn only when their cue comes up and dropped when it ends), so memory does not
grow with the length of the clip.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import Iterable, Iterator

import numpy as np

from .graphics import Sprite, blend
from .layout import Box
from .lipsync import Rig
from .performance import Performance


def compose_frames(backdrop: np.ndarray, rig: Rig, at: Box, performance: Performance,
                   sprites: list[Sprite], later: Iterable[Sprite] = ()) -> Iterator[np.ndarray]:
    """Yield every frame of the clip as an HxWx3 uint8 RGB array.

    ``sprites`` are drawn in list order; ``later`` (sorted by start time, drawn over
    ``sprites``) is consumed only as the clip reaches each one.  The same buffer is
    yielded each time: consume (encode) it before asking for the next frame.
    """
    fps = performance.fps
    still = backdrop.copy()
    still[at.y:at.y + at.h, at.x:at.x + at.w] = rig.base
    patch_rects = [(x + at.x, y + at.y, w, h) for x, y, w, h in rig.dirty_rects()]

    def over_patches(sprite: Sprite) -> bool:
        return any(_overlaps(sprite, *rect) for rect in patch_rects)

    permanent = [s for s in sprites if s.start <= 0 and math.isinf(s.end)]
    for sprite in permanent:
        blend(still, sprite)
    # (start, drawing order, sprite) for everything timed, merged lazily by start time
    order = itertools.count()
    timed = heapq.merge(
        sorted(((s.start, next(order), s) for s in sprites if s not in permanent), key=lambda e: e[:2]),
        ((s.start, len(sprites) + next(order), s) for s in later),
        key=lambda e: e[:2],
    )
    upcoming = next(timed, None)
    active: list[tuple[float, int, Sprite]] = []
    frame = still.copy()
    changed = True
    redraw: list[Sprite] = []  # graphics lying over a patch, blended again after it is pasted
    for i in range(len(performance)):
        t = i / fps
        while upcoming is not None and upcoming[0] <= t:
            active.append(upcoming)
            upcoming = next(timed, None)
            changed = True
        visible = [e for e in active if t < e[2].end]
        if len(visible) != len(active):
            active, changed = visible, True
        if changed:
            np.copyto(frame, still)
            drawn = [s for _, _, s in sorted(active, key=lambda e: e[1])]
            for sprite in drawn:
                blend(frame, sprite)
            redraw = [s for s in permanent + drawn if over_patches(s)]
            changed = False
        for x, y, patch in rig.patches(performance.pose(i)):
            h, w = patch.shape[:2]
            frame[y + at.y:y + at.y + h, x + at.x:x + at.x + w] = patch
        for sprite in redraw:
            blend(frame, sprite)
        yield frame


def _overlaps(sprite: Sprite, x: int, y: int, w: int, h: int) -> bool:
    sh, sw = sprite.rgb.shape[:2]
    return sprite.x < x + w and x < sprite.x + sw and sprite.y < y + h and y < sprite.y + sh
