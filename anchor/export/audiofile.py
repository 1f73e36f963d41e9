"""An audio programme's files: the MP3 (and a WAV master), tagged, with the AIGC label and chapters.

The sound is mastered once, here: integrated loudness to ``AudioMaster.loudness`` (EBU R128's
-23 LUFS by default, the broadcast preset's) with true peak at most ``true_peak`` dBTP.
MP3 coding raises true peaks a little, so the limiter aims :data:`MP3_PEAK_MARGIN_DB` lower,
and lowers loudness a few tenths of a LU: the MP3 is decoded and measured, and coded once
more with the difference made up when it misses by more than :data:`MP3_LOUDNESS_LU`.
Stereo is the same speech on both channels, each 3 dB down: BS.1770 adds the two channels'
power, so the stereo file reads the loudness the mono master was set to, and the mono
master may peak 3 dB above the ceiling that each channel then keeps.

One ffmpeg run per file, from a float WAV and an ``ffmetadata`` file: ID3v2.4 tags
(title ``TIT2``, station ``TPE1``/``TPUB``, date ``TDRC``, a comment), the implicit AIGC label
as a ``TXXX`` frame named ``AIGC`` holding the same JSON as an MP4's, and one ``CHAP``
frame per chapter.  The WAV master is 24-bit PCM at 48 kHz with the title in its INFO list.
Files are written beside their place under a hidden name and renamed when complete.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import ffmpeg_exe, measure_file_loudness, normalize_loudness, write_wav
from ..errors import InputError, RenderError
from ..files import remove_quietly, temp_sibling

RATE = 48000
MP3_PEAK_MARGIN_DB = 0.7
MP3_LOUDNESS_LU = 0.15
STEREO_DB = 10 * math.log10(2)  # each channel of a stereo file, below the mono master


@dataclass(frozen=True)
class AudioMaster:
    """How an audio programme is written."""

    loudness: float = -23.0  # integrated loudness, LUFS
    true_peak: float = -1.0  # dBTP
    stereo: bool = False  # False: mono, for emergency-broadcast loudspeakers
    wav: bool = False  # also a WAV master beside the MP3
    bitrate_kbps: int | None = None  # default 96 mono, 160 stereo

    def __post_init__(self):
        if not (isinstance(self.loudness, (int, float)) and -40.0 <= self.loudness <= -5.0):
            raise InputError(f"响度应在 -40 到 -5 LUFS 之间，收到 {self.loudness!r}",
                             f"loudness must be between -40 and -5 LUFS, got {self.loudness!r}")


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    title: str


def master(samples: np.ndarray, rate: int, settings: AudioMaster, peak_margin_db: float = 0.0,
           correction_lu: float = 0.0) -> np.ndarray:
    """Mono 48 kHz samples at the programme's loudness (+ ``correction_lu``) and peak ceiling (per channel)."""
    ceiling = settings.true_peak - peak_margin_db + (STEREO_DB if settings.stereo else 0.0)
    return normalize_loudness(samples, rate, settings.loudness + correction_lu, ceiling, out_rate=RATE)


def write_audio_master(stem: Path, samples: np.ndarray, rate: int, settings: AudioMaster, tags: dict[str, str],
                       chapters: list[Chapter] = ()) -> dict[str, Path]:
    """``<stem>.mp3`` (and ``<stem>.wav`` when asked) from mono ``samples``; {"mp3": path, "wav": path}."""
    out = {"mp3": stem.with_name(stem.name + ".mp3")}
    if settings.wav:
        out["wav"] = stem.with_name(stem.name + ".wav")
    gain = 10 ** (-STEREO_DB / 20)
    channels = ["-af", f"pan=stereo|c0={gain:.6f}*c0|c1={gain:.6f}*c0"] if settings.stereo else ["-ac", "1"]
    bitrate = settings.bitrate_kbps or (160 if settings.stereo else 96)
    with tempfile.TemporaryDirectory(prefix="anchor-audio-") as work:
        meta = Path(work) / "tags.txt"
        meta.write_text(ffmetadata(tags, chapters), encoding="utf-8")
        for kind, path in out.items():
            codec = (["-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-id3v2_version", "4", "-write_id3v1", "0"]
                     if kind == "mp3" else ["-c:a", "pcm_s24le"])
            correction = 0.0
            for _ in range(2 if kind == "mp3" else 1):
                mastered = master(samples, rate, settings, MP3_PEAK_MARGIN_DB if kind == "mp3" else 0.0, correction)
                _encode(write_wav(Path(work) / f"{kind}.wav", mastered, RATE), meta, path,
                        [*channels, "-ar", str(RATE), *codec])
                got, _ = measure_file_loudness(path)
                if not got > -70 or abs(got - settings.loudness) <= MP3_LOUDNESS_LU:
                    break
                correction += settings.loudness - got  # MP3 coding itself costs a few tenths of a LU
    return out


def ffmetadata(tags: dict[str, str], chapters: list[Chapter] = ()) -> str:
    """ffmpeg's metadata file: global tags, then one ``[CHAPTER]`` block per chapter (milliseconds)."""
    lines = [";FFMETADATA1"] + [f"{_escape(k)}={_escape(v)}" for k, v in tags.items() if v]
    for c in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(c.start * 1000)}", f"END={round(c.end * 1000)}",
                  f"title={_escape(c.title)}"]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    for char in "\\=;#\n":
        text = str(text).replace(char, "\\" + char)
    return text


def _encode(source: Path, meta: Path, path: Path, args: list[str]) -> None:
    part = temp_sibling(path)
    command = [ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error", "-i", str(source), "-i", str(meta),
               "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", *args, "-f", path.suffix[1:], str(part)]
    try:
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            raise RenderError(f"音频编码失败：{path.name}", f"audio encoding failed for {path.name}: "
                              f"{run.stderr.strip()[-400:]}")
        os.replace(part, path)
    finally:
        remove_quietly(part)


@dataclass(frozen=True)
class AudioClip:
    """A finished audio programme: the MP3, a WAV master if asked, the spoken text and the metadata JSON."""

    stem: str
    audio: Path  # MP3
    wav: Path | None
    text: Path
    metadata: Path
    info: dict

    def files(self) -> list[Path]:
        return [self.audio, *([self.wav] if self.wav else []), self.text, self.metadata]

    def moved_to(self, folder: Path) -> AudioClip:
        """Move every file into ``folder`` (same file system: each move is atomic); the programme as it is there."""
        moved = {path: folder / path.name for path in self.files()}
        for source, target in moved.items():
            os.replace(source, target)
        return AudioClip(self.stem, moved[self.audio], moved[self.wav] if self.wav else None, moved[self.text],
                         moved[self.metadata], self.info)
