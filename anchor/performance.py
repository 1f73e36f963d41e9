"""Per-frame performance of the anchor: mouth shapes, blinks.

Reads the speech :class:`~anchor.timeline.Timeline` (when each syllable or
phoneme is spoken) and the speech audio (how loud each frame is) and returns one
:class:`~anchor.lipsync.Pose` per video frame.  Pure numpy; no images here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pypinyin import Style, pinyin

from .lipsync import Pose
from .timeline import Timeline

# Mouth opening and width per vowel class: (open 0..1, width -1 rounded .. 1 spread).
_VOWELS = {"a": (1.0, 0.0), "o": (0.7, -1.0), "e": (0.6, 0.4), "i": (0.4, 1.0), "u": (0.4, -1.0),
           "v": (0.35, -1.0), "er": (0.55, 0.0)}
_IPA_VOWELS = {"a": "a", "ɑ": "a", "æ": "a", "ʌ": "a", "ɐ": "a", "ɒ": "o", "ɔ": "o", "o": "o", "ʊ": "u", "u": "u",
               "e": "e", "ɛ": "e", "ə": "e", "ɜ": "e", "ɚ": "er", "ɝ": "er", "i": "i", "ɪ": "i", "y": "v"}
_LIP_CLOSED = set("pbm")  # bilabials close the lips
_LIP_TEETH = set("fv")


@dataclass(frozen=True)
class Performance:
    fps: int
    mouth_open: np.ndarray
    mouth_width: np.ndarray
    blink: np.ndarray

    def __len__(self) -> int:
        return len(self.mouth_open)

    def pose(self, frame: int) -> Pose:
        return Pose(float(self.mouth_open[frame]), float(self.mouth_width[frame]), float(self.blink[frame]))


def perform(timeline: Timeline, language: str, n_frames: int, fps: int,
            samples: np.ndarray | None = None, sample_rate: int = 48000, seed: int = 0) -> Performance:
    """The anchor's poses for ``n_frames`` frames of a clip whose speech follows ``timeline``."""
    units = _syllables(timeline, language)
    times = (np.arange(n_frames) + 0.5) / fps
    opening = np.zeros(n_frames, np.float32)
    width = np.zeros(n_frames, np.float32)
    for start, end, closed_onset, (amount, spread) in units:
        i0, i1 = int(np.floor(start * fps)), int(np.ceil(end * fps))
        for i in range(max(i0, 0), min(i1, n_frames)):
            pos = (times[i] - start) / max(end - start, 1e-3)
            if not 0 <= pos < 1:
                continue
            shape = _envelope(pos, closed_onset)
            if amount * shape > opening[i]:
                opening[i], width[i] = amount * shape, spread
    if samples is not None:
        opening *= _loudness_gate(samples, sample_rate, n_frames, fps)
    kernel = np.float32([0.2, 0.6, 0.2])  # neighbours blend so the mouth does not flutter
    opening = np.convolve(opening, kernel, mode="same")
    width = np.convolve(width, kernel, mode="same")
    return Performance(fps, np.clip(opening, 0, 1), np.clip(width, -1, 1), _blinks(n_frames, fps, seed))


def _envelope(pos: float, closed_onset: bool) -> float:
    """Opening over one syllable: quick attack, hold, partial release into the next."""
    if closed_onset and pos < 0.2:
        return 0.0
    rise = (pos - (0.2 if closed_onset else 0.0)) / 0.3
    return float(min(1.0, max(rise, 0.15), 1.0 - 0.55 * max(0.0, (pos - 0.7) / 0.3)))


def _syllables(timeline: Timeline, language: str):
    """(start, end, lips closed at onset, (open, width)) for each syllable-like unit."""
    if language == "en" and timeline.phones:
        return [(p.start, p.end, p.symbol[:1] in _LIP_CLOSED, _ipa_shape(p.symbol)) for p in timeline.phones]
    units = []
    for token in timeline.tokens:
        initial, final = _pinyin(token.text) if language == "zh" else (token.text[:1].lower(), token.text.lower())
        units.append((token.start, token.end, initial[:1] in _LIP_CLOSED, _vowel_shape(final)))
    return units


def _pinyin(char: str) -> tuple[str, str]:
    if not ("\u4e00" <= char[:1] <= "\u9fff"):
        return char[:1].lower(), char.lower()
    initial = pinyin(char, style=Style.INITIALS, strict=False)[0][0]
    final = pinyin(char, style=Style.FINALS, strict=False, v_to_u=False)[0][0]
    return initial, final


def _vowel_shape(final: str) -> tuple[float, float]:
    """Shape of a pinyin final or an English spelling, by its most open vowel."""
    if final.startswith("er"):
        return _VOWELS["er"]
    for vowel in "aoeuvi":
        if vowel in final:
            amount, spread = _VOWELS[vowel]
            if vowel == "a" and ("ian" in final or "yan" in final):
                amount = 0.7  # -ian is read [iɛn]
            return amount, spread
    return 0.3, 0.0


def _ipa_shape(symbol: str) -> tuple[float, float]:
    for ch in symbol:
        if ch in _IPA_VOWELS:
            return _VOWELS[_IPA_VOWELS[ch]]
    if symbol[:1] in _LIP_CLOSED:
        return 0.0, 0.0
    if symbol[:1] in _LIP_TEETH:
        return 0.12, 0.3
    return 0.25, 0.0


def _loudness_gate(samples: np.ndarray, sample_rate: int, n_frames: int, fps: int) -> np.ndarray:
    """0..1 per frame: closes the mouth where the audio is quiet inside a syllable (stops, breaths)."""
    hop = sample_rate / fps
    idx = (np.arange(n_frames + 1) * hop).astype(int)
    sq = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
    idx = np.clip(idx, 0, len(samples))
    energy = (sq[idx[1:]] - sq[idx[:-1]]) / np.maximum(idx[1:] - idx[:-1], 1)
    rms = np.sqrt(energy)
    ref = np.percentile(rms[rms > 0], 90) if np.any(rms > 0) else 1.0
    return np.clip(0.3 + 1.0 * rms / max(ref, 1e-6), 0.0, 1.0).astype(np.float32)


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
