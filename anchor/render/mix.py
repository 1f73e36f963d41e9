"""The clip's sound: speech placed on the timeline, a music bed ducked under it, stinger sound.

Music is decoded from any file ffmpeg reads (MP3, AAC/M4A, WAV, OGG), looped with a
short cross-fade to the clip's length, faded in and out, set ``level_db`` below the
speech's loudness, and ducked a further :data:`DUCK_DB` wherever the anchor speaks,
with smooth ramps (speech activity comes from the speech audio itself, so every
breath-length pause keeps the music down and longer pauses let it come back).
The mastering to the platform's loudness happens afterwards, on the whole mix
(:class:`anchor.export.ClipWriter`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import binary_closing

from ..audio import measure_loudness
from ..errors import InputError
from ..graphics import Look
from .plan import Timing

DUCK_DB = -12.0  # music under speech, relative to the music where nobody speaks
ATTACK_S = 0.15  # how quickly the music dips when the anchor starts
RELEASE_S = 0.45  # how quickly it comes back
HOLD_S = 0.35  # pauses shorter than this keep the music down
FADE_IN_S, FADE_OUT_S, LOOP_FADE_S = 1.0, 1.5, 0.5


def load_audio(path: str | Path, rate: int = 48000) -> np.ndarray:
    """Mono float32 samples at ``rate`` from any audio (or video) file; :class:`InputError` if unreadable."""
    import av

    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到音频文件：{path}", f"audio file not found: {path}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(f"文件中没有声音：{path}", f"no audio stream in {path}")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            chunks = []
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except InputError:
        raise
    except Exception as e:  # PyAV raises several error types for unreadable files
        raise InputError(f"音频文件无法读取：{path}", f"cannot read the audio file {path}: {e}") from None
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if not np.any(samples):
        raise InputError(f"音频文件没有声音：{path}", f"the audio file {path} is silent")
    return samples


def speech_activity(speech: np.ndarray, rate: int, hop_s: float = 0.01) -> np.ndarray:
    """Per ``hop_s`` window: True where the anchor is speaking (pauses shorter than HOLD_S bridged)."""
    hop = max(1, int(rate * hop_s))
    n = len(speech) // hop
    if n == 0:
        return np.zeros(0, bool)
    rms = np.sqrt(np.mean(speech[: n * hop].astype(np.float64).reshape(n, hop) ** 2, axis=1))
    threshold = max(1e-4, float(np.max(rms)) * 10 ** (-40 / 20))
    active = rms > threshold
    if not active.any():
        return active
    # close gaps shorter than HOLD_S without growing the speech at its edges
    return binary_closing(np.pad(active, int(HOLD_S / hop_s)), np.ones(int(HOLD_S / hop_s), bool))[
        int(HOLD_S / hop_s):-int(HOLD_S / hop_s)]


def duck_gain(speech: np.ndarray, rate: int, n_samples: int) -> np.ndarray:
    """Linear gain per sample for the music: 1 where nobody speaks, DUCK_DB down under speech.

    The dip starts ATTACK_S before the anchor's first word (so the music is already down
    when speech begins) and the music comes back over RELEASE_S after the last one.
    """
    hop_s = 0.01
    active = speech_activity(speech, rate, hop_s)
    lead = int(ATTACK_S / hop_s)
    ahead = np.concatenate([active[lead:], np.zeros(min(lead, len(active)), bool)]) | active
    target = np.where(ahead, DUCK_DB, 0.0)
    down, up = DUCK_DB * hop_s / ATTACK_S, -DUCK_DB * hop_s / RELEASE_S  # dB per hop
    db = np.empty(len(target))
    level = 0.0
    for k, goal in enumerate(target):  # a slew-limited follower: linear ramps in dB
        level = max(goal, level + down) if goal < level else min(goal, level + up)
        db[k] = level
    times = (np.arange(len(db)) + 0.5) * hop_s
    sample_times = np.arange(n_samples) / rate
    db = np.interp(sample_times, times, db) if len(db) else np.zeros(n_samples)
    return (10 ** (db / 20)).astype(np.float32)


def music_bed(music: np.ndarray, n_samples: int, rate: int) -> np.ndarray:
    """``music`` looped (with a short cross-fade) or cut to ``n_samples``, faded in and out."""
    fade = int(LOOP_FADE_S * rate)
    if len(music) < 2 * fade + rate:  # a very short jingle: loop without cross-fade
        fade = 0
    out = np.zeros(n_samples, np.float32)
    at, first = 0, True
    while at < n_samples:
        piece = music.copy()
        if not first and fade:
            piece[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
        if fade:
            piece[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        take = min(len(piece), n_samples - at)
        out[at:at + take] += piece[:take]
        at += len(piece) - fade
        first = False
    fade_in, fade_out = min(int(FADE_IN_S * rate), n_samples // 2), min(int(FADE_OUT_S * rate), n_samples // 2)
    out[:fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
    out[n_samples - fade_out:] *= np.linspace(1, 0, fade_out, dtype=np.float32)
    return out


def mix_music(speech_track: np.ndarray, rate: int, music: np.ndarray, level_db: float) -> np.ndarray:
    """``speech_track`` (the clip's whole length) with ``music`` under it, ``level_db`` below the speech
    where nobody speaks and DUCK_DB lower still under speech."""
    bed = music_bed(music, len(speech_track), rate)
    speech_lufs, _ = measure_loudness(speech_track, rate)
    music_lufs, _ = measure_loudness(bed, rate)
    gain_db = (speech_lufs + level_db) - music_lufs if speech_lufs > -70 and music_lufs > -70 else level_db
    bed *= np.float32(10 ** (gain_db / 20))
    return (speech_track + bed * duck_gain(speech_track, rate, len(speech_track))).astype(np.float32)


def place(track: np.ndarray, sound: np.ndarray, at_sample: int) -> None:
    """Add ``sound`` into ``track`` starting at ``at_sample`` (cut at the track's end)."""
    at_sample = max(0, at_sample)
    take = min(len(sound), len(track) - at_sample)
    if take > 0:
        track[at_sample:at_sample + take] += sound[:take]



def speech_track(samples: np.ndarray, timing: Timing, rate: int) -> np.ndarray:
    """The speech alone on the clip's clock: silence, then the speech from ``timing.speech_at``."""
    track = np.zeros(round(timing.duration * rate), np.float32)
    place(track, samples, round(timing.speech_at * rate))
    return track


def clip_mix(speech_track: np.ndarray, look: Look, timing: Timing, music: np.ndarray | None, music_db: float,
             rate: int) -> np.ndarray:
    """The clip's sound: the speech track with the station idents' own sound and the music bed under it."""
    mix = speech_track.copy()
    for which, at in (("intro", 0.0), ("outro", timing.outro_at)):
        video = look.stinger_video(which)
        if video is not None:
            try:
                place(mix, load_audio(video), round(at * rate))
            except InputError:
                pass  # a silent ident: nothing to add
    if music is not None:
        mix = mix_music(mix, rate, music, music_db)
    return mix
