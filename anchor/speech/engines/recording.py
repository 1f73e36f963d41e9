"""A human recording: the producer's own reading of the script (WAV, MP3, M4A, FLAC ...).

The recording is the speech; only its timing is worked out here.  The speech
stage hands over the whole script at once, one phrase per line
(``whole_script``), and uses the audio as it is, the reader's pauses included
(leading and trailing silence is trimmed).

Alignment:

1. Voiced segments: 10 ms frames whose level is above a threshold set from the
   recording itself (between its noise floor and its speech level); dips shorter
   than 60 ms are bridged, blips shorter than 40 ms dropped.
2. Phrases to segments: every phrase starts at the start of a voiced segment and
   ends at the end of one, in order.  Dynamic programming picks the cut points
   among the silences so that each phrase's length fits its number of syllables
   at the reader's overall pace, with a bonus for long silences where the script
   has a sentence break.  If the reader ran phrases together (fewer silences than
   phrases), a segment is cut at its quietest point.
3. Syllables in a phrase: spread over the phrase's voiced frames in proportion to
   each unit's syllables (a Chinese character 1, a Latin letter as it is spelled
   out, an English word by its vowel groups), skipping the phrase's inner pauses.
"""

from __future__ import annotations

import re

import numpy as np

from ...errors import InputError
from ..timeline import Token
from .base import LETTER_PINYIN, MISSING, READY, Availability, EngineResult, spoken_units

FRAME = 0.01  # seconds per analysis frame
BRIDGE = 0.06  # dips shorter than this inside speech are not pauses
MIN_VOICED = 0.04  # voiced runs shorter than this are clicks, not speech
BREAK_BONUS = {"sentence": 1.0, "comma": 0.4, "none": 0.0}  # per second of silence at a phrase boundary
WINDOW = 40  # a phrase spans at most this many voiced segments


class RecordingEngine:
    name = "recording"
    whole_script = True

    @staticmethod
    def check(preset) -> Availability:
        path = preset.model_path()
        if path is None or not path.is_file():
            return Availability(MISSING, f"找不到录音文件 {path} / recording not found: {path}")
        return Availability(READY, str(path))

    def synthesize(self, text: str, preset) -> EngineResult:
        from ...audio import decode_audio

        path = preset.model_path()
        if path is None or not path.is_file():
            raise InputError(f"找不到录音文件：{path}", f"recording not found: {path}")
        try:
            samples, rate = decode_audio(path)
        except Exception as e:
            raise InputError(f"无法读取录音文件：{path}（{type(e).__name__}）",
                             f"cannot read the recording {path}: {type(e).__name__}: {e}") from None
        if len(samples) < rate * 0.2 or not np.any(samples):
            raise InputError(f"录音文件是空的或没有声音：{path}", f"the recording {path} is empty or silent")
        lines = text.split("\n")
        tokens = align(samples, rate, lines, preset.language)
        peak = float(np.abs(samples).max())
        return EngineResult(samples / max(peak, 1.0), rate, tokens, [])


def voiced_segments(samples: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start, end) in seconds of each stretch of speech."""
    hop = max(1, int(rate * FRAME))
    n = len(samples) // hop
    frames = samples[: n * hop].reshape(n, hop).astype(np.float64)
    level = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)
    floor, loud = np.percentile(level, 10), np.percentile(level, 95)
    threshold = max(floor + 0.35 * (loud - floor), loud - 40.0)
    voiced = level > threshold
    # bridge short dips, then drop short blips
    runs = _runs(voiced)
    for a, b in [(a, b) for a, b, v in runs if not v and a > 0 and b < n and (b - a) * FRAME < BRIDGE]:
        voiced[a:b] = True
    return [(a * FRAME, b * FRAME) for a, b, v in _runs(voiced) if v and (b - a) * FRAME >= MIN_VOICED]


def _runs(mask: np.ndarray) -> list[tuple[int, int, bool]]:
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), len(mask)]
    return [(a, b, bool(mask[a])) for a, b in zip(bounds, bounds[1:]) if b > a]


def unit_weight(unit: str, language: str) -> float:
    """Syllables in one spoken unit (a rough count for English words)."""
    if language == "zh":
        return float(len(LETTER_PINYIN.get(unit.upper(), ("",)))) if unit.isascii() else 1.0
    return float(max(1, len(re.findall(r"[aeiouy]+", unit.lower()))))


def align(samples: np.ndarray, rate: int, lines: list[str], language: str) -> list[Token]:
    """One token per spoken unit of ``lines`` (the script's phrases), timed on the recording."""
    units = [spoken_units(line, language) for line in lines]
    weights = [sum(unit_weight(u, language) for u in us) for us in units]
    breaks = [_break_after(line) for line in lines]
    segments = voiced_segments(samples, rate)
    if not segments:
        raise InputError("录音里没有找到说话声", "no speech found in the recording")
    segments = _enough_segments(segments, samples, rate, len(lines))
    spans = _assign(segments, weights, breaks)
    tokens: list[Token] = []
    for line_units, (first, last) in zip(units, spans):
        voiced = segments[first:last + 1]
        tokens += _spread(line_units, language, voiced)
    return tokens


def _break_after(line: str) -> str:
    end = line.rstrip("”’」』）)】》\"' ")[-1:] if line.strip() else ""
    if end in ("。", "！", "？", "；", ".", "!", "?", ";"):
        return "sentence"
    return "comma" if end in ("，", "、", "：", ",", ":", "…") else "none"


def _enough_segments(segments, samples, rate, needed: int):
    """Cut the longest segments at their quietest point until there are ``needed`` of them."""
    segments = list(segments)
    hop = max(1, int(rate * FRAME))
    while len(segments) < needed:
        i = max(range(len(segments)), key=lambda k: segments[k][1] - segments[k][0])
        a, b = segments[i]
        lo, hi = int(a / FRAME), int(b / FRAME)
        if hi - lo < 4:
            break
        frames = samples[lo * hop:hi * hop].reshape(-1, hop)
        level = np.mean(frames.astype(np.float64) ** 2, axis=1)
        inner = level[1:-1]
        cut = lo + 1 + int(np.argmin(inner))
        segments[i:i + 1] = [(a, cut * FRAME), (cut * FRAME, b)]
    return segments


def _assign(segments, weights, breaks) -> list[tuple[int, int]]:
    """For each phrase, the first and last voiced segment it covers (dynamic programming)."""
    n, m = len(weights), len(segments)
    voiced_total = sum(b - a for a, b in segments)
    pace = voiced_total / max(sum(weights), 1e-9)  # seconds of voice per syllable
    inf = float("inf")
    voiced_until = np.concatenate([[0.0], np.cumsum([b - a for a, b in segments])])
    # best[i][j]: cost of phrases [0, i) ending exactly at segment j-1
    best = np.full((n + 1, m + 1), inf)
    choice = np.zeros((n + 1, m + 1), dtype=np.int64)
    best[0][0] = 0.0
    for i in range(1, n + 1):
        expected = max(weights[i - 1] * pace, 0.05)
        for j in range(i, m - (n - i) + 1):
            for k in range(max(i - 1, j - WINDOW), j):
                if best[i - 1][k] == inf:
                    continue
                voiced = voiced_until[j] - voiced_until[k]
                cost = np.log(max(voiced, 1e-3) / expected) ** 2 * max(weights[i - 1], 1.0) ** 0.5
                if j < m:  # the silence after this phrase
                    cost -= BREAK_BONUS[breaks[i - 1]] * min(segments[j][0] - segments[j - 1][1], 1.5)
                total = best[i - 1][k] + cost
                if total < best[i][j]:
                    best[i][j], choice[i][j] = total, k
    spans, j = [], m
    for i in range(n, 0, -1):
        k = int(choice[i][j])
        spans.append((k, j - 1))
        j = k
    return spans[::-1]


def _spread(units: list[str], language: str, voiced: list[tuple[float, float]]) -> list[Token]:
    """Units laid over the voiced stretches in proportion to their syllables."""
    if not units:
        return []
    weights = np.array([unit_weight(u, language) for u in units])
    lengths = np.array([b - a for a, b in voiced])
    marks = np.concatenate([[0], np.cumsum(weights)]) / weights.sum() * lengths.sum()
    cum = np.concatenate([[0], np.cumsum(lengths)])

    def at(t: float) -> float:
        k = int(np.clip(np.searchsorted(cum, t, side="right") - 1, 0, len(voiced) - 1))
        return voiced[k][0] + min(t - cum[k], lengths[k])

    tokens = []
    for u, a, b in zip(units, marks[:-1], marks[1:]):
        start = at(a)
        end = at(b - 1e-9) if b > a else start
        tokens.append(Token(u, start, max(end, start)))
    return tokens
