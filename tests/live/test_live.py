"""The live channel: its running order, and a real run streamed as HLS and read back with a decoder."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from anchor.errors import InputError
from anchor.live import LiveOptions, LiveQueue


def script(folder: Path, name: str, title: str, body: str, extra: str = "") -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: {title}\n{extra}---\n{body}\n", encoding="utf-8")
    return path


def test_items_play_in_order_urgent_first_and_a_bad_script_is_skipped_with_its_reason(tmp_path):
    queue = LiveQueue(tmp_path / "out")
    a = queue.add(script(tmp_path, "a.md", "甲", "第一条。"))
    b = queue.add(script(tmp_path, "b.md", "乙", "第二条。"))
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: 坏稿\n---\n\n", encoding="utf-8")
    skipped = queue.add(bad)
    c = queue.add(script(tmp_path, "c.md", "丙", "紧急。", "urgent: true\n"))
    assert skipped.state == "skipped" and "正文为空" in skipped.reason and "no body" in skipped.reason
    assert [i.title for i in queue.pending()] == ["丙", "甲", "乙"]
    assert queue.add(tmp_path / "a.md").id == a.id  # the same file is the same item
    queue.move(b.id, -1)
    assert [i.title for i in queue.pending()] == ["丙", "乙", "甲"]
    queue.remove(c.id)
    assert [i.title for i in queue.pending()] == ["乙", "甲"]
    queue.mark_urgent(a.id)
    assert [i.title for i in queue.pending()] == ["甲", "乙"]


def test_after_a_crash_the_item_on_air_goes_first_again_and_a_half_made_clip_is_made_again(tmp_path):
    queue = LiveQueue(tmp_path / "out")
    a, b, c = (queue.add(script(tmp_path, f"{n}.md", n, "正文。")) for n in "abc")
    queue.set_state(a.id, "aired")
    queue.set_state(b.id, "on_air", clip="b.mp4")
    queue.set_state(c.id, "rendering")
    again = LiveQueue(tmp_path / "out")
    again.recover()
    assert [(i.title, i.state) for i in again.pending()] == [("b", "ready"), ("c", "queued")]
    assert again.next_to_air().title == "b"


def test_a_channel_needs_an_output_and_a_supported_picture():
    with pytest.raises(InputError, match="--hls"):
        LiveOptions()
    with pytest.raises(InputError, match="9:16"):
        LiveOptions(hls_dir="x", aspect="1:1")
    with pytest.raises(InputError, match="2-6"):
        LiveOptions(hls_dir="x", segment_seconds=10)


def decoded(paths: list[Path]) -> tuple[float, float, np.ndarray]:
    """Video and audio seconds of the segments played one after another, and the audio (mono float)."""
    frames, audio = 0, []
    for path in paths:
        with av.open(str(path)) as container:
            frames += sum(1 for _ in container.decode(video=0))
        with av.open(str(path)) as container:
            audio += [f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)]
    sound = np.concatenate(audio)
    return frames / 25, len(sound) / 48000, sound


def longest_quiet(sound: np.ndarray) -> float:
    """Seconds of the longest run of 0.1 s windows whose peak is under -60 dBFS."""
    windows = np.abs(sound[: len(sound) // 4800 * 4800]).reshape(-1, 4800).max(axis=1)
    return max((len(m) for m in re.findall("0+", "".join("0" if w < 1e-3 else "1" for w in windows))),
               default=0) * 0.1


@pytest.mark.timeout(400)
def test_a_60_second_hls_run_is_contiguous_matches_the_wall_clock_and_takes_a_script_dropped_mid_stream(tmp_path):
    playlist = tmp_path / "playlist"
    playlist.mkdir()
    script(playlist, "a.md", "城区道路改造今日完工", "城区主干道改造工程今天全面完工，六条道路恢复通行。")
    hls, out = tmp_path / "hls", tmp_path / "out"
    cmd = [sys.executable, "-m", "anchor.apps.cli", "live", str(playlist), "--hls", str(hls), "--out", str(out),
           "--seconds", "60", "--window", "40"]
    started = time.monotonic()
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(20)
    script(playlist, "b.md", "周末将有降温", "气象台预计，周末全县气温下降六到八度。")
    (playlist / "broken.md").write_text("---\ntitle: 缺正文\n---\n", encoding="utf-8")
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    index = (hls / "index.m3u8").read_text()
    assert index.startswith("#EXTM3U") and "#EXT-X-ENDLIST" in index
    lengths = [float(x) for x in re.findall(r"#EXTINF:([\d.]+)", index)]
    assert all(0 < x <= 4.0 + 1e-6 for x in lengths), lengths
    numbers = [int(n) for n in re.findall(r"seg-(\d+)\.ts", index)]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert numbers[0] == 0, "a 40-segment window keeps the whole minute"
    video_s, audio_s, sound = decoded([hls / f"seg-{n:06d}.ts" for n in numbers])
    assert abs(video_s - 60) <= 1 and abs(audio_s - 60) <= 1, (video_s, audio_s)
    assert abs(sum(lengths) - 60) <= 1
    assert time.monotonic() - started >= 60  # paced on the wall clock, not faster
    # never silent for long: the interval has its music bed, and the bed comes up under a clip's quiet title card,
    # lead-in and outro (two items back to back had 4.8 s of silence between their voices without it)
    assert longest_quiet(sound) <= 1.2, f"{longest_quiet(sound):.1f} s of silence"
    queue = {i.title: i for i in LiveQueue(out).items()}
    assert queue["城区道路改造今日完工"].state == "aired"
    # the script dropped at 20 s (while the first was being made or on air) went on air after it
    assert re.findall(r"播出 / on air: (\S+)", stderr)[:2] == ["城区道路改造今日完工", "周末将有降温"], stderr
    assert queue["周末将有降温"].plays == 1 or queue["周末将有降温"].state == "on_air"
    assert queue["broken.md"].state == "skipped" and "no body" in queue["broken.md"].reason and "跳过" in stderr
    assert '"frames": 1500' in stdout


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(300)
def test_rtmp_to_a_local_listener_resumes_after_the_listener_restarts_and_carries_the_aigc_label(tmp_path):
    from anchor.audio import ffmpeg_exe

    playlist = tmp_path / "playlist"
    playlist.mkdir()
    script(playlist, "a.md", "城区道路改造今日完工", "城区主干道改造工程今天全面完工。")
    url = f"rtmp://127.0.0.1:{free_port()}/live/test"

    def listen(name: str) -> subprocess.Popen:
        return subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-listen", "1", "-f", "flv",
                                 "-i", url, "-c", "copy", "-y", str(tmp_path / name)])

    first = listen("one.flv")
    time.sleep(1)
    run = subprocess.Popen([sys.executable, "-m", "anchor.apps.cli", "live", str(playlist), "--rtmp", url,
                            "--out", str(tmp_path / "out"), "--seconds", "40"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    time.sleep(15)
    first.terminate()
    first.wait(timeout=10)
    time.sleep(3)  # the server is away: the channel keeps going and retries
    second = listen("two.flv")
    stdout, stderr = run.communicate(timeout=200)
    second.wait(timeout=20)
    assert run.returncode == 0, stderr
    assert "重连" in stderr and "retrying" in stderr
    lengths = []
    for name in ("one.flv", "two.flv"):
        with av.open(str(tmp_path / name)) as container:
            label = container.metadata.get("AIGC", "")
            lengths.append(sum(1 for _ in container.decode(video=0)) / 25)
        assert '"Label":"1"' in label and "ContentProducer" in label
    assert 8 <= lengths[0] <= 16, lengths  # up to the listener going away
    assert lengths[1] >= 40 - 15 - 3 - 6, lengths  # from the reconnection to the end, within a retry's pause
    assert sum(lengths) <= 40 + 1


def wait_for(condition, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {seconds:.0f} s")


@pytest.mark.timeout(300)
def test_after_kill_9_a_restart_airs_the_interrupted_item_again_and_continues_the_stream(tmp_path):
    import json
    import os
    import signal

    import psutil

    playlist, hls, out = tmp_path / "playlist", tmp_path / "hls", tmp_path / "out"
    playlist.mkdir()
    script(playlist, "a.md", "城区道路改造今日完工", "城区主干道改造工程今天全面完工，六条道路恢复通行。")
    script(playlist, "b.md", "周末将有降温", "气象台预计，周末全县气温下降六到八度。")
    cmd = [sys.executable, "-m", "anchor.apps.cli", "live", str(playlist), "--hls", str(hls), "--out", str(out),
           "--window", "40"]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def on_air():
        try:
            health = json.loads((out / "live.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return (health.get("on_air") or {}).get("title")

    assert wait_for(on_air, 150, "item on air") == "城区道路改造今日完工"
    time.sleep(2)
    family = psutil.Process(first.pid).children(recursive=True)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    # its encoder, outputs and render worker do not outlive it
    _, alive = psutil.wait_procs(family, timeout=20)
    assert not alive, [p.cmdline()[:3] for p in alive]
    assert {i.title: i.state for i in LiveQueue(out).items()}["城区道路改造今日完工"] == "on_air"
    before = re.findall(r"seg-(\d+)\.ts", (hls / "index.m3u8").read_text())

    second = subprocess.run(cmd + ["--seconds", "14"], capture_output=True, text=True, timeout=200)
    assert second.returncode == 0, second.stderr
    aired = re.findall(r"播出 / on air: (\S+)", second.stderr)
    assert aired[0] == "城区道路改造今日完工", second.stderr  # the interrupted item first, from its start
    queue = {i.title: i for i in LiveQueue(out).items()}
    assert queue["城区道路改造今日完工"].state == "aired" and queue["城区道路改造今日完工"].plays == 1
    assert queue["周末将有降温"].state in ("ready", "on_air", "aired")  # made before the kill, or since
    index = (hls / "index.m3u8").read_text()
    numbers = [int(n) for n in re.findall(r"seg-(\d+)\.ts", index)]
    assert numbers[:len(before)] == [int(n) for n in before]  # the playlist carries on from where it was
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert "#EXT-X-DISCONTINUITY" in index and index.rstrip().endswith("#EXT-X-ENDLIST")
    video_s, audio_s, _ = decoded([hls / f"seg-{n:06d}.ts" for n in numbers[len(before):]])
    assert abs(video_s - 14) <= 1 and abs(audio_s - 14) <= 1, (video_s, audio_s)


def test_an_error_raised_in_the_render_worker_reaches_the_channel_with_its_reason(tmp_path):
    """The channel makes clips in another process: a script's fault must arrive as that script's reason (it used
    to fail to unpickle, so the item was skipped as 'the render worker died' and the worker started cold again)."""
    import concurrent.futures as futures
    import multiprocessing

    from anchor.errors import AnchorError, InputError
    from anchor.live.prerender import make_clip

    bad = script(tmp_path, "media.md", "图片缺失", "正文。\n[画面: media/missing-photo.jpg]\n更多正文。")
    with futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with pytest.raises(AnchorError) as caught:
            pool.submit(make_clip, str(bad), str(tmp_path / "clip"), "9:16", None, None, None).result(timeout=240)
    assert isinstance(caught.value, InputError) and caught.value.zh and caught.value.en
    assert "missing-photo.jpg" in caught.value.en
