"""Measured lip sync: the checker reads a rendered clip back and finds how late the audio is against the mouth."""

import os
import subprocess

import pytest

from anchor.audio import ffmpeg_exe
from anchor.export.probe import probe
from anchor.export.syncheck import measure_sync

pytestmark = pytest.mark.slow

SCRIPT = """---
title: 县图书馆延长开放时间
---
从今天起，县图书馆每天开放到晚上九点。

全县已有两千多名读者办理了借书证。
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory, anchor_cli, presenter_packs):
    folder = tmp_path_factory.mktemp("sync")
    (folder / "news.md").write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(presenter_packs)}  # a photo anchor whose face fills the frame
    result = anchor_cli("render", folder / "news.md", "--out", folder / "out", "--avatar", "presenter", "--quiet", env=env)
    assert result.returncode == 0, result.stderr
    return folder / "out" / "news.mp4"


def test_rendered_clip_is_in_sync(clip):
    report = measure_sync(clip)
    assert abs(report.best_lag) <= 1, report
    # the lag is what sync is, and it must stand out: the agreement falls off on either side of it
    assert report.clear and report.frames_with_face > 0.5 * report.frames, report
    assert max(report.correlations[10], report.correlations[-10]) < report.correlation - 0.15, report


def test_checker_finds_audio_delayed_by_160_ms(clip, tmp_path):
    delayed = tmp_path / "delayed.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-map", "0:v", "-map", "0:a", "-c:v", "copy",
                    "-af", "adelay=160:all=1", "-c:a", "aac", "-b:a", "128k", "-t", f"{probe(clip).video_duration}",
                    str(delayed)], check=True, timeout=120)
    report = measure_sync(delayed)
    assert abs(report.best_lag - 4) <= 1, report  # 160 ms = 4 frames at 25 fps
    assert report.clear, report
