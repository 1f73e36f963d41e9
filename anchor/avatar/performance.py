"""Per-frame performance of the anchor: mouth shapes, blinks, head motion.

Reads the speech :class:`~anchor.speech.Timeline` (which mouth shape, when)
and the speech audio (how loud each frame is) and returns one
:class:`~anchor.avatar.lipsync.Pose` per video frame.  Pure numpy; no images here.

* Mouth: the timeline's visemes when the speech engine gives them, otherwise
  shapes guessed from the characters' pinyin (zh) or the phonemes (en).  Each
  shape opens quickly, holds, and relaxes into the next; a light smoothing
  across neighbouring frames keeps it from fluttering, and lips that must close
  (b, p, m) still close for at least one frame.  Quiet audio inside a syllable
  (stops, breaths) narrows the mouth.
* Eyes: a blink every 2 to 6 s.
* Head: a slow breathing sway and tilt that never repeats exactly, a nod at
  the end of each phrase, and for a mascot a little bounce with the speech.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from pypinyin import Style, pinyin

from ..speech import VISEMES, Phrase, Timeline, Viseme
from .lipsync import Pose, SpeechAudio

#: opening (0..1) and width (-1 rounded .. 1 spread) of each viseme
SHAPES = {"rest": (0.0, 0.0), "closed": (0.0, 0.0), "open": (1.0, 0.0), "mid": (0.6, 0.3),
          "wide": (0.4, 1.0), "round": (0.5, -1.0), "teeth": (0.15, 0.3)}
_PINYIN_VOWELS = (("er", "mid"), ("a", "open"), ("o", "round"), ("e", "mid"), ("u", "round"), ("v", "round"),
                  ("i", "wide"))
_IPA = {"a": "open", "ɑ": "open", "æ": "open", "ʌ": "open", "ɐ": "open", "ɒ": "round", "ɔ": "round", "o": "round",
        "ʊ": "round", "u": "round", "w": "round", "e": "mid", "ɛ": "mid", "ə": "mid", "ɜ": "mid", "ɚ": "mid",
        "ɝ": "mid", "i": "wide", "ɪ": "wide", "y": "round", "j": "wide"}
_LIP_CLOSED = set("pbm")  # bilabials close the lips
_LIP_TEETH = set("fv")
NOD_DEPTH = 0.018  # face heights the head dips at a phrase boundary
LISTEN_ROLL = 3.0  # degrees a listening anchor's head tilts toward the one speaking
LISTEN_SWAY = 0.025  # face heights it leans toward them
LISTEN_EASE = 0.5  # seconds to turn toward the speaker and back
CLOSED = 0.04  # opening at or under which the lips count as closed
SMILE_PAUSE = 1.0  # seconds: a pause at least this long brings a smiling presenter's smile back


@dataclass(frozen=True)
class Performance:
    fps: int
    mouth_open: np.ndarray
    mouth_width: np.ndarray
    blink: np.ndarray
    viseme: np.ndarray | None = None  # index into VISEMES per frame
    sway: np.ndarray | None = None
    nod: np.ndarray | None = None
    roll: np.ndarray | None = None
    bounce: np.ndarray | None = None
    audio: SpeechAudio | None = None
    tongue: np.ndarray | None = None  # 0..1: tongue tip up (d, t, n, l)
    speaking: np.ndarray | None = None  # 0..1: inside a phrase; a smiling face relaxes while it is 1
    reading: np.ndarray | None = None  # 0..1: from the clip's start to the last word

    def __len__(self) -> int:
        return len(self.mouth_open)

    def pose(self, frame: int) -> Pose:
        def at(values, default=0.0):
            return float(values[frame]) if values is not None else default

        return Pose(at(self.mouth_open), at(self.mouth_width), at(self.blink),
                    VISEMES[int(self.viseme[frame])] if self.viseme is not None else "rest",
                    at(self.sway), at(self.nod), at(self.roll), at(self.bounce), at(self.tongue), at(self.speaking),
                    at(self.reading), frame, self.audio)


def perform(timeline: Timeline, language: str, n_frames: int, fps: int,
            samples: np.ndarray | None = None, sample_rate: int = 48000, seed: int = 0) -> Performance:
    """The anchor's poses for ``n_frames`` frames of a clip whose speech follows ``timeline``."""
    visemes = list(timeline.visemes) or guess_visemes(timeline, language)
    opening, width, shape = _mouth(visemes, n_frames, fps)
    if samples is not None:
        opening *= _loudness_gate(samples, sample_rate, n_frames, fps)
    kernel = np.float32([0.25, 0.5, 0.25])  # neighbours blend so the mouth does not flutter
    opening = np.convolve(opening, kernel, mode="same")
    width = np.convolve(width, kernel, mode="same")
    for v in visemes:  # ... but lips that must meet still meet
        if v.shape == "closed":
            first, last = _frames_of(v, fps, n_frames)
            opening[first:last] = np.minimum(opening[first:last], CLOSED)
    opening = np.clip(opening, 0, 1)
    shape[opening <= CLOSED] = np.where(shape[opening <= CLOSED] == VISEMES.index("closed"),
                                        VISEMES.index("closed"), VISEMES.index("rest"))
    rng = np.random.default_rng(seed)
    sway, nod, roll = _head(timeline, n_frames, fps, rng)
    audio = SpeechAudio(np.asarray(samples, np.float32), sample_rate, fps) if samples is not None else None
    return Performance(fps, opening, np.clip(width, -1, 1), _blinks(n_frames, fps, seed), shape,
                       sway, nod, roll, _bounce(opening, fps, rng), audio,
                       _tongue(timeline, language, n_frames, fps), _speaking(_merged(timeline.phrases, SMILE_PAUSE), n_frames, fps),
                       _speaking(_whole(timeline), n_frames, fps))


def _frames_of(v: Viseme, fps: int, n_frames: int) -> tuple[int, int]:
    """Frames whose centre lies inside ``v``; at least the frame nearest its middle."""
    first = max(int(np.ceil(v.start * fps - 0.5)), 0)
    last = min(int(np.ceil(v.end * fps - 0.5)), n_frames)
    if last <= first:
        first = min(max(int((v.start + v.end) / 2 * fps), 0), max(n_frames - 1, 0))
        last = first + 1
    return first, last


def _mouth(visemes: list[Viseme], n_frames: int, fps: int):
    """Opening, width and viseme index per frame, before smoothing."""
    times = (np.arange(n_frames) + 0.5) / fps
    opening = np.zeros(n_frames, np.float32)
    width = np.zeros(n_frames, np.float32)
    shape = np.zeros(n_frames, np.int64)
    for v in visemes:
        amount, spread = SHAPES.get(v.shape, SHAPES["mid"])
        amount *= getattr(v, "amount", 1.0)
        first, last = _frames_of(v, fps, n_frames)
        for i in range(first, last):
            pos = float(np.clip((times[i] - v.start) / max(v.end - v.start, 1e-3), 0, 0.999))
            value = amount * _envelope(pos)
            if value >= opening[i]:
                opening[i], width[i], shape[i] = value, spread, VISEMES.index(v.shape)
    return opening, width, shape


def _envelope(pos: float) -> float:
    """Opening over one shape: quick attack, hold, partial release into the next."""
    return float(min(1.0, max(pos / 0.3, 0.15), 1.0 - 0.55 * max(0.0, (pos - 0.7) / 0.3)))


@dataclass(frozen=True)
class _Guess(Viseme):
    amount: float = 1.0  # how far this syllable opens the shape (-ian opens less than -an)


def guess_visemes(timeline: Timeline, language: str) -> list[Viseme]:
    """Visemes from the characters' pinyin (zh), phonemes (en) or spelling, for engines that give none."""
    if language == "en" and timeline.phones:
        out = []
        for p in timeline.phones:
            shape, amount = _ipa_shape(p.symbol)
            out.append(_Guess(shape, p.start, p.end, amount))
        return out
    out = []
    for token in timeline.tokens:
        initial, final = _pinyin(token.text) if language == "zh" else (token.text[:1].lower(), token.text.lower())
        shape, amount = _vowel_shape(final)
        start, end = token.start, token.end
        if initial[:1] in _LIP_CLOSED or initial[:1] in _LIP_TEETH:
            onset = start + min(0.2 * (end - start), 0.06)
            out.append(_Guess("closed" if initial[:1] in _LIP_CLOSED else "teeth", start, onset))
            start = onset
        out.append(_Guess(shape, start, end, amount))
    return out


def _pinyin(char: str) -> tuple[str, str]:
    if not ("\u4e00" <= char[:1] <= "\u9fff"):
        return char[:1].lower(), char.lower()
    initial = pinyin(char, style=Style.INITIALS, strict=False)[0][0]
    final = pinyin(char, style=Style.FINALS, strict=False, v_to_u=False)[0][0]
    return initial, final


def _vowel_shape(final: str) -> tuple[str, float]:
    """Shape of a pinyin final or an English spelling, by its most open vowel."""
    for vowel, shape in _PINYIN_VOWELS:
        if vowel in final:
            if vowel == "a" and ("ian" in final or "yan" in final):
                return "open", 0.7  # -ian is read [iɛn]
            return shape, 1.0
    return "mid", 0.5


def _ipa_shape(symbol: str) -> tuple[str, float]:
    if symbol[:1] in _LIP_CLOSED:
        return "closed", 1.0
    if symbol[:1] in _LIP_TEETH:
        return "teeth", 1.0
    for ch in symbol:
        if ch in _IPA and ch not in "wj":
            return _IPA[ch], 1.0
    if symbol[:1] in _IPA:
        return _IPA[symbol[:1]], 0.5
    return "mid", 0.4  # other consonants: lips a little apart


def _loudness_gate(samples: np.ndarray, sample_rate: int, n_frames: int, fps: int) -> np.ndarray:
    """0..1 per frame: closes the mouth where the audio is quiet inside a syllable (stops, breaths)."""
    rms = frame_loudness(samples, sample_rate, n_frames, fps)
    ref = np.percentile(rms[rms > 0], 90) if np.any(rms > 0) else 1.0
    return np.clip(0.3 + 1.0 * rms / max(ref, 1e-6), 0.0, 1.0).astype(np.float32)


def frame_loudness(samples: np.ndarray, sample_rate: int, n_frames: int, fps: int) -> np.ndarray:
    """RMS of the audio under each video frame (frame i covers [i/fps, (i+1)/fps))."""
    hop = sample_rate / fps
    idx = np.clip((np.arange(n_frames + 1) * hop).astype(int), 0, len(samples))
    sq = np.concatenate([[0.0], np.cumsum(np.asarray(samples, np.float64) ** 2)])
    energy = (sq[idx[1:]] - sq[idx[:-1]]) / np.maximum(idx[1:] - idx[:-1], 1)
    return np.sqrt(energy)


_TONGUE_TIP = set("dtnl") | {"ɾ", "θ", "ð"}  # consonants made with the tongue tip behind the upper teeth


def _tongue(timeline: Timeline, language: str, n_frames: int, fps: int) -> np.ndarray:
    """0..1 per frame: the tongue tip is up for d, t, n, l (the phones where the engine gives them, else
    the onset of each syllable whose pinyin starts with one)."""
    spans = [(p.start, p.end) for p in timeline.phones if p.symbol[:1] in _TONGUE_TIP]
    if not timeline.phones:
        for token in timeline.tokens:
            initial = _pinyin(token.text)[0] if language == "zh" else token.text[:1].lower()
            if initial[:1] in _TONGUE_TIP:
                spans.append((token.start, token.start + min(0.35 * (token.end - token.start), 0.08)))
    tip = np.zeros(n_frames, np.float32)
    for start, end in spans:
        first, last = _frames_of(Viseme("mid", start, end), fps, n_frames)
        tip[first:last] = 1.0
    return np.convolve(tip, np.float32([0.25, 0.5, 0.25]), mode="same").astype(np.float32)


def _merged(phrases, shortest_pause: float) -> list:
    """Phrases with the pauses shorter than ``shortest_pause`` between them closed up."""
    out = []
    for phrase in phrases:
        if out and phrase.start - out[-1].end < shortest_pause:
            out[-1] = Phrase("", "", out[-1].start, phrase.end, ())
        else:
            out.append(phrase)
    return out


def _whole(timeline: Timeline) -> tuple:
    """One span from the start of the clip to the last word: the presenter is composed, lips together,
    before the first word, and smiles again after the last."""
    if not timeline.phrases:
        return ()
    return (Phrase("", "", -1.0, timeline.phrases[-1].end, ()),)


def _speaking(phrases, n_frames: int, fps: int) -> np.ndarray:
    """0..1 per frame: 1 through each of ``phrases``, easing back to 0 over pauses longer than about half a
    second and after the last word (where a smiling presenter smiles again)."""
    t = (np.arange(n_frames) + 0.5) / fps
    inside = np.zeros(n_frames, np.float32)
    for phrase in phrases:
        inside[(t >= phrase.start - 0.1) & (t < phrase.end + 0.15)] = 1.0
    half = max(int(0.3 * fps), 1)
    kernel = np.hanning(2 * half + 1)
    padded = np.pad(inside, half, mode="edge")  # the clip's first and last frames hold, not fade
    return np.clip(np.convolve(padded, kernel / kernel.sum(), mode="valid"), 0, 1).astype(np.float32)


def _blinks(n_frames: int, fps: int, seed: int) -> np.ndarray:
    """Eyes close for about 0.16 s every 2 to 6 s."""
    rng = np.random.default_rng(seed)
    blink = np.zeros(n_frames, np.float32)
    t = rng.uniform(1.0, 3.0)
    pattern = np.float32([0.55, 1.0, 1.0, 0.55])
    while True:
        i = int(t * fps)
        if i + len(pattern) > n_frames:
            return blink
        blink[i:i + len(pattern)] = pattern
        t += rng.uniform(2.0, 6.0)


def _head(timeline: Timeline, n_frames: int, fps: int, rng: np.random.Generator):
    """Sway (face heights), nod (face heights, + down) and roll (degrees) per frame."""
    t = np.arange(n_frames) / fps
    phase = rng.uniform(0, 2 * np.pi, 5)
    period = rng.uniform(0.85, 1.15, 5)  # no two clips breathe alike
    sway = 0.008 * np.sin(2 * np.pi * t / (4.7 * period[0]) + phase[0]) \
        + 0.004 * np.sin(2 * np.pi * t / (2.9 * period[1]) + phase[1])
    roll = 0.5 * np.sin(2 * np.pi * t / (6.1 * period[2]) + phase[2]) \
        + 0.2 * np.sin(2 * np.pi * t / (3.7 * period[3]) + phase[3])
    breath = 0.004 * 0.5 * (1 - np.cos(2 * np.pi * t / (4.0 * period[4])))
    nod = breath
    for phrase in timeline.phrases[:-1]:
        start, length = phrase.end - 0.25, 0.6
        inside = (t >= start) & (t < start + length)
        depth = NOD_DEPTH * rng.uniform(0.7, 1.0)
        nod = nod + np.where(inside, depth * 0.5 * (1 - np.cos(2 * np.pi * (t - start) / length)), 0.0)
    return sway.astype(np.float32), nod.astype(np.float32), roll.astype(np.float32)


def _bounce(opening: np.ndarray, fps: int, rng: np.random.Generator) -> np.ndarray:
    """0..1 hop for a mascot: follows the syllables, softened, over a slow idle bob."""
    t = np.arange(len(opening)) / fps
    width = max(int(round(0.12 * fps)), 1)
    kernel = np.hanning(2 * width + 1)
    talk = np.convolve(opening, kernel / kernel.sum(), mode="same")
    idle = 0.5 * (1 - np.cos(2 * np.pi * t / 1.8 + rng.uniform(0, 2 * np.pi)))
    return np.clip(0.75 * talk + 0.25 * idle, 0, 1).astype(np.float32)


def listening(performance: Performance, spans: list[tuple[float, float]], toward: float, seed: int = 0) -> Performance:
    """``performance`` of an anchor who listens during ``spans`` (the other anchor's turns, clip seconds): the
    head tilts and leans a little toward the speaker (``toward`` +1: they sit to the right, -1: to the left),
    easing in and out, and nods once as each of the other's turns ends.  Blinks and breathing go on."""
    n, fps = len(performance), performance.fps
    t = np.arange(n) / fps
    on = np.zeros(n, np.float32)
    for a, b in spans:
        on[(t >= a) & (t < b)] = 1.0
    width = max(1, int(LISTEN_EASE * fps))
    kernel = np.hanning(2 * width + 1)
    on = np.convolve(np.pad(on, width, mode="edge"), kernel / kernel.sum(), mode="valid")[:n].astype(np.float32)
    rng = np.random.default_rng(seed)
    nod = np.array(performance.nod if performance.nod is not None else np.zeros(n), np.float32)
    for _, end in spans:
        start, length = end - 0.3, 0.7
        inside = (t >= start) & (t < start + length)
        nod += np.where(inside, NOD_DEPTH * rng.uniform(0.8, 1.2) * 0.5 * (1 - np.cos(2 * np.pi * (t - start) / length)),
                        0.0).astype(np.float32)
    sway = (performance.sway if performance.sway is not None else np.zeros(n, np.float32)) + toward * LISTEN_SWAY * on
    roll = (performance.roll if performance.roll is not None else np.zeros(n, np.float32)) + toward * LISTEN_ROLL * on
    return replace(performance, sway=sway.astype(np.float32), roll=roll.astype(np.float32), nod=nod)
