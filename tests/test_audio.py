"""Loudness normalisation and measurement with the real ffmpeg (EBU R128 / BS.1770)."""

import numpy as np
import pytest

from anchor.audio import fit_to_frames, measure_loudness, normalize_loudness, resample, wav_bytes

RATE = 24000


def speech_like(seconds, rate=RATE, seed=0, level=0.1):
    """Voiced buzz (140 Hz +- vibrato, 11 in-phase harmonics: peaky like glottal pulses) plus breath
    noise, in ~4 Hz syllables, with pauses."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    phase = 2 * np.pi * np.cumsum(140 + 30 * np.sin(2 * np.pi * 0.7 * t)) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    x = (voiced + 0.3 * rng.standard_normal(n)) * np.clip(np.sin(2 * np.pi * 4 * t), 0, None) ** 0.6
    x *= np.sin(2 * np.pi * 0.3 * t + 1) > -0.6  # pauses
    return (level * x / np.abs(x).max()).astype(np.float32)


def _onsets(x, rate, threshold):
    """Times (s) where the 10 ms envelope first rises above threshold after being below it."""
    hop = rate // 100
    env = np.abs(x[: len(x) // hop * hop]).reshape(-1, hop).max(axis=1) > threshold
    return np.flatnonzero(env[1:] & ~env[:-1]) / 100


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_normalise_hits_target_with_true_peak_ceiling(target):
    x = speech_like(8.0, seed=1)
    y = normalize_loudness(x, RATE, target_lufs=target)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) == round(len(x) * 48000 / RATE)
    loudness, peak = measure_loudness(y, 48000)
    assert abs(loudness - target) <= 0.5, loudness
    assert peak <= -1.0, peak
    assert np.abs(y).max() < 10 ** (-1.0 / 20)  # no clipped sample


def test_timing_is_not_shifted():
    x = speech_like(6.0, seed=2)
    y = normalize_loudness(x, RATE, -14.0)
    a, b = _onsets(x, RATE, 0.2 * np.abs(x).max()), _onsets(y, 48000, 0.2 * np.abs(y).max())
    assert len(a) > 5
    # every syllable onset is still where it was (10 ms resolution)
    matched = [min(abs(b - t)) for t in a]
    assert np.median(matched) <= 0.011 and max(matched) <= 0.03
    # and the pauses stay silent: 10 ms blocks that are silent in the input and have silent neighbours
    silent = np.abs(x[: len(x) // 240 * 240]).reshape(-1, 240).max(axis=1) == 0
    inner = silent[1:-1] & silent[:-2] & silent[2:]
    assert inner.sum() > 50
    blocks = np.abs(y[: len(x) // 240 * 480]).reshape(-1, 480).max(axis=1)
    assert blocks[1:-1][inner].max() < 1e-3


@pytest.mark.parametrize("rate", [22050, 24000, 44100, 48000])
def test_length_is_exact_for_any_rate(rate):
    x = speech_like(3.3, rate=rate, seed=3)
    for out_rate in (48000, 44100):
        assert len(normalize_loudness(x, rate, out_rate=out_rate)) == round(len(x) * out_rate / rate)


def test_two_second_clip_still_meets_the_target():
    y = normalize_loudness(speech_like(2.0, seed=4), RATE, -14.0)
    loudness, peak = measure_loudness(y, 48000)
    assert abs(loudness - -14.0) <= 0.5 and peak <= -1.0


def test_silence_and_tiny_clips_are_not_amplified():
    assert not normalize_loudness(np.zeros(RATE, np.float32), RATE).any()
    quiet = speech_like(0.2, level=0.01)  # shorter than one 400 ms gating block: no integrated loudness
    y = normalize_loudness(quiet, RATE)
    assert len(y) == 2 * len(quiet) and np.abs(y).max() < 0.02
    assert len(normalize_loudness(np.zeros(0, np.float32), RATE)) == 0


def test_measure_matches_a_known_tone():
    # BS.1770: a 997 Hz sine at -20 dBFS peak in one channel reads about -23 LUFS (-20 - 3.01 + K-weighting ~0)
    t = np.arange(5 * 48000) / 48000
    loudness, peak = measure_loudness((0.1 * np.sin(2 * np.pi * 997 * t)).astype(np.float32), 48000)
    assert loudness == pytest.approx(-23.0, abs=0.3) and peak == pytest.approx(-20.0, abs=0.2)


def test_bad_input_is_refused():
    x = speech_like(1.0)
    x[10] = np.nan
    from anchor.errors import RenderError
    with pytest.raises(RenderError):
        normalize_loudness(x, RATE)


def test_helpers():
    x = speech_like(1.0)
    assert len(resample(x, RATE, 48000)) == 48000
    assert len(fit_to_frames(x, RATE, 30, 25)) == round(30 / 25 * RATE)
    data = wav_bytes(x, RATE)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) > 4 * len(x)


def test_block_by_block_matches_one_pass(monkeypatch):
    """Long audio is processed in blocks (flat memory); the blocks must not show in the result."""
    import anchor.audio as audio

    x = speech_like(6.0, rate=22050, seed=5)
    whole = normalize_loudness(x, 22050, -16.0)
    whole_resampled = resample(x, 22050, 48000)
    monkeypatch.setattr(audio, "BLOCK", 12345)  # many blocks, boundaries at odd places
    pieces = normalize_loudness(x, 22050, -16.0)
    assert len(pieces) == len(whole)
    assert np.max(np.abs(pieces - whole)) < 1e-5
    assert np.max(np.abs(resample(x, 22050, 48000) - whole_resampled)) < 1e-6


def test_output_into_a_memory_map(tmp_path):
    x = speech_like(3.0, seed=6)
    n = round(len(x) * 48000 / RATE)
    out = np.memmap(tmp_path / "out.f32", dtype=np.float32, mode="w+", shape=(n,))
    y = normalize_loudness(x, RATE, -14.0, out=out)
    assert y is out
    assert abs(measure_loudness(np.asarray(out), 48000)[0] - -14.0) <= 0.5
