"""What a live channel puts on air, frame by frame: a finished clip (:class:`ClipSource`) or, between
items, the anchor at rest in the studio (:class:`Interval`).

Both yield ``(frame, sound)``: an HxWx3 uint8 picture and ``AUDIO_RATE / FPS`` int16 samples.  The
interval is composed live by the render stage's compositor: the anchor breathing and blinking, the
station bug, the AI corner mark, a headline saying what comes next and a ticker of the queue, over a
soft music :class:`Bed`.  The same bed comes up under a clip's quiet stretches (its title card and
lead-in, its outro), so two items back to back are never silent for long either.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import replace
from typing import Iterator

import numpy as np

from ..audio import normalize_loudness
from ..avatar import AvatarPack, perform
from ..graphics import (
    Z_BRAND, Z_CORNER_MARK, Z_DESK, Z_HEADLINE, Sprite, SpriteLayer, TickerLayer, brand_sprite, corner_mark_sprite,
    desk_sprite, headline_sprite, layout_for, ticker_art,
)
from ..graphics import Look
from ..render import Seat, compose_frames, load_audio, studio_set
from ..speech import Timeline
from .options import AUDIO_RATE, FPS

CHUNK = AUDIO_RATE // FPS  # samples of sound per frame
LOOP_SECONDS = 60  # the interval's performance repeats after this; its head comes back to rest at the seam
SEAM_SECONDS = 1.5
MUSIC_LUFS = -30.0  # the interval bed, well under the clips' -14 LUFS
FADE_FRAMES = 12  # the bed fades out over this many frames before an item starts
QUIET_LEVEL = 200  # int16 peak (-44 dBFS) under which a clip's 0.1 s window counts as quiet
BED_RAMP_S = 0.3  # the bed fades in and out over this long, inside a clip's quiet stretch


def interval_music(seconds: int = 12, rate: int = AUDIO_RATE) -> np.ndarray:
    """A calm chord pad (the project's own): four chords, each swelling from and back to silence, so it loops
    without a click.  Mono float32."""
    t = np.arange(seconds * rate) / rate
    chords = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66)]
    bar = seconds / len(chords)
    out = np.zeros_like(t)
    for k, chord in enumerate(chords):
        inside = (t >= k * bar) & (t < (k + 1) * bar)
        swell = np.sin(np.pi * np.clip((t - k * bar) / bar, 0, 1)) ** 0.5
        for f in chord:
            out += inside * swell * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * 0.08
    return (out * 0.6).astype("<f4")


class Bed:
    """The channel's music bed: it runs on across the interval and under each quiet stretch of a clip that is
    ``max_silence`` seconds or longer."""

    def __init__(self, max_silence: float = 1.0):
        self.max_silence = max_silence
        bed = normalize_loudness(interval_music(), AUDIO_RATE, MUSIC_LUFS)
        self.music = np.round(bed * 32767).astype(np.int16)
        self._played = 0  # samples played so far, so the music runs on from where it was

    def next(self, gain: np.ndarray | float = 1.0) -> np.ndarray:
        """The next frame's worth (``CHUNK`` samples, int16) at ``gain`` (one value, or one per sample)."""
        at = self._played % len(self.music)
        self._played += CHUNK
        return (np.take(self.music, np.arange(at, at + CHUNK), mode="wrap") * gain).astype(np.int16)


def bed_gain(sound: np.ndarray, max_silence: float, rate: int = AUDIO_RATE) -> np.ndarray:
    """The bed's gain under a clip's ``sound`` (int16), one value per sample: 1 inside each quiet stretch of at
    least ``max_silence`` seconds, faded in and out over :data:`BED_RAMP_S` inside it, 0 under the speech."""
    window = rate // 10
    n = -(-len(sound) // window)
    if n == 0:
        return np.zeros(0, np.float32)
    peaks = np.abs(np.pad(sound, (0, n * window - len(sound))).astype(np.int32)).reshape(n, window).max(axis=1)
    edges = np.diff(np.concatenate([[0], (peaks < QUIET_LEVEL).astype(np.int8), [0]]))
    gain = np.zeros(n, np.float32)
    ramp = BED_RAMP_S * 10
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if end - start >= max_silence * 10:
            k = np.arange(end - start)
            gain[start:end] = np.clip(np.minimum(k + 0.5, end - start - k - 0.5) / ramp, 0, 1)
    centres = np.arange(n) * window + window / 2
    return np.interp(np.arange(len(sound)), centres, gain).astype(np.float32)


class ClipSource:
    """A rendered clip, decoded as it plays (a few frames ahead, in a thread), with the bed under its quiet
    stretches."""

    def __init__(self, path: str, bed: Bed):
        self.path, self.bed = path, bed
        self.sound = np.zeros(0, np.int16)
        self.gain = np.zeros(0, np.float32)
        self._frames: queue.Queue = queue.Queue(maxsize=10)
        self._stop = threading.Event()
        threading.Thread(target=self._decode, daemon=True, name="live-decode").start()

    def _decode(self) -> None:
        """The sound first (the first frame needs it), then the pictures: none of it on the playout's thread."""
        import av

        try:
            sound = load_audio(self.path, AUDIO_RATE)
            self.sound = np.clip(np.round(sound * 32767), -32768, 32767).astype(np.int16)
            self.gain = bed_gain(self.sound, self.bed.max_silence)
            with av.open(self.path) as container:
                for frame in container.decode(video=0):
                    if not self._hand_over(frame.to_ndarray(format="rgb24")):
                        return
        finally:
            self._hand_over(None)  # the end of the clip

    def _hand_over(self, picture: np.ndarray | None) -> bool:
        """Queue ``picture`` for the playout, waiting while it is full; False once the playout has stopped."""
        while not self._stop.is_set():
            try:
                self._frames.put(picture, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def frames(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        i = 0
        try:
            while (picture := self._frames.get()) is not None:
                sound = self.sound[i * CHUNK:(i + 1) * CHUNK]
                gain = self.gain[i * CHUNK:(i + 1) * CHUNK]
                if len(sound) < CHUNK:
                    sound, gain = np.pad(sound, (0, CHUNK - len(sound))), np.pad(gain, (0, CHUNK - len(gain)))
                mixed = sound.astype(np.int32) + self.bed.next(gain)
                yield picture, np.clip(mixed, -32768, 32767).astype(np.int16)
                i += 1
        finally:
            self._stop.set()


class Interval:
    """The anchor at rest between items, with what comes next."""

    def __init__(self, size: tuple[int, int], look: Look, avatar: AvatarPack, bed: Bed, language: str = "zh",
                 seed: int = 7):
        self.layout = layout_for(*size)
        self.look, self.language = look, language
        self.backdrop, rigs = studio_set(self.layout, look, [avatar])
        self.rig, self.box = rigs[0]
        self.performance = resting(LOOP_SECONDS * FPS, FPS, seed)
        self.bed = bed
        self.fading = False
        self.ticker_look = _labelled_ticker(look, "预告" if language == "zh" else "Next")
        desk = desk_sprite(self.layout, look)  # the anchor sits behind the same desk as in the clips
        self._fixed = [SpriteLayer(brand_sprite(self.layout, look), Z_BRAND),
                       SpriteLayer(corner_mark_sprite(self.layout, look), Z_CORNER_MARK)] + \
            ([SpriteLayer(desk, Z_DESK)] if desk is not None else [])

    def frames(self, coming: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One loop of the interval (:data:`LOOP_SECONDS`), or until :meth:`fade_out` has faded it out."""
        self.fading, faded = False, 0
        layers = self._fixed + self._coming_layers(coming)
        for frame in compose_frames(self.backdrop, [Seat(self.rig, self.box, self.performance)], layers):
            gain = 1.0
            if self.fading:
                faded += 1
                gain = np.linspace(1 - (faded - 1) / FADE_FRAMES, 1 - faded / FADE_FRAMES, CHUNK)
            yield frame, self.bed.next(gain)
            if faded >= FADE_FRAMES:
                return

    def fade_out(self) -> None:
        """Something is ready to go on air: the bed fades out over the next :data:`FADE_FRAMES` frames."""
        self.fading = True

    def _coming_layers(self, coming: list[str]) -> list:
        zh = self.language == "zh"
        if coming:
            title = ("稍后播出：" if zh else "Coming up: ") + coming[0]
        else:
            title = f"{self.look.station.name} · " + ("直播" if zh else "Live")
        layers = [SpriteLayer(headline_sprite(title, self.layout, self.look, self.language), Z_HEADLINE)]
        if len(coming) > 1 or not coming:
            text = ("　".join(f"▶ {t}" for t in coming[1:]) if coming else
                    ("新闻稍后继续" if zh else "More news shortly"))
            art = ticker_art(text, self.layout, self.ticker_look)
            strip = Sprite(art.strip_rgb, art.strip_alpha, 0, 0, kind="ticker_text")
            layers.append(TickerLayer(art.band, strip, art.window, art.px_per_second, 0.0, float("inf")))
        return layers


def _labelled_ticker(look: Look, label: str) -> Look:
    """``look`` with its ticker's label (the template's, 快讯 in the news template) saying what the interval's
    ticker lists; a template whose ticker has no label keeps none."""
    ticker = look.template.ticker
    if not ticker.label:
        return look
    labelled = ticker.model_copy(update={"label": label})
    return replace(look, template=look.template.model_copy(update={"ticker": labelled}))


def resting(n_frames: int, fps: int, seed: int):
    """The anchor's performance with nothing to say: breathing, blinks and a little sway, back to rest at both
    ends so it can repeat."""
    idle = perform(Timeline((), n_frames / fps), "zh", n_frames, fps, seed=seed)
    t = np.arange(n_frames) / fps
    ramp = np.clip(np.minimum(t, t[-1] - t) / SEAM_SECONDS, 0, 1)
    taper = (ramp * ramp * (3 - 2 * ramp)).astype(np.float32)
    blink = idle.blink.copy()
    blink[:int(SEAM_SECONDS * fps)] = 0
    blink[-int(SEAM_SECONDS * fps):] = 0
    return replace(idle, sway=idle.sway * taper, nod=idle.nod * taper, roll=idle.roll * taper, blink=blink)
