"""What a parsed news script is: the text to read, its headline and the producer's cues."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

LANGUAGES = ("zh", "en")
FORMATS = (".txt", ".md", ".yaml", ".yml", ".json")
ANCHOR_NAME = "{anchor}"  # in a lower third: the station's own anchor's name (station.yaml anchor_name)


STATUSES = ("已办结", "办理中", "已受理")  # where a 问政 question stands


@dataclass(frozen=True)
class Question:
    """A citizen's question on the county's 问政 platform, as received, and who answers it (a ``wenzheng`` script)."""

    text: str
    department: str  # the department that answers: the reply's lower third
    status: str  # one of STATUSES
    date: str = ""  # when it was asked
    channel: str = ""  # where: 枞情民意, 融媒问政, 12345 ...
    asker: str = ""  # as the platform shows them, e.g. 网友"城南居民"
    read: bool = False  # read_question: the anchor reads the question before the reply

    def spoken(self, language: str) -> list[str]:
        """The paragraphs read before the reply when ``read`` is set."""
        if language == "zh":
            return [f"网友提问：{self.text}", f"{self.department}答复："]
        return [f"The question: {self.text}", f"{self.department} replies:"]


@dataclass(frozen=True)
class Speaker:
    """One of the two anchors at a desk: the name marked in the script (【融融】) and what reads as them."""

    name: str
    voice: str | None = None  # a voice preset; None: the built-in pair's
    avatar: str | None = None  # an avatar pack; None: the built-in pair's
    title: str = ""  # under their name on the lower third


@dataclass(frozen=True)
class LowerThird:
    name: str
    title: str = ""


@dataclass(frozen=True)
class BRoll:
    """Pictures shown while a paragraph is read: an image (slow Ken Burns move) or a muted video clip."""

    path: Path
    mode: str = "pip"  # "full" (whole frame) or "pip" (a window beside the anchor)
    start: float = 0.0  # video only: where in the file to start (seconds)
    end: float | None = None  # video only: where to stop; the part is looped to fill the paragraph


@dataclass(frozen=True)
class ScriptCue:
    """A production direction attached to one paragraph of the body (0-based ``paragraph``).

    ``kind`` is "broll" (``value`` a :class:`BRoll`), "lower_third" (a :class:`LowerThird`,
    shown from the paragraph's start for ``seconds``) or "ticker" (the ticker's new text).
    """

    paragraph: int
    kind: str
    value: object
    seconds: float = 6.0
    source: str = ""  # the cue as the producer wrote it, for error messages


@dataclass(frozen=True)
class Music:
    path: Path
    volume_db: float = -18.0  # music level where nobody speaks, relative to full scale before mastering


@dataclass(frozen=True)
class Script:
    title: str
    body: str
    language: str
    voice: str | None = None
    avatar: str | None = None
    lower_third: LowerThird | None = None
    stem: str = "script"
    template: str | None = None  # graphics template name (see anchor/graphics/templates) or a YAML path
    ticker: str | None = None  # scrolling ticker text for the whole clip
    music: Music | None = None
    cues: tuple[ScriptCue, ...] = ()
    stories: tuple[tuple[int, str], ...] = ()  # (first paragraph, headline) of each "## " story
    recording: Path | None = None  # a producer's own reading of the body (WAV/MP3), used instead of a voice
    read_title: bool | None = None  # the anchor reads the headline before the body; None: the station's default
    question: Question | None = None  # a 问政 reply: the citizen's question it answers
    speakers: tuple[Speaker, ...] = ()  # a two-anchor desk: who speaks, in seat order (none: one anchor)
    turns: tuple[int, ...] = ()  # with speakers: the speaker of each paragraph (an index into speakers)
    urgent: bool = False  # a live channel puts it on air right after the item on air now (anchor live)

    def preamble(self) -> list[str]:
        """What is read before the body, each a paragraph of its own: the headline (``read_title``), then a
        citizen's question and who answers it (a 问政 reply with ``read_question``)."""
        out = [self.title] if self.read_title and self.title.strip() else []
        return out + (self.question.spoken(self.language) if self.question is not None and self.question.read else [])

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in re.split(r"\n\s*\n", self.body) if p.strip()]

    def with_read_title(self, station_default: bool) -> "Script":
        """This script with ``read_title`` settled: its own choice, else the station's default.

        A producer's recording is what it is: it starts with the headline only where the script says so.
        """
        if self.read_title is not None:
            return self
        return replace(self, read_title=bool(station_default) and not self.recording)

    def with_anchor_name(self, name: str, name_en: str = "") -> "Script":
        """This script with :data:`ANCHOR_NAME` in its lower thirds replaced by the name of the anchor reading it
        (``name_en`` for an English script, where there is one)."""
        value = (name_en if self.language == "en" and name_en else name) or ""

        def fill(third: LowerThird) -> LowerThird:
            return LowerThird(third.name.replace(ANCHOR_NAME, value), third.title.replace(ANCHOR_NAME, value))

        cues = tuple(replace(c, value=fill(c.value)) if c.kind == "lower_third" else c for c in self.cues)
        return replace(self, lower_third=fill(self.lower_third) if self.lower_third else None, cues=cues)
