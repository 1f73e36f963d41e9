"""The render stage: compose each video frame from the anchor and timed layers.

Three pictures are kept for the whole clip:

* ``under``: the studio backdrop with the anchor at rest;
* ``still``: ``under`` plus every layer that is visible and not moving right now,
  rebuilt only when that set changes (a subtitle cue comes or goes, a lower third
  settles, ...);
* the frame itself, which is ``still`` except inside *dirty rectangles*: the parts
  of the anchor a pose may change and the boxes of moving layers (ticker, a lower
  third sliding, B-roll, a stinger's fade).  Each dirty rectangle is redrawn from
  ``under``: anchor patches, then every visible layer over it in z order, starting
  from the topmost layer that hides it completely.

So a frame costs a few small copies and blends, however long the clip is, and the
same buffer is reused for every frame.  Timed layers may come from a lazy iterator
sorted by start time (subtitles are drawn when their cue comes up and dropped when
it ends), so memory does not grow with the clip's length.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from ..avatar import Performance, Rig
from ..graphics import Box, Layer, contains, intersect, paste


@dataclass(frozen=True)
class Seat:
    """One anchor in the frame: its rig, where it sits, and what it does in every frame."""

    rig: Rig
    at: Box
    performance: Performance


@dataclass(frozen=True)
class Shot:
    """From ``start`` (seconds) on, which seats are in the picture: a desk cutting to the one who speaks."""

    start: float
    seats: tuple[int, ...]


def compose_frames(backdrop: np.ndarray, seats: Sequence[Seat], layers: Iterable[Layer],
                   later: Iterable[Layer] = (), shots: Sequence[Shot] = ()) -> Iterator[np.ndarray]:
    """Yield every frame of the clip as an HxWx3 uint8 RGB array, with one anchor or two (a desk).

    ``layers`` may come in any order; ``later`` must be sorted by start time and is
    consumed only as the clip reaches each layer.  ``shots`` (sorted by start) cut between
    seats (the first holds from the first frame); without them every seat is in every frame.  The same buffer is yielded each
    time: consume (encode) it before asking for the next frame.
    """
    return (frame for frame, _ in compose_changes(backdrop, seats, layers, later, shots))


def compose_changes(backdrop: np.ndarray, seats: Sequence[Seat], layers: Iterable[Layer], later: Iterable[Layer] = (),
                    shots: Sequence[Shot] = ()) -> Iterator[tuple[np.ndarray, list[Box] | None]]:
    """:func:`compose_frames`, each frame with the boxes outside which it equals the frame before (None: anywhere)."""
    fps = seats[0].performance.fps
    height, width = backdrop.shape[:2]
    full = Box(0, 0, width, height)
    shots = list(shots) or [Shot(0.0, tuple(range(len(seats))))]
    shot = -1

    order = itertools.count()
    timed = heapq.merge(sorted(((layer.start, next(order), layer) for layer in layers), key=lambda e: e[:2]),
                        ((layer.start, next(order), layer) for layer in later), key=lambda e: e[:2])
    upcoming = next(timed, None)
    active: list[Layer] = []
    still = backdrop.copy()
    frame = backdrop.copy()
    still_set: tuple[int, ...] | None = None
    previous: list[Box] = []
    for i in range(len(seats[0].performance)):
        t = i / fps
        if shot < 0 or (shot + 1 < len(shots) and shots[shot + 1].start <= t):  # a cut: another picture under all
            shot += 1
            visible = [seats[k] for k in shots[shot].seats]
            under = _under(backdrop, visible)
            anchor_rects = [Box(x + s.at.x, y + s.at.y, w, h) for s in visible for x, y, w, h in s.rig.dirty_rects()]
            still_set = None
        while upcoming is not None and upcoming[0] <= t:
            active.append(upcoming[2])
            upcoming = next(timed, None)
        active = sorted((layer for layer in active if t < layer.end), key=lambda layer: layer.z)
        resting = tuple(id(layer) for layer in active if not layer.moving(t))
        if resting != still_set:
            np.copyto(still, under)
            for layer in active:
                if not layer.moving(t):
                    layer.draw(still, t, full)
            np.copyto(frame, still)
            still_set, previous, changed = resting, [], None
        else:
            changed = list(previous)
        for rect in previous:  # what moved last frame goes back to the still picture first
            frame[rect.y:rect.bottom, rect.x:rect.right] = still[rect.y:rect.bottom, rect.x:rect.right]
        dirty = anchor_rects + [layer.box for layer in active if layer.moving(t)]
        patches = [(x + seat.at.x, y + seat.at.y, pixels) for seat in visible
                   for x, y, pixels in seat.rig.patches(seat.performance.pose(i))]
        for rect in dirty:
            rect = intersect(rect, full)
            if rect is not None:
                _redraw(frame, rect, t, under, patches, active)
        previous = [r for r in dirty if intersect(r, full) is not None]
        yield frame, (None if changed is None else list(dict.fromkeys(changed + previous)))


@contextlib.contextmanager
def one_opencv_thread():
    """OpenCV on one thread while frames are composed and encoded: x264 keeps every core busy, and handing each
    small warp or blend to a second thread only added CPU (measured: 0.5 s of a 24 s clip's 8 s)."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


def _under(backdrop: np.ndarray, seats: Sequence[Seat]) -> np.ndarray:
    """The studio with these anchors at rest: what every frame of a shot is drawn over."""
    under = backdrop.copy()
    for seat in seats:
        under[seat.at.y:seat.at.bottom, seat.at.x:seat.at.right] = seat.rig.base
    return under


def _redraw(frame: np.ndarray, rect: Box, t: float, under: np.ndarray, patches, active: list[Layer]) -> None:
    """Draw ``rect`` of the frame from scratch: anchor, then the visible layers over it in z order."""
    covering = [k for k, layer in enumerate(active) if (s := layer.solid(t)) is not None and contains(s, rect)]
    first = covering[-1] if covering else 0
    if not covering:
        frame[rect.y:rect.bottom, rect.x:rect.right] = under[rect.y:rect.bottom, rect.x:rect.right]
        for x, y, pixels in patches:  # frame coordinates
            paste(frame, pixels, x, y, rect)
    for layer in active[first:]:
        if intersect(layer.box, rect) is not None:
            layer.draw(frame, t, rect)
