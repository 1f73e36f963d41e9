"""An audio programme's sound: the station's jingle, the spoken AI notice, the items, short beds between them.

For county radio, 5G 智慧电台 and emergency-broadcast loudspeakers.  人工智能生成合成内容标识办法
asks synthetic audio to carry a spoken notice: :func:`build_programme` always opens with the
station's notice (and closes with it where the station asks), whatever else is left out.
The jingle is the station's own audio file, or :func:`chime`, a short tone made here.
Levels are set against the speech: the jingle :data:`JINGLE_DB` and the beds between a
bulletin's items :data:`BED_DB` from the speech's loudness.  Mastering to the programme's
loudness happens afterwards, on the whole (:func:`anchor.export.write_audio_master`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..audio import measure_loudness
from ..speech import Speech, Timeline
from .mix import load_audio

JINGLE_DB = -3.0  # the jingle, against the speech's loudness
BED_DB = -16.0  # the short bed between items
GAP_S = {"jingle": 0.35, "notice": 0.6, "item": 0.5, "bed": 0.3}  # silence after each kind of part
BED_S = 2.4
EDGE_FADE_S = 0.02  # a file's own jingle is faded at its ends so it never starts or stops on a click


@dataclass(frozen=True)
class Part:
    """One stretch of a programme, on its clock."""

    kind: str  # "jingle", "notice", "item" or "bed"
    start: float
    end: float
    title: str = ""
    timeline: Timeline | None = None  # spoken parts: their words, on the programme's clock

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "start": round(self.start, 3), "end": round(self.end, 3)}
        if self.title:
            out["title"] = self.title
        if self.timeline is not None:
            out["text"] = "".join(p.spoken for p in self.timeline.phrases)
            out["words"] = [[t.text, round(t.start, 3), round(t.end, 3)] for t in self.timeline.tokens]
        return out


@dataclass(frozen=True)
class Programme:
    """The programme's sound (mono float32, not yet mastered) and what is where in it."""

    samples: np.ndarray
    rate: int
    parts: tuple[Part, ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def spoken_text(self) -> str:
        return "\n".join("".join(p.spoken for p in part.timeline.phrases) for part in self.parts if part.timeline)

    def items(self) -> list[Part]:
        return [p for p in self.parts if p.kind == "item"]


def build_programme(notice: Speech, items: list[tuple[str, Speech]], rate: int, jingle: str | None = None,
              notice_at_end: bool = False) -> Programme:
    """Jingle, the notice, each (title, speech) item with a bed between items, the notice again if asked, jingle.

    ``jingle`` is an audio file, ``"tone"`` (:func:`chime`) or None.
    """
    speech_lufs = _loudness([notice.samples, *(s.samples for _, s in items)], rate)
    sting = _jingle(jingle, rate, speech_lufs) if jingle else None
    bed = _at_level(bed_tone(BED_S, rate), rate, speech_lufs + BED_DB)
    pieces: list[tuple[str, str, np.ndarray, Timeline | None]] = []
    if sting is not None:
        pieces.append(("jingle", "", sting, None))
    pieces.append(("notice", "", notice.samples, notice.timeline))
    for n, (title, speech) in enumerate(items):
        if n:
            pieces.append(("bed", "", bed, None))
        pieces.append(("item", title, speech.samples, speech.timeline))
    if notice_at_end:
        pieces.append(("notice", "", notice.samples, notice.timeline))
    if sting is not None:
        pieces.append(("jingle", "", sting, None))
    return _lay(pieces, rate)


def _lay(pieces, rate: int) -> Programme:
    chunks, parts, at = [], [], 0
    for n, (kind, title, samples, timeline) in enumerate(pieces):
        start = at / rate
        chunks.append(np.asarray(samples, np.float32))
        at += len(samples)
        end = at / rate
        parts.append(Part(kind, start, end, title, timeline.shifted(start) if timeline is not None else None))
        if n < len(pieces) - 1:
            gap = int(GAP_S[kind] * rate)
            chunks.append(np.zeros(gap, np.float32))
            at += gap
    return Programme(np.concatenate(chunks) if chunks else np.zeros(0, np.float32), rate, tuple(parts))


def chime(rate: int) -> np.ndarray:
    """The project's own jingle: three bell-like notes falling a major triad (G5, E5, C5), 1.7 s."""
    out = np.zeros(int(1.7 * rate), np.float32)
    for k, (freq, length) in enumerate(((783.99, 0.9), (659.26, 0.9), (523.25, 1.1))):
        t = np.arange(int(length * rate)) / rate
        note = sum(a * np.sin(2 * np.pi * freq * m * t) for m, a in ((1.0, 1.0), (2.0, 0.35), (3.0, 0.12)))
        note *= np.exp(-t * 4.0) * np.minimum(t / 0.005, 1.0)
        start = int(k * 0.3 * rate)
        take = min(len(note), len(out) - start)
        out[start:start + take] += note[:take].astype(np.float32)
    return _faded(out / np.abs(out).max() * 0.5, rate, 0.05)


def bed_tone(seconds: float, rate: int) -> np.ndarray:
    """A soft sustained chord (C4, E4, G4, C5) that swells and fades: the short bed between a bulletin's items."""
    t = np.arange(int(seconds * rate)) / rate
    chord = sum(np.sin(2 * np.pi * f * t + k) for k, f in enumerate((261.63, 329.63, 392.0, 523.25)))
    swell = np.sin(np.pi * t / seconds) ** 2
    return (chord * swell * 0.1).astype(np.float32)


def _jingle(jingle: str, rate: int, speech_lufs: float) -> np.ndarray:
    sound = chime(rate) if jingle == "tone" else _faded(load_audio(jingle, rate), rate, EDGE_FADE_S)
    return _at_level(sound, rate, speech_lufs + JINGLE_DB)


def _faded(x: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    x = np.array(x, np.float32)
    n = min(int(seconds * rate), len(x) // 2)
    if n:
        ramp = np.linspace(0, 1, n, dtype=np.float32)
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def _loudness(chunks: list[np.ndarray], rate: int) -> float:
    lufs, _ = measure_loudness(np.concatenate([np.asarray(c, np.float32) for c in chunks]), rate)
    return lufs if lufs > -70 else -23.0


def _at_level(x: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    got, _ = measure_loudness(x, rate)
    return x * np.float32(10 ** ((lufs - got) / 20)) if got > -70 else x
