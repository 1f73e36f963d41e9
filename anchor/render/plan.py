"""The render plan: where a story's speech, stingers and graphics sit on the clip's clock.

``plan_story(story, speech, look, fps, lead_in, lead_out)`` is worked out once per
story from the script's cues and the speech's timeline, and serves every aspect.
Times are seconds from the clip's first frame.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from ..graphics import Look, question_seconds, video_duration
from ..script import LowerThird, Script
from ..speech import Speech, Timeline
from .compose import Shot


@dataclass(frozen=True)
class Timing:
    """Where everything sits on the clip's clock (seconds from the first frame)."""

    fps: int
    n_frames: int
    intro: float  # the intro stinger's length (speech starts at intro + lead_in)
    speech_at: float
    speech_end: float
    outro_at: float
    paragraphs: list[tuple[float, float]]  # when each paragraph is read

    @property
    def duration(self) -> float:
        return self.n_frames / self.fps


@dataclass(frozen=True)
class Plan:
    """A story's clip on its clock: the timing, and when each lower third, ticker text and B-roll shows."""

    timing: Timing
    lower_thirds: list[tuple[LowerThird, float, float]]
    tickers: list[tuple[str, float, float]]
    brolls: list[tuple[object, float, float]]

    def describe(self) -> dict:
        """The plan as the clip's metadata JSON gives it (rounded to the millisecond)."""
        t = self.timing
        return {
            "segments": {"intro": [0.0, round(t.intro, 3)], "anchor": [round(t.intro, 3), round(t.outro_at, 3)],
                         "speech": [round(t.speech_at, 3), round(t.speech_end, 3)],
                         "outro": [round(min(t.outro_at, t.duration), 3), round(t.duration, 3)]},
            "lower_thirds": [{"name": lt.name, "title": lt.title, "start": round(s, 3), "end": round(e, 3)}
                             for lt, s, e in self.lower_thirds],
            "ticker": [{"text": text, "start": round(s, 3), "end": round(e, 3)} for text, s, e in self.tickers],
            "broll": [{"file": str(b.path), "mode": b.mode, "start": round(s, 3), "end": round(e, 3)}
                      for b, s, e in self.brolls],
        }


def speaker_shots(turns: tuple, speech_at: float) -> tuple[Shot, ...]:
    """A desk cutting to the one who speaks: the first speaker from the first frame, then each new speaker
    from the middle of the pause before their turn (``turns`` on the speech's clock)."""
    shots = [Shot(0.0, (turns[0].speaker,))]
    for before, turn in zip(turns, turns[1:]):
        if turn.speaker != shots[-1].seats[0]:
            shots.append(Shot(round(speech_at + (before.end + turn.start) / 2, 3), (turn.speaker,)))
    return tuple(shots)


def plan_story(story: Script, speech: Speech, look: Look, fps: int, lead_in: float, lead_out: float,
               turns: tuple = ()) -> Plan:
    """The clip's timing and its graphics schedule, from the script's cues and the speech's timeline
    (``turns``: at a two-anchor desk, who speaks when; each speaker's lower third comes as they first speak)."""
    timing = _timing(story, speech, look, fps, lead_in, lead_out)
    return Plan(timing, *_schedule(story, timing, look, turns))


def _timing(story: Script, speech: Speech, look: Look, fps: int, lead_in: float, lead_out: float) -> Timing:
    intro = stinger_seconds(look, "intro", story)
    outro = stinger_seconds(look, "outro")
    speech_at = intro + lead_in
    speech_end = speech_at + speech.duration
    outro_at = speech_end + lead_out
    n_frames = round((outro_at + outro) * fps)
    spans = paragraph_spans(speech.timeline, story.paragraphs, story.preamble())
    return Timing(fps, n_frames, intro, speech_at, speech_end, outro_at,
                  [(s + speech_at, e + speech_at) for s, e in spans])


def stinger_seconds(look: Look, which: str, story: Script | None = None) -> float:
    """How long the intro or outro runs: the station's ident video, else the template's card (a 问政 reply's
    question card as long as reading the question takes)."""
    video = look.stinger_video(which)
    if video is not None:
        return video_duration(video)
    style = getattr(look.template, which)
    if style.card == "question" and story is not None and story.question is not None:
        return question_seconds(story.question, style.seconds)
    return style.seconds


def paragraph_spans(timeline: Timeline, paragraphs: list[str], preamble: str | list[str] = ()) -> list[tuple[float, float]]:
    """(start, end) of each paragraph's speech, found by matching the phrases' text to the paragraphs.

    ``preamble``: what was read first (the headline, a 问政 question); its phrases belong to no paragraph.
    """
    preamble = [preamble] if isinstance(preamble, str) else list(preamble)
    if preamble:
        return paragraph_spans(timeline, [*preamble, *paragraphs])[len(preamble):]
    squash = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    flat = [squash(p) for p in paragraphs]
    ends = list(np.cumsum([len(p) for p in flat]))
    text = "".join(flat)
    spans: list[list[float]] = [[] for _ in paragraphs]
    cursor, current = 0, 0
    for phrase in timeline.phrases:
        piece = squash(phrase.display)
        at = text.find(piece, cursor) if piece else -1
        if at >= 0:
            current = min(bisect.bisect_right(ends, at), len(paragraphs) - 1)
            cursor = at + len(piece)
        spans[current] += [phrase.start, phrase.end]
    out, last = [], 0.0
    for times in spans:
        start, end = (min(times), max(times)) if times else (last, last)
        out.append((start, end))
        last = end
    return out


def _schedule(story: Script, timing: Timing, look: Look, turns: tuple = ()):
    """When each lower third, ticker text and B-roll shows, from the script's cues."""
    style = look.template.lower_third
    show_until = timing.outro_at
    lower = []
    if story.lower_third is not None:
        lower.append((timing.intro + style.start, story.lower_third, style.seconds))
    for k, speaker in enumerate(story.speakers):  # a desk: each anchor's name as they first speak
        first = next((t for t in turns if t.speaker == k), None)
        if first is not None:
            lower.append((timing.speech_at + first.start, LowerThird(speaker.name, speaker.title), style.seconds))
    if story.question is not None and story.lower_third is None:  # a 问政 reply: the department that answers
        answering = LowerThird(story.question.department, f"答复 · {story.question.status}" if story.language == "zh"
                               else "replies")
        lower.append((timing.speech_at, answering, style.seconds))
    tickers = [(timing.intro, story.ticker)] if story.ticker else []
    brolls = []
    for cue in story.cues:
        start, end = timing.paragraphs[cue.paragraph]
        if cue.kind == "lower_third":
            lower.append((start, cue.value, cue.seconds))
        elif cue.kind == "ticker":
            tickers.append((start, cue.value))
        else:
            following = [s for s, _ in timing.paragraphs[cue.paragraph + 1:]]
            brolls.append((cue.value, start, following[0] if following else timing.speech_end))
    lower.sort(key=lambda item: item[0])
    lower_thirds = []
    for n, (start, lt, seconds) in enumerate(lower):
        end = min(start + seconds, show_until, lower[n + 1][0] if n + 1 < len(lower) else show_until)
        if end > start:
            lower_thirds.append((lt, start, end))
    tickers.sort(key=lambda item: item[0])
    ticker_spans = [(text, start, tickers[n + 1][0] if n + 1 < len(tickers) else show_until)
                    for n, (start, text) in enumerate(tickers)]
    return lower_thirds, [t for t in ticker_spans if t[2] > t[1]], brolls
