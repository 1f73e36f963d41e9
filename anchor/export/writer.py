"""Encode the clip: RGB frames streamed into ffmpeg, speech audio muxed beside them.

One ffmpeg process (the static build bundled with ``imageio-ffmpeg``) per clip:

* video: RGB frames converted here to BT.709 limited-range YUV 4:2:0, only the
  regions that changed (:class:`~anchor.export.yuv.Yuv420`), raw ``yuv420p`` on
  stdin -> libx264 (High profile, level 4.1, CRF), BT.709 colour tags in the
  stream and the container;
* audio: the speech, loudness-normalised (``anchor.audio``) and cut to exactly
  the video's length, from a temporary float WAV -> AAC-LC 48 kHz stereo;
* MP4 with ``+faststart`` (``moov`` before ``mdat``) and ``use_metadata_tags``
  so the ``AIGC`` implicit label (and title, comment) are stored as
  ``moov/udta/meta`` keys that ``ffprobe -show_format`` lists.

Timing contract: the audio given to ``ClipWriter`` fixes the clip length.  The
writer expects ``expected_frames = round(len(audio) / audio_rate * fps)``
frames (or the ``n_frames`` passed in), zero-pads or trims the audio to exactly
``expected_frames / fps`` seconds before muxing, and refuses to finish if a
different number of frames was written.  Both streams therefore end together;
AAC's encoder delay (1024 samples, ~21 ms) is carried by the MP4 edit list and
stays well inside one 40 ms frame.

Nothing half-written is ever visible: ffmpeg writes a hidden temporary file
next to ``path`` (``.<name>.part-<random>.mp4``, ``anchor.files.temp_sibling``),
which is renamed onto ``path`` only after ffmpeg exited cleanly; on any error,
KeyboardInterrupt included, ffmpeg is killed and the temporary files (that one
and the audio WAV in the system temp folder) are removed.  ffmpeg runs in its
own session, so a Ctrl-C in the terminal reaches only Python, which then stops
ffmpeg itself.  (If Python is SIGKILLed, ffmpeg sees end-of-input and may leave
its hidden ``.part`` file; ``path`` itself is never touched.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import ffmpeg
import numpy as np

from ..audio import ffmpeg_exe, fit_to_frames, normalize_loudness, resample, write_wav
from ..errors import RenderError
from ..files import remove_quietly, temp_sibling
from .yuv import Yuv420

F_SETPIPE_SZ = 1031  # Linux fcntl: resize a pipe's buffer
PIPE_BYTES = 1 << 20  # 1 MiB: the default 64 KiB pipe caps raw 1080x1920 frames at ~40-90 fps


@dataclass(frozen=True)
class ExportPreset:
    """H.264/AAC settings of one output format (platform presets are instances of this)."""

    width: int = 1080
    height: int = 1920
    fps: int = 25
    crf: int = 20
    x264_preset: str = "veryfast"
    profile: str = "high"
    level: str = "4.1"
    audio_rate: int = 48000
    audio_bitrate: str = "128k"
    threads: int = 0  # 0 = ffmpeg decides
    loudness_lufs: float | None = -14.0  # integrated loudness of the mix; None = leave the audio as given
    true_peak_db: float = -1.0
    maxrate: str | None = None  # video bitrate cap such as "8M" (capped CRF: VBV buffer of two seconds)


def encoder_command(output: str | os.PathLike, preset: ExportPreset, audio_wav: str | os.PathLike | None,
                    metadata: dict[str, str] | None = None, output_format: str | None = None) -> list[str]:
    """ffmpeg argv that reads yuv420p frames (BT.709, limited range) from stdin (and ``audio_wav``) and writes
    ``output``.

    The one place the encoding settings live: ``ClipWriter`` and ``encode_floor`` both use it.
    """
    w, h = preset.width, preset.height
    video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="yuv420p", s=f"{w}x{h}", framerate=preset.fps)
    video = video.video.filter("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709",
                               range="tv")
    streams = [video]
    out_args: dict[str, object] = {
        "c:v": "libx264", "preset": preset.x264_preset, "crf": preset.crf,
        "profile:v": preset.profile, "level:v": preset.level, "pix_fmt": "yuv420p",
        "color_primaries": "bt709", "color_trc": "bt709", "colorspace": "bt709", "color_range": "tv",
        "movflags": "+faststart+use_metadata_tags",
    }
    if audio_wav is not None:
        streams.append(ffmpeg.input(str(audio_wav)).audio)
        out_args.update({"c:a": "aac", "b:a": preset.audio_bitrate, "ar": preset.audio_rate, "ac": 2})
    if preset.maxrate:
        out_args.update({"maxrate": preset.maxrate, "bufsize": _double_rate(preset.maxrate)})
    if preset.threads:
        out_args["threads"] = preset.threads
    if output_format:
        out_args["f"] = output_format
    argv = ffmpeg.output(*streams, str(output), **out_args).compile(cmd=ffmpeg_exe())
    # global options first (ffmpeg-python appends them after the output, where ffmpeg warns about them)
    argv[1:1] = ["-hide_banner", "-nostats", "-loglevel", "warning", "-y"]
    if preset.threads:  # bound the filters' threads too, not only x264's
        argv[1:1] = ["-filter_threads", str(preset.threads), "-filter_complex_threads", str(preset.threads)]
    # ffmpeg-python takes one value per option; each metadata pair needs its own -metadata,
    # placed among the output options (just before the output name).
    meta: list[str] = []
    for key, value in (metadata or {}).items():
        if "=" in key or not key:
            raise ValueError(f"bad metadata key {key!r}")
        meta += ["-metadata", f"{key}={value}"]
    at = len(argv) - 1 - argv[::-1].index(str(output))
    return argv[:at] + meta + argv[at:]


def _double_rate(rate: str) -> str:
    """Twice a bitrate written the ffmpeg way ("8M" -> "16M", "800k" -> "1600k")."""
    number, unit = (rate[:-1], rate[-1]) if rate[-1:].isalpha() else (rate, "")
    return f"{float(number) * 2:g}{unit}"


def _stderr_tail(f: IO[bytes] | None, limit: int = 1500) -> str:
    if f is None:
        return ""
    try:
        f.flush()
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - limit))
        return f.read().decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return ""


class ClipWriter:
    """Context manager that streams HxWx3 uint8 RGB frames into an MP4 at ``path``.

    ``audio`` (mono float, any rate) is normalised to ``preset.loudness_lufs`` and
    fixes the clip's length; write exactly ``expected_frames`` frames (see the
    module docstring).  Pass ``n_frames`` to fix the frame count instead; the
    audio is then padded or trimmed to it.
    """

    def __init__(self, path: str | os.PathLike, preset: ExportPreset, audio: np.ndarray, audio_rate: int,
                 metadata: dict[str, str] | None = None, *, n_frames: int | None = None):
        self.path = Path(path)
        self.preset = preset
        self.metadata = dict(metadata or {})
        self._audio = np.asarray(audio, dtype=np.float32)
        if self._audio.ndim != 1:
            raise ValueError(f"audio must be mono (1-D), got shape {self._audio.shape}")
        self._audio_rate = int(audio_rate)
        self.expected_frames = (n_frames if n_frames is not None
                                else round(len(self._audio) / self._audio_rate * preset.fps))
        if self.expected_frames <= 0:
            raise RenderError("音频为空，无法生成视频", "the audio is empty: nothing to encode")
        self.frames_written = 0
        self._frame_shape = (preset.height, preset.width, 3)
        self._yuv: Yuv420 | None = None
        self._proc: subprocess.Popen | None = None
        self._stderr: IO[bytes] | None = None
        self._temp: Path | None = None
        self._wav: Path | None = None
        self.encode_seconds = 0.0  # wall time from __enter__ to the finished file

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> "ClipWriter":
        self._started = time.perf_counter()
        try:
            self._start()
        except BaseException:
            self._abort()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self._abort()
            return False
        try:
            self._finish()
        except BaseException:
            self._abort()
            raise
        return False

    def _start(self) -> None:
        p = self.preset
        audio = self._audio
        if p.loudness_lufs is not None and np.any(audio):
            audio = normalize_loudness(audio, self._audio_rate, p.loudness_lufs, p.true_peak_db, p.audio_rate)
        else:
            audio = resample(audio, self._audio_rate, p.audio_rate)
        audio = fit_to_frames(audio, p.audio_rate, self.expected_frames, p.fps)
        fd, wav = tempfile.mkstemp(prefix="anchor-audio-", suffix=".wav")
        os.close(fd)
        self._wav = Path(wav)
        write_wav(self._wav, audio, p.audio_rate)

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._temp = temp_sibling(self.path)
        argv = encoder_command(self._temp, p, self._wav, self.metadata)
        self._stderr = tempfile.TemporaryFile(prefix="anchor-ffmpeg-")
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=self._stderr, start_new_session=True)
        except OSError as e:
            raise RenderError("无法启动视频编码器 ffmpeg", f"could not start the ffmpeg encoder: {e}") from e
        widen_pipe(self._proc.stdin)

    def write(self, frame: np.ndarray, changed: list | None = None) -> None:
        """Send one HxWx3 uint8 RGB frame.

        ``changed``: the boxes outside which ``frame`` equals the frame written before
        (None: it may differ anywhere); only those are converted.  The first frame is always converted whole.
        """
        proc = self._proc
        if proc is None:
            raise RuntimeError("ClipWriter.write() outside its `with` block")
        if frame.shape != self._frame_shape or frame.dtype != np.uint8:
            raise RenderError("画面尺寸或格式不对", f"frame must be {self._frame_shape} uint8, "
                              f"got {frame.shape} {frame.dtype}")
        if self.frames_written >= self.expected_frames:
            raise RenderError("画面帧数超过了音频长度",
                              f"more frames than the audio lasts: expected {self.expected_frames}")
        if self._yuv is None:
            self._yuv, changed = Yuv420(self.preset.width, self.preset.height), None
        try:
            proc.stdin.write(memoryview(self._yuv.update(frame, changed)))
        except (BrokenPipeError, ValueError, OSError) as e:
            proc.wait()
            raise self._ffmpeg_error(f"ffmpeg stopped while receiving frame {self.frames_written}") from e
        self.frames_written += 1

    def _finish(self) -> None:
        proc = self._proc
        if self.frames_written != self.expected_frames:
            raise RenderError("画面帧数与音频长度不符",
                              f"wrote {self.frames_written} frames but the audio needs {self.expected_frames}")
        try:
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        if proc.wait() != 0:
            raise self._ffmpeg_error(f"ffmpeg exited with code {proc.returncode}")
        if not self._temp.exists() or self._temp.stat().st_size == 0:
            raise self._ffmpeg_error("ffmpeg finished but wrote no file")
        os.replace(self._temp, self.path)
        self._temp = None
        self.encode_seconds = time.perf_counter() - self._started
        self._cleanup()

    def _abort(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
        if self._temp is not None:
            remove_quietly(self._temp)
            self._temp = None
        self._cleanup()

    def _cleanup(self) -> None:
        if self._wav is not None:
            remove_quietly(self._wav)
            self._wav = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._proc = None

    def _ffmpeg_error(self, what: str) -> RenderError:
        tail = _stderr_tail(self._stderr)
        return RenderError("视频编码失败（ffmpeg 出错）", f"video encoding failed: {what}" + (f": {tail}" if tail else ""))


def widen_pipe(pipe) -> None:
    """Give the pipe to an encoder a 1 MiB buffer (raw frames go through in a few writes, not a hundred); where the
    system refuses, the default pipe is slower but carries the same stream."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), F_SETPIPE_SZ, PIPE_BYTES)


def encode_floor(frame: np.ndarray, n_frames: int, preset: ExportPreset, audio: np.ndarray | None = None,
                 audio_rate: int = 48000) -> float:
    """Seconds to encode ``frame`` ``n_frames`` times with ``preset`` (the cost no renderer can avoid).

    Runs the real ``ClipWriter`` (same argv, same audio handling) into a throwaway file.
    ``audio`` defaults to ``n_frames / fps`` seconds of silence (normalisation is then skipped).
    """
    if audio is None:
        audio = np.zeros(round(n_frames * audio_rate / preset.fps), np.float32)
    with tempfile.TemporaryDirectory(prefix="anchor-floor-") as tmp:
        started = time.perf_counter()
        with ClipWriter(Path(tmp) / "floor.mp4", preset, audio, audio_rate, {}, n_frames=n_frames) as writer:
            for _ in range(n_frames):
                writer.write(frame, changed=[])  # converted once, with the first frame
        return time.perf_counter() - started
