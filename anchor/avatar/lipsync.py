"""Lip-sync: what a frame's pose does to the face, and the rig protocol the renderer uses.

The renderer knows one small protocol, :class:`Rig`: ``base`` (the anchor area at
rest), ``dirty_rects()`` (every rectangle a pose may change) and ``patches(pose)``
(the pastes for one frame).  Avatar kinds (a photo, a presenter's video loop, a
cartoon mascot) each build a rig; how they do it never touches the renderer.

A lip-sync *method* turns a presenter picture and its face landmarks into
:class:`FaceParts`: small patches (mouth, eyes) rendered per pose.  Methods are
chosen by name from the avatar pack (``get_method``): ``warp`` (the face mesh
moved by jaw and lip channels, :mod:`anchor.avatar.warp`) and ``wav2lip`` (a
neural network, the ``neural`` extra, :mod:`anchor.avatar.wav2lip`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .face import Face

BLINK_LEVELS = (0.0, 0.55, 1.0)

Paste = tuple[int, int, np.ndarray]  # (x, y, pixels): pixels go at column x, row y of the anchor area
Rect = tuple[int, int, int, int]  # (x, y, w, h)


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    """The clip's speech audio, for methods that listen to it (a neural lip-sync network)."""

    samples: np.ndarray  # mono float32
    sample_rate: int
    fps: int


@dataclass(frozen=True)
class Pose:
    """What the anchor does in one frame."""

    mouth_open: float = 0.0  # 0 closed .. 1 widest
    mouth_width: float = 0.0  # -1 rounded .. 1 spread
    blink: float = 0.0  # 0 eyes open .. 1 closed
    viseme: str = "rest"  # the mouth shape being spoken (anchor.speech.VISEMES)
    sway: float = 0.0  # head moved sideways, in face heights (+ to the viewer's right)
    nod: float = 0.0  # head lowered, in face heights (+ down)
    roll: float = 0.0  # head tilted, degrees (+ clockwise as seen)
    bounce: float = 0.0  # 0 .. 1: how high a mascot hops
    tongue: float = 0.0  # 0 .. 1: the tongue tip raised behind the upper teeth (d, t, n, l)
    speaking: float = 0.0  # 0 .. 1: inside a phrase (a smiling face relaxes), 0 in pauses and at rest
    reading: float = 0.0  # 0 .. 1: from the clip's start to the last word (lips parted in the photo come together)
    frame: int = 0  # index of the frame in the clip
    audio: SpeechAudio | None = field(default=None, compare=False, repr=False)


@runtime_checkable
class Rig(Protocol):
    """An avatar prepared for one clip at one frame size; the renderer's whole view of it."""

    #: the anchor area at rest (HxWx3 uint8), pasted once into the static picture
    base: np.ndarray

    def dirty_rects(self) -> list[Rect]:
        """Every (x, y, w, h) of the anchor area that some pose may change; the renderer
        re-blends graphics lying over these after pasting the patches."""
        ...

    def patches(self, pose: Pose) -> Iterator[Paste]:
        """The pastes that turn ``base`` into this pose's picture, in order."""
        ...


@runtime_checkable
class PlannedRig(Rig, Protocol):
    """A rig that decides what the whole clip shows before its first frame (a twin chooses its recorded mouths)."""

    def plan(self, performance) -> dict:
        """Prepare for the clip ``performance`` describes; returns what the clip's JSON records of it
        (its ``warnings`` list is added to the clip's)."""
        ...


def plan_rig(rig: Rig, performance) -> dict | None:
    """Let a :class:`PlannedRig` choose its whole clip before the first frame; None for a rig that does not."""
    return rig.plan(performance) if isinstance(rig, PlannedRig) else None


class FaceParts(Protocol):
    """The parts of a face a lip-sync method animates, as RGBA patches of the presenter picture."""

    def rects(self) -> list[Rect]: ...

    def patches(self, pose: Pose) -> Iterator[Paste]: ...


class LipSyncMethod(Protocol):
    name: str

    def parts(self, picture: np.ndarray, face: Face) -> FaceParts:
        """Prepare the animated parts of ``picture`` (HxWx4 RGBA uint8) whose face is ``face``."""
        ...


#: method name -> "module:class"; a method's module is imported only when a pack asks for it
METHODS = {"warp": "anchor.avatar.warp:WarpLipSync", "wav2lip": "anchor.avatar.wav2lip:Wav2LipSync"}


def get_method(name: str, **options) -> LipSyncMethod:
    from ..errors import AvatarError

    if name not in METHODS:
        raise AvatarError(f"未知的口型方法 {name!r}（可用：{', '.join(METHODS)}）",
                          f"unknown lip-sync method {name!r}; known: {', '.join(METHODS)}")
    module, cls = METHODS[name].split(":")
    return getattr(importlib.import_module(module), cls)(**options)
