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
import tempfile
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
    """A 1-D float32 view of ``samples`` (memory-mapped arrays stay mapped; checked block by block)."""
    x = samples if isinstance(samples, np.ndarray) and samples.dtype == np.float32 else np.asarray(samples, np.float32)
    if x.ndim == 2:  # (n, channels)
        x = x.mean(axis=1, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {np.shape(samples)}")
    for a, b in _blocks(len(x)):
        if not np.all(np.isfinite(x[a:b])):
            raise RenderError("音频含有无效数值（NaN/无穷大）", "the audio contains NaN or infinite samples")
    return x


#: samples processed at a time: memory stays bounded however long the audio is
BLOCK = 1 << 20


def _blocks(n: int, size: int | None = None):
    size = size or BLOCK
    for a in range(0, n, size):
        yield a, min(n, a + size)


def _measure_stream(blocks, sample_rate: int, peak: bool = True) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of float32 blocks, fed to ffmpeg ``ebur128`` as they come.

    ``peak=False`` skips the (4x oversampled, slower) true-peak measurement: the peak reads -inf.
    """
    meter = "ebur128=peak=true:framelog=quiet" if peak else "ebur128=framelog=quiet"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-f", "f32le", "-ar", str(sample_rate), "-ac", "1",
           "-i", "pipe:0", "-af", meter, "-f", "null", "-"]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log)
        try:
            for block in blocks:
                proc.stdin.write(np.ascontiguousarray(block, "<f4").tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        code = proc.wait()
        log.seek(0)
        err = log.read().decode("utf-8", "replace")
    if code != 0:
        raise RenderError("音频处理失败（ffmpeg 出错）", f"audio measurement failed (ffmpeg exit {code}): {err.strip()[-600:]}")
    return _summary(err, peak)


def measure_file_loudness(path: str | Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of an audio file as a player decodes it, all its channels together."""
    run = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-map", "0:a:0",
                          "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"], capture_output=True, text=True)
    if run.returncode != 0:
        raise RenderError(f"无法测量音频响度：{path}", f"cannot measure the loudness of {path}: {run.stderr.strip()[-400:]}")
    return _summary(run.stderr, True)


def _summary(err: str, peak: bool) -> tuple[float, float]:
    summary = err[err.rfind("Summary:"):] if "Summary:" in err else err
    i = re.search(r"I:\s+" + _NUMBER + r" LUFS", summary)
    p = re.search(r"Peak:\s+" + _NUMBER + r" dBFS", summary)
    if not i or (peak and not p):
        raise RenderError("无法读取响度测量结果", f"could not parse ebur128's summary: {summary.strip()[-400:]}")
    return float(i.group(1)), float(p.group(1)) if p else -math.inf


_NUMBER = r"(-?(?:\d+(?:\.\d*)?|inf))"


def measure_loudness(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBTP) of mono float samples, by ffmpeg ``ebur128``.

    Silence, or audio shorter than one 400 ms gating block, reads -70 LUFS
    (ffmpeg's floor); digital silence has a true peak of -inf.
    """
    x = _as_mono_f32(samples)
    if len(x) == 0:
        return -70.0, -math.inf
    return _measure_stream((x[a:b] for a, b in _blocks(len(x))), sample_rate)


def _fit_length(x: np.ndarray, n: int) -> np.ndarray:
    if len(x) >= n:
        return np.ascontiguousarray(x[:n], dtype=np.float32)
    return np.concatenate([x, np.zeros(n - len(x), np.float32)])


class _Resampler:
    """Polyphase resampling (scipy, zero delay) of any output range, from as much input as it needs.

    Computing the output in blocks gives the same samples as one call over the
    whole signal: each block is given enough input either side for the filter.
    """

    def __init__(self, x: np.ndarray, rate: int, out_rate: int):
        g = math.gcd(rate, out_rate)
        self.x, self.up, self.down = x, out_rate // g, rate // g
        self.n_out = round(len(x) * out_rate / rate)
        # resample_poly's filter reaches 10 * max(up, down) upsampled samples either side
        reach = math.ceil(10 * max(self.up, self.down) / self.up) + 2
        self.context = self.down * math.ceil(reach / self.down)

    def __call__(self, lo: int, hi: int) -> np.ndarray:
        """Output samples [lo, hi) (zeros past the end)."""
        lo, hi = max(lo, 0), max(hi, lo)
        if self.up == self.down:
            return _fit_length(self.x[lo:min(hi, len(self.x))].astype(np.float32), hi - lo)
        first = max(0, (lo * self.down // self.up) // self.down * self.down - self.context)
        last = min(len(self.x), -(-hi * self.down // self.up) + self.context)
        if last <= first:
            return np.zeros(hi - lo, np.float32)
        y = resample_poly(self.x[first:last], self.up, self.down).astype(np.float32)
        offset = first * self.up // self.down
        return _fit_length(y[lo - offset:], hi - lo)


def resample(samples: np.ndarray, rate: int, out_rate: int) -> np.ndarray:
    """Polyphase resampling with no delay; exactly ``round(len * out_rate / rate)`` samples."""
    x = _as_mono_f32(samples)
    source = _Resampler(x, rate, out_rate)
    out = np.empty(source.n_out, np.float32)
    for a, b in _blocks(source.n_out):
        out[a:b] = source(a, b)
    return out


def _peak_envelope(y: np.ndarray) -> np.ndarray:
    """Per sample, the largest absolute value of the 4x-oversampled signal around it (true-peak estimate)."""
    over = np.abs(resample_poly(y, 4, 1))[: 4 * len(y)]
    over = np.pad(over, (0, 4 * len(y) - len(over))).reshape(len(y), 4).max(axis=1)
    return np.maximum(over, np.abs(y))


def _limiter_need(envelope: np.ndarray, gain: float, ceiling: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, ceiling / np.maximum(gain * envelope, 1e-12))


class _Limiter:
    """Gain, then a look-ahead true-peak limiter, computed block by block.

    The gain curve pulls down smoothly wherever the 4x-oversampled peak would pass
    the ceiling: a 10 ms look-ahead minimum, averaged over 5 ms, so the gain is
    already down when the peak arrives and never jumps.  A centred average narrower
    than the hold never rises above what a peak needs.  The resampled signal and its
    peak envelope are worked out once (in memory, or in a temporary file for long
    audio) and reused by every gain that is tried.
    """

    ENVELOPE_CONTEXT = 16  # samples either side the 4x oversampling filter needs
    IN_MEMORY = 1 << 22  # longer signals (~90 s at 48 kHz) keep their working copies on disk

    def __init__(self, source: _Resampler, rate: int, ceiling: float):
        self.ceiling = ceiling
        self.hold = max(1, round(0.010 * rate))
        self.ramp = max(1, round(0.005 * rate))
        self.n = n = source.n_out
        self._files = []
        self.x, self.envelope = self._array(n), self._array(n)
        c = self.ENVELOPE_CONTEXT
        for a, b in _blocks(n):
            lo, hi = max(0, a - c), min(n, b + c)
            x = source(lo, hi)
            self.x[a:b] = x[a - lo:b - lo]
            self.envelope[a:b] = _peak_envelope(x)[a - lo:b - lo]

    def _array(self, n: int) -> np.ndarray:
        if n <= self.IN_MEMORY:
            return np.empty(n, np.float32)
        handle = tempfile.TemporaryFile()
        handle.truncate(4 * n)
        self._files.append(handle)
        return np.memmap(handle, dtype=np.float32, mode="r+", shape=(n,))

    def close(self):
        self.x = self.envelope = None
        for handle in self._files:
            handle.close()

    def signal(self):
        """The resampled input, block by block."""
        for a, b in _blocks(self.n):
            yield a, np.asarray(self.x[a:b])

    def blocks(self, gain: float):
        """(start, samples) of the limited output, block by block."""
        reach = self.hold + self.ramp
        for a, b in _blocks(self.n):
            lo, hi = max(0, a - reach), min(self.n, b + reach)
            need = _limiter_need(self.envelope[lo:hi], gain, self.ceiling)
            if need.min() >= 1.0:
                curve = 1.0
            else:
                curve = minimum_filter1d(need, size=2 * self.hold + 1, mode="nearest")
                curve = uniform_filter1d(curve, size=self.ramp, mode="nearest")[a - lo:b - lo]
            yield a, (self.x[a:b] * (gain * curve)).astype(np.float32)


def normalize_loudness(samples: np.ndarray, sample_rate: int, target_lufs: float = -14.0,
                       true_peak_db: float = -1.0, out_rate: int = 48000, out: np.ndarray | None = None) -> np.ndarray:
    """Mono float32 speech normalised to ``target_lufs`` with true peak <= ``true_peak_db``, at ``out_rate``.

    The output has exactly ``round(len(samples) * out_rate / sample_rate)`` samples and
    starts at the same instant as the input.  Work goes block by block, so memory does
    not grow with the length: ``samples`` may be a memory-mapped file, and ``out``
    (optional, the output length) may be one too.  See the module docstring for the
    method and for what happens to very short and silent audio.
    """
    x = _as_mono_f32(samples)
    source = _Resampler(x, sample_rate, out_rate)
    if out is None:
        out = np.empty(source.n_out, np.float32)
    elif out.shape != (source.n_out,):
        raise ValueError(f"out must hold {source.n_out} samples, not {out.shape}")
    if source.n_out == 0 or not any(np.any(x[a:b]) for a, b in _blocks(len(x))):
        return _write(out, ((a, source(a, b)) for a, b in _blocks(source.n_out)), None)
    ceiling = 10 ** ((true_peak_db - _TP_MARGIN) / 20)
    limiter = _Limiter(source, out_rate, ceiling)
    try:
        loudness = _measure_stream((y for _, y in limiter.signal()), out_rate, peak=False)[0]
        if loudness <= _SILENT_LUFS:
            # too short or too quiet to measure: only make sure nothing passes the ceiling
            return _write(out, limiter.blocks(1.0), ceiling)
        linear_db = target_lufs - loudness
        gain_db, previous = linear_db, None
        best_db, best_miss = linear_db, math.inf
        for _ in range(_ROUNDS):
            got = _measure_stream((y for _, y in limiter.blocks(10 ** (gain_db / 20))), out_rate, peak=False)[0]
            miss = target_lufs - got
            if abs(miss) < abs(best_miss):
                best_db, best_miss = gain_db, miss
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
        return _write(out, limiter.blocks(10 ** (best_db / 20)), ceiling)
    finally:
        limiter.close()


def _write(out: np.ndarray, blocks, ceiling: float | None) -> np.ndarray:
    peak = 0.0
    for a, y in blocks:
        out[a:a + len(y)] = y
        peak = max(peak, float(np.abs(y).max()) if len(y) else 0.0)
    if ceiling is not None and peak > ceiling:  # last guard against rounding: no sample at or above it
        for a, b in _blocks(len(out)):
            out[a:b] *= ceiling / peak
    return out


def decode_audio(source: str | Path | bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate from an audio file (WAV, MP3, M4A, FLAC, ...) or its bytes (PyAV)."""
    import av

    chunks = []
    handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else str(source)
    with av.open(handle) as container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return samples, int(rate)


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
