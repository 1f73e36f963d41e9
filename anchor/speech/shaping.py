"""Shaping the audio of one engine call: pauses at phrase boundaries made the length they should be
(shortened only where silent, inserted at the quietest point), onsets and decays trimmed, edges faded,
and the timeline's times kept inside the audio.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .engines import EngineResult
from .phrasing import _Piece
from .timeline import Phone, Timeline, Token

LEAD = 0.05  # seconds of audio kept before the first token at most (onsets)
MAX_TAIL = 0.25  # ... and after a phrase's last token (decays), before a pause


def _frame_rms(audio: np.ndarray, sr: int, hop_s: float = 0.005) -> tuple[np.ndarray, int]:
    hop = max(1, int(sr * hop_s))
    n = len(audio) // hop
    if n == 0:
        return np.zeros(0), hop
    frames = audio[: n * hop].reshape(n, hop)
    return np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)), hop


def _silence_threshold(audio: np.ndarray) -> float:
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    return max(1e-4, peak * 10 ** (-45 / 20))


def _shape_group(result: EngineResult, pieces: list[_Piece]):
    """Split the tokens by phrase and make each pause inside the call the length it should be."""
    sr = result.sample_rate
    audio = result.samples.astype(np.float32)
    tokens, k = [], 0
    for piece in pieces:
        tokens.append(list(result.tokens[k:k + piece.units]))
        k += piece.units
    phones = list(result.phones)
    threshold = _silence_threshold(audio)
    # right to left, so edits never move positions still to be edited
    for b in range(len(pieces) - 2, -1, -1):
        target = pieces[b].pause_after
        if target <= 0:
            continue
        end, start = tokens[b][-1].end, tokens[b + 1][0].start
        gap = start - end
        s0, s1 = int(round(end * sr)), int(round(start * sr))
        if gap > target + 0.01:
            cut = _silent_span(audio, sr, s0, s1, threshold, int(round((gap - target) * sr)))
            if cut:
                a, length = cut
                audio = np.concatenate([audio[:a], audio[a + length:]])
                tokens, phones = _shift(tokens, phones, a / sr, -length / sr)
        elif gap < target - 0.01:
            length = int(round((target - gap) * sr))
            at = _quietest(audio, sr, s0, s1)
            audio = np.concatenate([audio[:at], np.zeros(length, np.float32), audio[at:]])
            tokens, phones = _shift(tokens, phones, at / sr, length / sr)
    return audio, tokens, phones


def _silent_span(audio, sr, s0, s1, threshold, want):
    """(start, length) of up to ``want`` samples inside [s0, s1) that are silent, or None."""
    rms, hop = _frame_rms(audio[s0:s1], sr)
    if len(rms) == 0:
        return None
    quiet = rms < threshold
    best, run_start, best_span = 0, None, None
    for i, q in enumerate(list(quiet) + [False]):
        if q and run_start is None:
            run_start = i
        elif not q and run_start is not None:
            if i - run_start > best:
                best, best_span = i - run_start, (run_start, i)
            run_start = None
    if not best_span:
        return None
    a, b = s0 + best_span[0] * hop, s0 + best_span[1] * hop
    margin = int(0.01 * sr)
    a, b = a + margin, b - margin
    length = min(want, b - a)
    if length <= 0:
        return None
    mid = (a + b) // 2
    return mid - length // 2, length


def _quietest(audio, sr, s0, s1) -> int:
    """The quietest sample between the end of one token (``s0``) and the start of the next (``s1``)."""
    if s1 - s0 < int(0.005 * sr):  # touching (or overlapping) tokens: cut exactly between them
        return min(max(s0, 0), len(audio))
    a, b = max(0, s0), min(len(audio), s1)
    if b - a < 2:
        return min(max(s0, 0), len(audio))
    rms, hop = _frame_rms(audio[a:b], sr, 0.0025)
    if len(rms) == 0:
        return a
    i = int(np.argmin(rms))
    seg = np.abs(audio[a + i * hop: a + (i + 1) * hop])
    return a + i * hop + (int(np.argmin(seg)) if len(seg) else 0)


def _shift(tokens, phones, at: float, delta: float):
    """Times after ``at`` moved by ``delta``; a span ending exactly at ``at`` keeps its end."""
    def start(t: float) -> float:
        return t if t < at else max(at, t + delta)

    def end(t: float) -> float:
        return t if t <= at else max(at, t + delta)

    tokens = [[Token(t.text, start(t.start), max(start(t.start), end(t.end))) for t in group] for group in tokens]
    phones = [Phone(p.symbol, start(p.start), max(start(p.start), end(p.end))) for p in phones]
    return tokens, phones


def _onset(audio, sr, first: float) -> int:
    """First sample to keep: up to LEAD before the first token, no earlier than the sound starts."""
    start = int(round(first * sr))
    lo = max(0, start - int(LEAD * sr))
    rms, hop = _frame_rms(audio[lo:start], sr)
    threshold = _silence_threshold(audio)
    loud = np.nonzero(rms >= threshold)[0]
    return lo + int(loud[0]) * hop if len(loud) else start


def _decay(audio, sr, last: float, max_tail: float = MAX_TAIL) -> int:
    """Sample after the last one to keep: where the sound after the last token has died away."""
    end = int(round(last * sr))
    hi = min(len(audio), end + int(max_tail * sr))
    rms, hop = _frame_rms(audio[end:hi], sr)
    threshold = _silence_threshold(audio)
    loud = np.nonzero(rms >= threshold)[0]
    return min(hi, end + (int(loud[-1]) + 1) * hop) if len(loud) else min(end, len(audio))


def _fade(body: np.ndarray, sr: int):
    n = min(len(body) // 2, int(0.005 * sr))
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        body[:n] *= ramp
        body[-n:] *= ramp[::-1]


def _clamped(timeline: Timeline) -> Timeline:
    """Keep every time inside [0, duration] and monotonic (rounding at the edges only)."""
    d = timeline.duration
    last = 0.0
    phrases = []
    for p in timeline.phrases:
        toks = []
        for t in p.tokens:
            s = min(max(t.start, last), d)
            e = min(max(t.end, s), d)
            toks.append(Token(t.text, s, e))
            last = s
        start = toks[0].start if toks else min(max(p.start, 0.0), d)
        end = max(t.end for t in toks) if toks else start
        phrases.append(replace(p, start=start, end=end, tokens=tuple(toks)))
    phones = tuple(sorted((Phone(ph.symbol, min(max(ph.start, 0.0), d), min(max(ph.end, ph.start, 0.0), d))
                           for ph in timeline.phones), key=lambda ph: ph.start))
    return Timeline(tuple(phrases), d, phones)
