"""What the jaw and the lips do for one pose: the channels the face mesh is moved by.

After JALI (Edwards et al., SIGGRAPH 2016), the jaw and the lips are separate
channels: an "a" drops the jaw, an "o" rounds and pushes the lips forward with
the jaw half open, an "i" spreads them with the jaw nearly closed, b/p/m press
the lips together and f tucks the lower lip under the upper teeth.  A pose's
opening, width and viseme (from :mod:`anchor.avatar.performance`) become an
:class:`Articulation` in units of the mouth's width, so one face of any size
reads the same; :mod:`anchor.avatar.mouthmesh` turns it into vertex positions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lipsync import Pose

MAX_GAP = 0.36  # the widest opening between the lips, at the centre, in mouth widths (a shouted "a" is ~0.5)
JAW_SHARE = 0.72  # of an opening, how much the jaw makes (the rest is the lips parting)
SPREAD = 0.07  # how far each corner moves out for i/e, in mouth widths
ROUND = 0.12  # how far each corner moves in for o/u/ü
TEETH_SHOW = 0.05  # how far the upper incisors reach below the relaxed upper lip, in mouth widths


@dataclass(frozen=True)
class Articulation:
    """One pose of the lower face; lengths are shares of the mouth's width, + is down or outward."""

    jaw: float = 0.0  # drop of the chin
    upper_lift: float = 0.0  # the upper lip rises off the teeth
    lower_drop: float = 0.0  # the lower lip parts from the upper beyond what the jaw gives
    spread: float = 0.0  # each corner moves out (i/e)
    pucker: float = 0.0  # 0..1: lips round and push forward (o/u/ü), corners move in
    press: float = 0.0  # 0..1: lips pressed together (b/p/m): thinner, rolled in
    tuck: float = 0.0  # 0..1: the lower lip tucked under the upper teeth (f)
    tongue_tip: float = 0.0  # 0..1: the tip raised behind the upper teeth (d/t/n/l)
    relax: float = 0.0  # 0..1: how far a smiling mouth relaxes toward a neutral speaking one
    together: float = 0.0  # 0..1: how far lips the photo shows parted come together between syllables

    @property
    def opening(self) -> float:
        """Gap between the lips at the centre (mouth widths), before the photo's own."""
        return self.jaw * 0.95 + self.upper_lift + self.lower_drop


def articulate(pose: Pose) -> Articulation:
    """The jaw and lip channels for ``pose``."""
    opening = max(0.0, min(1.0, pose.mouth_open))
    width = max(-1.0, min(1.0, pose.mouth_width))
    gap = opening * MAX_GAP
    rounded, spread = max(-width, 0.0), max(width, 0.0)
    # rounded and spread vowels open with the lips more than with the jaw
    jaw_share = JAW_SHARE - 0.22 * rounded - 0.3 * spread
    jaw = jaw_share * gap / 0.95
    lips = gap - 0.95 * jaw
    press = 1.0 if pose.viseme == "closed" else 0.0
    tuck = 1.0 if pose.viseme == "teeth" else 0.0
    if tuck:  # f: the jaw barely moves, the upper lip shows the teeth and the lower lip meets them
        jaw, lips = 0.03, 0.0
    return Articulation(jaw=jaw, upper_lift=0.35 * lips + 0.05 * tuck, lower_drop=0.65 * lips,
                        spread=SPREAD * spread * (0.5 + 0.5 * opening), pucker=rounded * min(1.0, 0.4 + opening),
                        press=press, tuck=tuck, tongue_tip=max(0.0, min(1.0, pose.tongue)),
                        relax=max(0.0, min(1.0, pose.speaking)), together=0.85 * max(0.0, min(1.0, pose.reading)))
