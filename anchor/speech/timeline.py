"""The timing hand-off between speech and everything after it.

Speech produces a :class:`Timeline`; subtitles, lip-sync and the metadata JSON
all read the same one.  Times are seconds from the start of the speech audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Token:
    """One spoken unit: a Chinese character (one syllable) or an English word."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Phone:
    """One phoneme (IPA or pinyin initial/final) where the engine reports them."""

    symbol: str
    start: float
    end: float


#: mouth shapes a viseme can name (what the lips do, not which sound it is):
#: rest (silence), closed (b p m), open (a), mid (e, schwa), wide (i, spread lips),
#: round (o u ü w), teeth (f v: lower lip to upper teeth)
VISEMES = ("rest", "closed", "open", "mid", "wide", "round", "teeth")


@dataclass(frozen=True)
class Viseme:
    """A mouth shape held from ``start`` to ``end`` (one of :data:`VISEMES`)."""

    shape: str
    start: float
    end: float


@dataclass(frozen=True)
class Phrase:
    """A subtitle-sized piece of the script: as written, and as spoken."""

    display: str
    spoken: str
    start: float
    end: float
    tokens: tuple[Token, ...] = ()


@dataclass(frozen=True)
class Timeline:
    phrases: tuple[Phrase, ...]
    duration: float
    phones: tuple[Phone, ...] = field(default=())
    visemes: tuple[Viseme, ...] = field(default=())  # empty where the engine reports no phonemes

    @property
    def tokens(self) -> list[Token]:
        return [t for p in self.phrases for t in p.tokens]

    def shifted(self, offset: float) -> "Timeline":
        """The same timeline starting ``offset`` seconds later (for a lead-in)."""

        def tok(t):
            return replace(t, start=t.start + offset, end=t.end + offset)

        phrases = tuple(
            replace(p, start=p.start + offset, end=p.end + offset, tokens=tuple(tok(t) for t in p.tokens))
            for p in self.phrases
        )
        visemes = tuple(tok(v) for v in self.visemes)
        if visemes and offset > 0:
            visemes = (Viseme("rest", 0.0, visemes[0].start),) + visemes
        return Timeline(phrases, self.duration + offset, tuple(tok(p) for p in self.phones), visemes)

    def to_dict(self) -> dict:
        """Plain JSON-ready data (for the speech cache and the metadata JSON)."""
        return {
            "duration": self.duration,
            "phrases": [{"display": p.display, "spoken": p.spoken, "start": p.start, "end": p.end,
                         "tokens": [[t.text, t.start, t.end] for t in p.tokens]} for p in self.phrases],
            "phones": [[p.symbol, p.start, p.end] for p in self.phones],
            "visemes": [[v.shape, v.start, v.end] for v in self.visemes],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Timeline":
        phrases = tuple(Phrase(p["display"], p["spoken"], p["start"], p["end"],
                               tuple(Token(*t) for t in p["tokens"])) for p in data["phrases"])
        return cls(phrases, data["duration"], tuple(Phone(*p) for p in data["phones"]),
                   tuple(Viseme(*v) for v in data["visemes"]))
