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
    ticker: Box  # scrolling ticker band
    pip: Box  # picture-in-picture window for B-roll, beside the presenter's head
    desk: Box | None = None  # news desk drawn over the bottom of the presenter (vertical only)

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)

    @property
    def orientation(self) -> str:
        return "vertical" if self.height > self.width else "landscape" if self.width > self.height else "square"

    def boxes(self) -> dict[str, Box]:
        names = ("avatar", "headline", "subtitles", "lower_third", "label", "corner_mark", "brand", "ticker", "pip",
                 "desk")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


    def seats(self, n: int, cut: bool = False) -> list[Box]:
        """The anchors' areas: the one anchor's, or two side by side (a desk in 16:9 and 1:1, a two-shot in 9:16);
        ``cut``: each in the one anchor's place, shown one at a time."""
        if n <= 1 or cut:
            return [self.avatar] * max(n, 1)
        if self.orientation == "vertical":
            w, h = self.width // 2, 760
            y = self.avatar.bottom - h
        elif self.orientation == "landscape":
            w, h = 780, 950
            y = self.height - h
        else:
            w, h = self.width // 2, 660  # the faces above the lower third, the bodies behind the headline
            y = self.avatar.y + 20
        left = (self.width - 2 * w) // 2
        return [Box(left, y, w, h), Box(left + w, y, w, h)]

    @property
    def full(self) -> Box:
        return Box(0, 0, self.width, self.height)

    def label_at(self, position: str) -> Box:
        """The AI label's box at the top left or top right ("top-left" / "top-right") of the frame."""
        margin = min(self.label.x, self.width - self.label.right)
        x = margin if position == "top-left" else self.width - margin - self.label.w
        return Box(x, self.label.y, self.label.w, self.label.h)


SUPPORTED = ((1080, 1920), (1920, 1080), (1080, 1080))
#: aspect ratio names a producer types -> frame size
ASPECTS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}


def aspect_size(aspect: str) -> tuple[int, int]:
    """(width, height) for an aspect name such as "9:16"."""
    size = ASPECTS.get(aspect.strip().replace("x", ":").replace("/", ":"))
    if size is None:
        raise ValueError(f"unsupported aspect {aspect!r}; supported: {', '.join(ASPECTS)}")
    return size


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
            lower_third=Box(40, 1096, 860, 176),  # sits on the desk top
            ticker=Box(0, 1294, 1080, 62),
            subtitles=Box(60, 1372, 960, 160),  # bottom 1532 <= 0.8 * 1920 = 1536
            pip=Box(704, 600, 352, 264),  # right of the head (4:3)
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
            pip=Box(60, 150, 720, 405),  # left of the head (16:9), above the lower third
            lower_third=Box(96, 560, 900, 150),
            headline=Box(48, 720, 1824, 112),
            subtitles=Box(160, 842, 1600, 116),
            ticker=Box(0, 966, 1920, 56),  # bottom 1022: inside the 5% title-safe margin
        )
    if (width, height) == (1080, 1080):
        return Layout(
            width,
            height,
            brand=Box(36, 32, 600, 56),
            corner_mark=Box(704, 32, 340, 56),
            label=Box(36, 104, 300, 150),
            avatar=Box(90, 40, 900, 1040),
            pip=Box(24, 190, 352, 264),  # left of the head (4:3)
            lower_third=Box(36, 516, 800, 146),
            headline=Box(36, 670, 1008, 120),
            subtitles=Box(60, 798, 960, 124),
            ticker=Box(0, 930, 1080, 56),
        )
    sizes = ", ".join(f"{w}x{h}" for w, h in SUPPORTED)
    raise ValueError(f"unsupported frame size {width}x{height}; supported: {sizes}")
