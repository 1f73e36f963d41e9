"""Where everything sits in the frame, for each supported output shape.

All boxes are in frame pixels, top-left origin.  The vertical (9:16) layout keeps
the top ~5% clear of platform tabs and everything readable above the bottom 20%
(platform buttons and captions cover it); the right-hand margin of the subtitle
box leaves room for the like/comment/share column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.w // 2, self.y + self.h // 2

    def inside(self, width: int, height: int) -> bool:
        return self.x >= 0 and self.y >= 0 and self.w > 0 and self.h > 0 and self.right <= width and self.bottom <= height


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    avatar: Box  # the presenter's head-and-shoulders area
    headline: Box  # headline banner (title, up to 2 lines)
    subtitles: Box  # subtitle area (vertical: bottom edge above the bottom 20%)
    lower_third: Box  # name + title of the person speaking / quoted
    label: Box  # the big visible "AI生成" label shown for the first seconds
    corner_mark: Box  # small persistent AI mark + station code
    brand: Box  # station name strip (the station "bug")
    desk: Box | None = None  # news desk drawn over the bottom of the presenter (vertical only)

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def orientation(self) -> str:
        return "vertical" if self.height > self.width else "landscape" if self.width > self.height else "square"

    def boxes(self) -> dict[str, Box]:
        names = ("avatar", "headline", "subtitles", "lower_third", "label", "corner_mark", "brand", "desk")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


SUPPORTED = ((1080, 1920), (1920, 1080), (1080, 1080))


def layout_for(width: int, height: int) -> Layout:
    """The layout for a frame size: 1080x1920 (vertical), 1920x1080 (landscape) or 1080x1080 (square)."""
    if (width, height) == (1080, 1920):
        return Layout(
            width,
            height,
            brand=Box(40, 96, 620, 60),
            corner_mark=Box(700, 96, 340, 60),
            headline=Box(40, 172, 1000, 184),
            label=Box(740, 384, 300, 150),
            avatar=Box(0, 360, 1080, 1000),
            lower_third=Box(40, 1104, 860, 176),  # sits on the desk top
            subtitles=Box(60, 1378, 960, 156),  # bottom 1534 <= 0.8 * 1920 = 1536
            desk=Box(0, 1290, 1080, 630),  # hides where the presenter's picture ends (avatar bottom 1360)
        )
    if (width, height) == (1920, 1080):
        return Layout(
            width,
            height,
            brand=Box(48, 40, 700, 60),
            corner_mark=Box(1492, 40, 380, 60),
            label=Box(48, 116, 320, 150),
            avatar=Box(440, 0, 1040, 1080),
            lower_third=Box(96, 620, 900, 160),
            headline=Box(48, 800, 1824, 128),
            subtitles=Box(160, 936, 1600, 130),
        )
    if (width, height) == (1080, 1080):
        return Layout(
            width,
            height,
            brand=Box(36, 32, 600, 56),
            corner_mark=Box(704, 32, 340, 56),
            label=Box(36, 104, 300, 150),
            avatar=Box(90, 40, 900, 1040),
            lower_third=Box(36, 560, 800, 150),
            headline=Box(36, 726, 1008, 128),
            subtitles=Box(60, 866, 960, 130),
        )
    sizes = ", ".join(f"{w}x{h}" for w, h in SUPPORTED)
    raise ValueError(f"unsupported frame size {width}x{height}; supported: {sizes}")
