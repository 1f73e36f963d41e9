"""Timed layers of the picture: what is drawn over the anchor, when, and whether it moves.

A layer has a z order, a time span, the box it may cover, and ``draw(frame, t, clip)``.
``moving(t)`` tells the compositor whether its look changes from frame to frame at
``t``; layers that are still are drawn once into a cached picture, moving ones are
redrawn every frame only inside their box (see :mod:`anchor.render.compose`).

* :class:`SpriteLayer` — a pre-rendered graphic (headline, bug, subtitles, labels);
* :class:`LowerThirdLayer` — slides in and out;
* :class:`TickerLayer` — scrolls its text at the template's speed, looping;
* :class:`ImageBRoll` — a still with a slow Ken Burns move (full frame or picture-in-picture);
* :class:`VideoBRoll` — a muted clip, trimmed and looped to fill its paragraph;
* :class:`Stinger` — an intro/outro: a title card that fades, or the station's own video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..errors import InputError
from .canvas import Canvas, Sprite, blend, rounded_rect
from .layout import Box

# drawing order, bottom to top (the anchor itself is below everything)
Z_DESK, Z_BROLL_FULL, Z_BROLL_PIP, Z_BRAND, Z_HEADLINE, Z_LOWER_THIRD, Z_TICKER, Z_SUBTITLES = 2, 5, 8, 30, 40, 50, 55, 60
Z_STINGER, Z_AI_LABEL, Z_CORNER_MARK = 90, 100, 101


class Layer(Protocol):
    z: int
    start: float
    end: float
    box: Box  # the most it may cover, in frame pixels

    def moving(self, t: float) -> bool: ...

    def solid(self, t: float) -> Box | None:
        """The part of the frame it hides completely at ``t`` (nothing under it needs drawing)."""
        ...

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None: ...


def intersect(a: Box, b: Box) -> Box | None:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1, y1 = min(a.right, b.right), min(a.bottom, b.bottom)
    return Box(x0, y0, x1 - x0, y1 - y0) if x0 < x1 and y0 < y1 else None


def contains(outer: Box, inner: Box) -> bool:
    return outer.x <= inner.x and outer.y <= inner.y and outer.right >= inner.right and outer.bottom >= inner.bottom


def paste(frame: np.ndarray, pixels: np.ndarray, x: int, y: int, clip: Box) -> None:
    """Copy opaque ``pixels`` into ``frame`` at (x, y), only inside ``clip``."""
    part = intersect(Box(x, y, pixels.shape[1], pixels.shape[0]), clip)
    if part is not None:
        frame[part.y:part.bottom, part.x:part.right] = pixels[part.y - y:part.bottom - y, part.x - x:part.right - x]


@dataclass(eq=False, frozen=True)
class SpriteLayer:
    sprite: Sprite
    z: int

    @property
    def start(self) -> float:
        return self.sprite.start

    @property
    def end(self) -> float:
        return self.sprite.end

    @property
    def box(self) -> Box:
        return self.sprite.box

    def moving(self, t: float) -> bool:
        return False

    def solid(self, t: float) -> Box | None:
        return None

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        blend(frame, self.sprite, clip)


def _ease(p: float) -> float:
    p = min(max(p, 0.0), 1.0)
    return 1 - (1 - p) ** 3


@dataclass(eq=False, frozen=True)
class LowerThirdLayer:
    """A lower third that slides in from the left edge and back out, fading as it goes."""

    sprite: Sprite
    start: float
    end: float
    slide: float = 0.4
    z: int = Z_LOWER_THIRD

    @property
    def box(self) -> Box:
        return Box(0, self.sprite.y, self.sprite.x + self.sprite.width, self.sprite.height)

    def _shown(self, t: float) -> float:
        """1 fully in place, 0 fully out."""
        if self.slide <= 0:
            return 1.0
        return min(_ease((t - self.start) / self.slide), _ease((self.end - t) / self.slide))

    def moving(self, t: float) -> bool:
        return self._shown(t) < 1.0

    def solid(self, t: float) -> Box | None:
        return None

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        shown = self._shown(t)
        offset = round((1 - shown) * (self.sprite.x + self.sprite.width))
        blend(frame, self.sprite, clip, x=self.sprite.x - offset, opacity=shown)


@dataclass(eq=False, frozen=True)
class TickerLayer:
    """The ticker band with ``strip`` (one loop period of text) scrolling right to left through ``window``."""

    band: Sprite
    strip: Sprite
    window: Box
    px_per_second: float
    start: float
    end: float
    z: int = Z_TICKER

    @property
    def box(self) -> Box:
        return self.band.box

    def moving(self, t: float) -> bool:
        return True

    def solid(self, t: float) -> Box | None:
        return None

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        blend(frame, self.band, clip)
        inside = intersect(self.window, clip)
        if inside is None:
            return
        period = self.strip.width
        # the text enters at the window's right edge at ``start`` and keeps coming round
        head = self.window.right - int((t - self.start) * self.px_per_second)
        first = head if head > self.window.x else head + math.ceil((self.window.x - head) / period) * period - period
        x = first
        while x < self.window.right:
            if x + period > self.window.x:
                blend(frame, self.strip, inside, x=x, y=self.window.y)
            x += period


def _cover(image: np.ndarray, w: int, h: int) -> np.ndarray:
    """``image`` scaled to cover w x h and centre-cropped."""
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih)
    resized = cv2.resize(image, (max(w, round(iw * scale)), max(h, round(ih * scale))),
                         interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    y0, x0 = (resized.shape[0] - h) // 2, (resized.shape[1] - w) // 2
    return np.ascontiguousarray(resized[y0:y0 + h, x0:x0 + w])


def pip_frame(box: Box) -> Sprite:
    """A white rounded border with a soft shadow around a picture-in-picture window."""
    pad = 14
    c = Canvas(box.w + 2 * pad, box.h + 2 * pad)
    outer = rounded_rect(c.w, c.h, pad - 6, pad - 6, pad + box.w + 6, pad + box.h + 6, 14)
    shadow = cv2.GaussianBlur(rounded_rect(c.w, c.h, pad - 2, pad + 2, pad + box.w + 2, pad + box.h + 6, 14), (0, 0), 5)
    hole = rounded_rect(c.w, c.h, pad, pad, pad + box.w, pad + box.h, 8)
    c.paint(np.clip(shadow - hole, 0, 1), (0, 0, 0), 0.45)
    c.paint(np.clip(outer - hole, 0, 1), (255, 255, 255), 0.95)
    return c.sprite(box.x - pad, box.y - pad)


@dataclass(eq=False, frozen=True)
class ImageBRoll:
    """A still shown from ``start`` to ``end`` with a slow push-in (Ken Burns), in ``target``."""

    image: np.ndarray  # RGB, any size
    target: Box
    start: float
    end: float
    z: int = Z_BROLL_FULL
    zoom: float = 1.10  # scale at the end relative to the start
    frame_sprite: Sprite | None = None  # border for picture-in-picture
    _canvas: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        # scaled once to cover the box at the final zoom; each frame is one affine resample of it
        object.__setattr__(self, "_canvas", _cover(self.image, math.ceil(self.target.w * self.zoom),
                                                  math.ceil(self.target.h * self.zoom)))

    @property
    def box(self) -> Box:
        return self.frame_sprite.box if self.frame_sprite is not None else self.target

    def moving(self, t: float) -> bool:
        return True

    def solid(self, t: float) -> Box | None:
        return self.target

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        p = min(max((t - self.start) / max(self.end - self.start, 1e-3), 0.0), 1.0)
        scale = (1.0 + (self.zoom - 1.0) * p) / self.zoom  # canvas pixels -> box pixels
        ch, cw = self._canvas.shape[:2]
        box = self.target
        # zoom about a point that drifts slightly right and up as the move goes on
        cx, cy = cw * (0.5 + 0.03 * p), ch * (0.5 - 0.02 * p)
        m = np.float32([[scale, 0, box.w / 2 - cx * scale], [0, scale, box.h / 2 - cy * scale]])
        picture = cv2.warpAffine(self._canvas, m, (box.w, box.h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT)
        if self.frame_sprite is not None:
            blend(frame, self.frame_sprite, clip)
        paste(frame, picture, box.x, box.y, clip)


class VideoBRoll:
    """A muted video clip from ``trim_start`` to ``trim_end`` of its file, looped from ``start`` to ``end``."""

    def __init__(self, path: Path, target: Box, start: float, end: float, trim_start: float = 0.0,
                 trim_end: float | None = None, z: int = Z_BROLL_FULL, frame_sprite: Sprite | None = None):
        self.path, self.target, self.start, self.end, self.z = Path(path), target, start, end, z
        self.trim_start = trim_start
        self.frame_sprite = frame_sprite
        self.duration = video_duration(self.path)
        self.trim_end = min(trim_end, self.duration) if trim_end is not None else self.duration
        if self.trim_end - self.trim_start < 0.04:
            raise InputError(f"视频素材截取区间太短或超出长度：{path}", f"the trim of {path} is empty or past its end")
        self._container = None
        self._frames = None
        self._current: np.ndarray | None = None
        self._current_t = -math.inf
        self._next: tuple[float, np.ndarray] | None = None

    @property
    def box(self) -> Box:
        return self.frame_sprite.box if self.frame_sprite is not None else self.target

    def moving(self, t: float) -> bool:
        return True

    def solid(self, t: float) -> Box | None:
        return self.target

    def _open(self):
        import av

        self.close()
        self._container = av.open(str(self.path))
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        if self.trim_start > 0:
            self._container.seek(int(self.trim_start / stream.time_base), stream=stream, backward=True)
        self._frames = ((float(f.time or 0.0), f) for f in self._container.decode(stream))
        self._current, self._current_t, self._next = None, -math.inf, None

    def close(self):
        if self._container is not None:
            self._container.close()
            self._container = None

    def _picture_at(self, source_t: float) -> np.ndarray:
        """The frame showing at ``source_t`` (seconds into the file), decoding forward only."""
        if self._frames is None or source_t < self._current_t:
            self._open()
        while True:
            if self._next is None:
                self._next = next(self._frames, None)
                if self._next is None:  # ran off the end: hold the last picture
                    break
            when, decoded = self._next
            if when > source_t + 1e-3 and self._current is not None:
                break
            self._current = _cover(decoded.to_ndarray(format="rgb24"), self.target.w, self.target.h)
            self._current_t = when
            self._next = None
        return self._current

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        length = self.trim_end - self.trim_start
        source_t = self.trim_start + ((t - self.start) % length)
        picture = self._picture_at(source_t)
        if self.frame_sprite is not None:
            blend(frame, self.frame_sprite, clip)
        if picture is not None:
            paste(frame, picture, self.target.x, self.target.y, clip)


def video_duration(path: Path) -> float:
    """Seconds of video in ``path``; an :class:`InputError` when it cannot be read."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"素材文件中没有视频画面：{path}", f"no video stream in {path}")
            stream = container.streams.video[0]
            if stream.duration is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / 1_000_000
            return sum(1 for _ in container.decode(stream)) / float(stream.average_rate or 25)
    except InputError:
        raise
    except Exception as e:  # PyAV raises several error types for unreadable files
        raise InputError(f"视频素材无法读取：{path}", f"cannot read the video {path}: {e}") from None


@dataclass(eq=False, frozen=True)
class Stinger:
    """A full-frame intro or outro: a still card (fading in or out at its cut) or a video."""

    start: float
    end: float
    card: np.ndarray | None = None  # HxWx3 uint8 title card
    video: VideoBRoll | None = None
    fade: float = 0.4
    fade_in: bool = False  # outro: fades in over the anchor
    fade_out: bool = True  # intro: fades out to the anchor
    z: int = Z_STINGER
    _sprite: Sprite | None = field(init=False, default=None, repr=False)

    def __post_init__(self):
        if self.card is not None:
            h, w = self.card.shape[:2]
            object.__setattr__(self, "_sprite", Sprite(self.card, np.ones((h, w, 1), np.float32), 0, 0,
                                                       self.start, self.end, "stinger"))

    @property
    def box(self) -> Box:
        if self.video is not None:
            return self.video.box
        return Box(0, 0, self.card.shape[1], self.card.shape[0])

    def _opacity(self, t: float) -> float:
        opacity = 1.0
        if self.fade_in and self.fade > 0:
            opacity = min(opacity, (t - self.start) / self.fade)
        if self.fade_out and self.fade > 0:
            opacity = min(opacity, (self.end - t) / self.fade)
        return min(max(opacity, 0.0), 1.0)

    def moving(self, t: float) -> bool:
        return self.video is not None or self._opacity(t) < 1.0

    def solid(self, t: float) -> Box | None:
        return self.box if self.video is not None or self._opacity(t) >= 1.0 else None

    def close(self) -> None:
        if self.video is not None:
            self.video.close()

    def draw(self, frame: np.ndarray, t: float, clip: Box) -> None:
        if self.video is not None:
            self.video.draw(frame, t, clip)
        else:
            blend(frame, self._sprite, clip, opacity=self._opacity(t))
