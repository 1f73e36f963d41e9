"""Who reads a story: one anchor, or two at a desk (双主播), each with a voice, an avatar and a performance.

A plain script has one seat: its voice and avatar (or the options'); a script whose
paragraphs are marked ``【融融】`` has one seat per speaker, in the order ``speakers:`` lists
them, each with the speaker's own voice and avatar or, where the script names none, the
built-in pair's (two offline voices a listener tells apart, two drawn pandas).  The one
speaking talks; the other listens: mouth at rest, turned a little toward the speaker,
nodding as they finish.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..avatar import DEFAULT_AVATAR, PAIR_AVATARS, AvatarPack, Performance, listening, load_avatar, perform
from ..graphics import Cue
from ..script import Script
from ..speech import Speech, Turn, load_voice, pair_voice, speaker_timeline
from .options import RenderOptions


@dataclass(frozen=True)
class Cast:
    """The seats of one story, left to right: the avatar and voice of each, and the speakers' names."""

    avatars: tuple[AvatarPack, ...]
    voices: tuple
    names: tuple[str, ...] = ()  # a desk: each seat's speaker; empty for one anchor

    @property
    def desk(self) -> bool:
        return len(self.avatars) > 1


def cast_of(story: Script, options: RenderOptions) -> Cast:
    """The seats ``story`` needs, every voice and avatar loaded (an unknown name fails now)."""
    if not story.speakers:
        return Cast((load_avatar(options.avatar or story.avatar),), (load_voice(options.voice or story.voice,
                                                                               story.language),))
    avatars, voices = [], []
    for seat, speaker in enumerate(story.speakers):
        avatars.append(load_avatar(speaker.avatar or (story.avatar if seat == 0 and story.avatar else None)
                                   or (PAIR_AVATARS[seat] if seat < len(PAIR_AVATARS) else DEFAULT_AVATAR)))
        voices.append(load_voice(pair_voice(story, seat), story.language))
    return Cast(tuple(avatars), tuple(voices), tuple(s.name for s in story.speakers))


def performances(story: Script, cast: Cast, speech: Speech, turns: tuple[Turn, ...], speech_at: float,
                 n_frames: int, fps: int, track: np.ndarray, rate: int, seed: int) -> list[Performance]:
    """Each seat's performance on the clip's clock."""
    if not cast.desk:
        return [perform(speech.timeline.shifted(speech_at), story.language, n_frames, fps, track, rate, seed)]
    out = []
    for seat in range(len(cast.avatars)):
        own = speaker_timeline(speech.timeline, turns, seat).shifted(speech_at)
        talking = perform(own, story.language, n_frames, fps, track, rate, seed + seat)
        others = [(speech_at + t.start, speech_at + t.end) for t in turns if t.speaker != seat]
        toward = 1.0 if seat == 0 else -1.0  # the other anchor sits to the right of seat 0
        out.append(listening(talking, others, toward, seed + seat))
    return out


def labelled(cues: list[Cue], cast: Cast, turns: tuple[Turn, ...], speech_at: float) -> list[Cue]:
    """At a desk, each cue with the name of who says it (the turn its middle falls in)."""
    if not cast.desk:
        return cues

    def speaker(cue: Cue) -> str:
        middle = (cue.start + cue.end) / 2 - speech_at
        turn = min(turns, key=lambda t: 0 if t.start <= middle <= t.end else min(abs(middle - t.start),
                                                                                   abs(middle - t.end)))
        return cast.names[turn.speaker]

    return [replace(cue, speaker=speaker(cue)) for cue in cues]
