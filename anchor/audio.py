"""Speech audio for the clip: loudness normalisation, measurement, WAV output.

Measurement is ffmpeg's ``ebur128`` filter (ITU-R BS.1770 / EBU R128:
K-weighting, 400 ms gating blocks, true peak from 4x oversampling), run on the
ffmpeg binary bundled with ``imageio-ffmpeg``, audio piped in as raw float32.

Normalisation (``normalize_loudness``) is a gain plus a look-ahead true-peak
limiter, iterated against that measurement:

1. resample to ``out_rate`` (scipy polyphase filter, zero delay);
2. measure the integrated loudness and apply the gain that reaches the target;
3. wherever the 4x-oversampled peak would pass the ceiling, pull the gain down
   smoothly (a 10 ms look-ahead minimum, averaged over 5 ms, so the gain is
   already down when the peak arrives and never jumps);
4. limiting lowers the loudness a little, so measure again and correct the
   gain; two or three rounds land within 0.1 LU.

Why not ffmpeg ``loudnorm`` (which was tried first, two-pass with
``linear=true``): speech has a peak-to-loudness ratio of 15-20 dB, so at
-14 LUFS with a -1 dBTP ceiling loudnorm drops out of linear mode into its
dynamic mode, whose limiter consistently undershot: -14.4 to -14.6 LUFS on a
speech-like test signal however the target was nudged (I=-13 still gave
-14.3), i.e. at the edge of a +-0.5 LU tolerance; clips under 3 s are forced
into linear mode and came out at -16 LUFS.  The loop here measures -14.0 on
the same signals, short clips included.

Short and silent audio: anything >= 0.4 s (one gating block) is normalised
like the rest; below that there is no integrated loudness, and silence (below
ffmpeg's -70 LUFS floor) is only resampled, never amplified (so a noise
floor is not pumped up).

Timing is never shifted: the output has exactly
``round(len(samples) * out_rate / sample_rate)`` samples and sample 0 is the
input's sample 0.  The gain curve only ever goes down near peaks and is the
same everywhere else, so pauses stay as quiet relative to speech as they were.

Mono into the stereo AAC stream: ffmpeg's ``-ac 2`` upmix puts the mono
signal on both channels at -3 dB each, so the stereo file measures the same
integrated loudness as the mono samples (and its peaks sit 3 dB lower).
"""

from __future__ import annotations

import io
import math
import re
import struct
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from .errors import RenderError

#: aim this far under the requested true-peak ceiling (the 4x estimate can miss a little)
_TP_MARGIN = 0.2
#: ffmpeg's floor for integrated loudness: silence, or shorter than one 400 ms block
_SILENT_LUFS = -70.0
#: gain/limit/measure rounds, stopping once this close to the target
_ROUNDS = 6
#: never push more than this many dB into the limiter (beyond that it audibly squashes speech)
_MAX_LIMIT_DB = 8.0
_CLOSE_LU = 0.1


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def _as_mono_f32(samples: np.ndarray) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:  # (n, channels)
        x = x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {np.shape(samples)}")
    if not np.all(np.isfinite(x)):
        raise RenderError("音频含有无效数值（NaN/无穷大）", "the audio contains NaN or infinite samples")
    return np.ascontiguousarray(x)


def _ffmpeg_f32(samples: np.ndarray, rate: int, audio_filter: str, out_rate: int | None) -> tuple[np.ndarray, str]:
    """Run ``samples`` (mono float32) through ``audio_filter``.

    Returns the mono float32 output at ``out_rate`` (empty if ``out_rate`` is None:
    the output is discarded, for measuring filters) and ffmpeg's stderr.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats",
           "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0", "-af", audio_filter]
    if out_rate is None:
        cmd += ["-f", "null", "-"]
    else:
        cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "-ac", "1", "-ar", str(out_rate), "pipe:1"]
    proc = subprocess.run(cmd, input=samples.astype("<f4", copy=False).tobytes(), capture_output=True)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = err.strip()[-600:]
        raise RenderError("音频处理失败（ffmpeg 出错）", f"audio processing failed (ffmpeg exit {proc.returncode}): {tail}")
    out = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32) if out_rate is not None else np.zeros(0, np.float32)
    return out, err


_NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf))"


def measure_loudness(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of mono float samples, by ffmpeg ``ebur128``.

    Silence, or audio shorter than one 400 ms gating block, reads -70 LUFS
    (ffmpeg's floor); digital silence has a true peak of -inf.
    """
    x = _as_mono_f32(samples)
    if len(x) == 0:
        return -70.0, -math.inf
    _, err = _ffmpeg_f32(x, sample_rate, "ebur128=peak=true:framelog=quiet", None)
    summary = err[err.rfind("Summary:"):] if "Summary:" in err else err
    i = re.search(r"I:\s+" + _NUMBER + r" LUFS", summary)
    p = re.search(r"Peak:\s+" + _NUMBER + r" dBFS", summary)
    if not i or not p:
        raise RenderError("无法读取响度测量结果", f"could not parse ebur128's summary: {summary.strip()[-400:]}")
    return float(i.group(1)), float(p.group(1))


def _fit_length(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) >= n:
        return np.ascontiguousarray(x[:n], dtype=np.float32)
    return np.concatenate([x, np.zeros(n - len(x), np.float32)])


def resample(samples: np.ndarray, rate: int, out_rate: int) -> np.ndarray:
    """Polyphase resampling with no delay; exactly ``round(len * out_rate / rate)`` samples."""
    x = _as_mono_f32(samples)
    n_out = round(len(x) * out_rate / rate)
    if rate != out_rate and len(x):
        g = math.gcd(rate, out_rate)
        x = resample_poly(x, out_rate // g, rate // g).astype(np.float32)
    return _fit_length(x, n_out)


def _peak_envelope(y: np.ndarray) -> np.ndarray:
    """Per sample, the largest absolute value of the 4x-oversampled signal around it (true-peak estimate)."""
    over = np.abs(resample_poly(y, 4, 1))[: 4 * len(y)]
    over = np.pad(over, (0, 4 * len(y) - len(over))).reshape(len(y), 4).max(axis=1)
    return np.maximum(over, np.abs(y))


def _limiter_gain(envelope: np.ndarray, gain: float, ceiling: float, rate: int) -> np.ndarray:
    """Smooth gain curve (<= 1) that keeps ``gain * envelope * curve`` under ``ceiling``."""
    with np.errstate(divide="ignore"):
        need = np.minimum(1.0, ceiling / np.maximum(gain * envelope, 1e-12))
    if need.min() >= 1.0:
        return np.ones_like(envelope)
    hold = max(1, round(0.010 * rate))  # look-ahead/hold either side of a peak
    ramp = max(1, round(0.005 * rate))  # averaging: the gain moves over ~5 ms, never jumps
    curve = minimum_filter1d(need, size=2 * hold + 1, mode="nearest")
    # a centred average narrower than the hold never rises above ``need`` at a peak
    return uniform_filter1d(curve, size=ramp, mode="nearest")


def normalize_loudness(samples: np.ndarray, sample_rate: int, target_lufs: float = -14.0,
                       true_peak_db: float = -1.0, out_rate: int = 48000) -> np.ndarray:
    """Mono float32 speech normalised to ``target_lufs`` with true peak <= ``true_peak_db``, at ``out_rate``.

    The output has exactly ``round(len(samples) * out_rate / sample_rate)`` samples and
    starts at the same instant as the input.  See the module docstring for the method and
    for what happens to very short and silent audio.
    """
    x = resample(samples, sample_rate, out_rate)
    if not np.any(x):
        return x
    ceiling = 10 ** ((true_peak_db - _TP_MARGIN) / 20)
    envelope = _peak_envelope(x)
    loudness, _ = measure_loudness(x, out_rate)
    if loudness <= _SILENT_LUFS:
        # too short or too quiet to measure: only make sure nothing passes the ceiling
        return _apply(x, envelope, 1.0, ceiling, out_rate)
    linear_db = target_lufs - loudness
    gain_db, previous = linear_db, None
    best, best_miss = x, math.inf
    for _ in range(_ROUNDS):
        y = _apply(x, envelope, 10 ** (gain_db / 20), ceiling, out_rate)
        got, _ = measure_loudness(y, out_rate)
        miss = target_lufs - got
        if abs(miss) < abs(best_miss):
            best, best_miss = y, miss
        if abs(miss) <= _CLOSE_LU:
            break
        # Secant step: limiting absorbs part of each extra dB, so step by the observed slope.
        step = miss
        if previous is not None and previous[1] != miss:
            slope = (gain_db - previous[0]) / (previous[1] - miss)  # dB of gain per LU gained
            step = miss * min(max(slope, 1.0), 8.0)
        previous = (gain_db, miss)
        gain_db = min(gain_db + step, linear_db + _MAX_LIMIT_DB)
        if previous[0] == gain_db:
            break
    return best


def _apply(x: np.ndarray, envelope: np.ndarray, gain: float, ceiling: float, rate: int) -> np.ndarray:
    y = x * (gain * _limiter_gain(envelope, gain, ceiling, rate))
    # last guard against rounding: no sample at or above the ceiling
    peak = float(np.abs(y).max())
    if peak > ceiling:
        y *= ceiling / peak
    return y.astype(np.float32)


_KSDATAFORMAT_SUBTYPE_IEEE_FLOAT = bytes.fromhex("0300000000001000800000aa00389b71")
_SPEAKER_FRONT_CENTER = 0x4


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono float32 samples as a 32-bit float WAV file, in memory.

    WAVE_FORMAT_EXTENSIBLE with the channel mask set to front-centre, so ffmpeg knows the
    layout is mono instead of guessing (and warning).
    """
    x = _as_mono_f32(samples)
    data = x.astype("<f4", copy=False).tobytes()
    fmt = struct.pack("<HHIIHHHHI16s", 0xFFFE, 1, sample_rate, sample_rate * 4, 4, 32, 22, 32,
                      _SPEAKER_FRONT_CENTER, _KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)
    fact = struct.pack("<I", len(x))
    buf = io.BytesIO()
    buf.write(b"RIFF" + struct.pack("<I", 4 + (8 + len(fmt)) + (8 + len(fact)) + (8 + len(data))) + b"WAVE")
    buf.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
    buf.write(b"fact" + struct.pack("<I", len(fact)) + fact)
    buf.write(b"data" + struct.pack("<I", len(data)) + data)
    return buf.getvalue()


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int) -> Path:
    """Write mono float32 samples as a float WAV file (lossless input for the AAC encoder)."""
    path = Path(path)
    path.write_bytes(wav_bytes(samples, sample_rate))
    return path


def fit_to_frames(samples: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """Zero-pad or trim ``samples`` to exactly ``n_frames / fps`` seconds."""
    return _fit_length(_as_mono_f32(samples), round(n_frames * sample_rate / fps))
