"""anchor batch: Dask workers, crash and resume, poison jobs, the watch folder (real renders, probed)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from anchor.errors import InputError
from anchor.files import PROJECT_DIR
from anchor.export.probe import probe
from anchor.jobs import JobStore, read_source, render_options

ANCHOR = str(Path(sys.executable).with_name("anchor"))

# one sentence each, and a template without title cards: short clips keep the suite fast
QUICK_TEMPLATE = "name: quick\nbackdrop: plain\nintro: {seconds: 0}\noutro: {seconds: 0}\n"
SENTENCES = ["县图书馆从今天起每天开放到晚上九点。", "县医院下周一开通夜间门诊。", "全县新建三座口袋公园。",
             "县城公交新增两条线路。", "本周末全县天气晴好。", "县文化馆举办书法展。"]


def write_scripts(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    template = folder.parent / "quick-template.yaml"  # beside the folder: a YAML in it would be a script
    template.write_text(QUICK_TEMPLATE, encoding="utf-8")
    paths = []
    for k in range(n):
        path = folder / f"news{k + 1}.md"
        path.write_text(f"---\ntitle: 新闻{k + 1}\ntemplate: {template}\n---\n{SENTENCES[k]}\n", encoding="utf-8")
        paths.append(path)
    return paths


def assert_platform_ready(path: Path, size=(1080, 1080)) -> None:
    """The spec probe: what every platform upload needs, read back with a real decoder."""
    p = probe(path)
    assert (p.width, p.height) == size and round(p.fps) == 25
    assert p.video_codec == "h264" and p.profile == "High" and p.pix_fmt == "yuv420p"
    assert (p.color_primaries, p.color_trc, p.colorspace) == ("bt709", "bt709", "bt709")
    assert p.audio_codec == "aac" and p.audio_rate == 48000 and p.audio_channels == 2
    assert p.faststart and "AIGC" in p.format_tags
    assert p.video_duration > 1.5 and abs(p.video_duration - p.audio_duration) <= 1 / 25


def assert_only_whole_files(out: Path, store: JobStore) -> None:
    """Nothing half-written is visible: every visible file is the store, the report or a recorded artifact."""
    recorded = {a.path for j in store.jobs(states=("done",)) for a in j.artifacts}
    for path in out.iterdir():
        if path.name.startswith(".") or path.name in ("jobs.sqlite", "jobs.sqlite-wal", "jobs.sqlite-shm",
                                                      "batch-report.json"):
            continue
        assert path.name in recorded, f"{path.name} is not a finished job's file"


def batch_cli(*args, **kwargs):
    return subprocess.run([ANCHOR, "batch", *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600, **kwargs)


@pytest.mark.slow
def test_six_jobs_on_two_dask_workers(tmp_path):
    write_scripts(tmp_path / "src", 6)
    manifest = tmp_path / "src" / "today.csv"
    rows = ["script,name,aspects,lead_in,lead_out"]
    rows += [f"news{k}.md,clip{k},1:1,0.2,0.3" for k in range(1, 6)]
    rows += ["news6.md,wide,16:9,0.2,0.3"]
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = batch_cli(manifest, "--out", out, "--workers", 2)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["done"] == 6
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert report["executor"] == "dask" and report["workers"] == 2
    assert report["encoder_threads"] == max(1, os.cpu_count() // 2)
    assert [j["state"] for j in report["jobs"]] == ["done"] * 6
    # heavy models are cached per process: six jobs ran in two long-lived worker processes
    assert len({j["worker"] for j in report["jobs"]}) == 2
    for k in range(1, 6):
        assert_platform_ready(out / f"clip{k}.mp4")
    assert_platform_ready(out / "wide.mp4", size=(1920, 1080))
    assert "完成 done" in result.stderr  # the summary table


@pytest.mark.slow
def test_the_same_command_runs_on_an_existing_dask_cluster(tmp_path):
    from distributed import LocalCluster

    write_scripts(tmp_path / "src", 1)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      memory_limit="6GiB") as cluster:
        result = batch_cli(tmp_path / "src", "--out", tmp_path / "out", "--scheduler", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "out" / "batch-report.json").read_text(encoding="utf-8"))
    assert report["executor"] == "dask" and report["workers"] == 1 and report["jobs"][0]["state"] == "done"
    assert_platform_ready(tmp_path / "out" / "news1.mp4", size=(1080, 1920))


def _wait_for(condition, timeout: float, what: str, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the batch exited ({process.returncode}) before {what}: {process.stderr.read()}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_killed_batch_resumes_and_renders_every_job_exactly_once(tmp_path):
    write_scripts(tmp_path / "src", 4)
    src, out = tmp_path / "src", tmp_path / "out"
    batch = subprocess.Popen([ANCHOR, "batch", src, "--out", out, "--quiet"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = None

    def mid_render():
        nonlocal store
        if store is None and (out / "jobs.sqlite").exists():
            store = JobStore(out)
        if store is None:
            return False
        jobs = store.jobs()
        return any(j.state == "done" for j in jobs) and any(j.state == "running" and j.progress > 0.3 for j in jobs)

    try:
        _wait_for(mid_render, 300, "one job done and the next mid-render", batch)
    finally:
        batch.send_signal(signal.SIGKILL)
        batch.wait()
    before = {j.name: j for j in store.jobs()}
    finished = {name: (out / f"{name}.mp4").stat().st_mtime_ns for name, j in before.items() if j.state == "done"}
    interrupted = [name for name, j in before.items() if j.state == "running"]
    assert finished and interrupted
    assert_only_whole_files(out, store)  # kill -9 left nothing half-written in view

    result = batch_cli(src, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    after = {j.name: j for j in store.jobs()}
    assert sorted(after) == ["news1", "news2", "news3", "news4"]
    for name, job in after.items():
        assert job.state == "done" and job.renders == 1, (name, job.state, job.renders)
        assert not store.verify(job)
        assert_platform_ready(out / f"{name}.mp4", size=(1080, 1920))
    for name, mtime in finished.items():  # finished before the crash: checked, not rendered again
        assert (out / f"{name}.mp4").stat().st_mtime_ns == mtime and after[name].attempts == 1
    for name in interrupted:
        assert after[name].attempts == 2
    assert not [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".anchor-jobs.lock"]
    assert_only_whole_files(out, store)

    again = batch_cli(src, "--out", out, "--quiet")  # a third run has nothing left to do
    assert again.returncode == 0 and all(j.renders == 1 and j.attempts <= 2 for j in store.jobs())
    (out / "news1.mp4").write_bytes(b"damaged")  # a damaged output is noticed and rendered again
    assert batch_cli(src, "--out", out, "--quiet").returncode == 0
    assert_platform_ready(out / "news1.mp4", size=(1080, 1920))


@pytest.mark.slow
def test_poison_jobs_fail_alone_with_their_reason(tmp_path):
    src = tmp_path / "src"
    (good,) = write_scripts(src, 1)
    (src / "empty.md").write_text("", encoding="utf-8")
    (src / "garbled.txt").write_bytes(b"\xff\xfe\x00bad\x80\x81")
    rows = [{"script": "empty.md"}, {"script": "garbled.txt"}, {"script": "missing.txt"}, {"name": "no-script"},
            {"script": good.name, "name": "no-avatar", "avatar": "nobody"},
            {"script": good.name, "name": "bad-option", "loudness": "loud"},
            {"script": good.name, "name": "no-consent", "avatar": "astronaut"},
            {"script": good.name, "name": "no-consent-opt-out", "avatar": "astronaut", "require_consent": "false"},
            {"script": good.name, "name": "good", "aspects": "1:1"}]
    manifest = src / "jobs.jsonl"
    manifest.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = batch_cli(manifest, "--out", out)
    assert result.returncode == 2, result.stderr  # non-zero, and only after the good job was rendered
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    jobs = {j["name"]: j for j in report["jobs"]}
    assert jobs["good"]["state"] == "done"
    assert_platform_ready(out / "good.mp4")
    reasons = {name: j["error"]["en"] for name, j in jobs.items() if j["state"] == "failed"}
    assert set(reasons) == {"empty", "garbled", "missing", "no-avatar", "bad-option", "no-script", "no-consent",
                            "no-consent-opt-out"}
    assert "neither a script" in reasons["no-script"]
    assert "no body text" in reasons["empty"] and "UTF-8" in reasons["garbled"]
    assert "not found" in reasons["missing"] and "nobody" in reasons["no-avatar"]
    assert "loudness" in reasons["bad-option"]
    assert "no consent record" in reasons["no-consent"] and reasons["no-consent-opt-out"] == reasons["no-consent"]
    assert "没有本人授权记录" in jobs["no-consent"]["error"]["zh"]
    assert all(jobs[n]["error"]["zh"] and jobs[n]["error"]["kind"] == "input" for n in reasons)
    assert not list(out.glob("empty*")) and not list(out.glob("no-avatar*")) and not list(out.glob("no-consent*"))
    assert "稿件正文为空" in result.stderr  # the summary table says why


@pytest.mark.slow
def test_a_station_may_allow_a_real_face_without_consent_explicitly(tmp_path):
    (script,) = write_scripts(tmp_path / "src", 1)
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(json.dumps({"script": str(script), "name": "photo", "avatar": "astronaut", "aspects": "1:1"}),
                        encoding="utf-8")
    station = tmp_path / "station.yaml"
    station.write_text((PROJECT_DIR / "station.yaml").read_text(encoding="utf-8").replace(
        "allow_unconsented_faces: false", "allow_unconsented_faces: true"), encoding="utf-8")
    result = batch_cli(manifest, "--out", tmp_path / "out", env={**os.environ, "ANCHOR_STATION": str(station)})
    assert result.returncode == 0, result.stderr
    (job,) = json.loads((tmp_path / "out" / "batch-report.json").read_text(encoding="utf-8"))["jobs"]
    assert job["state"] == "done" and any("not for air" in w for w in job["warnings"])
    info = json.loads((tmp_path / "out" / "photo.json").read_text(encoding="utf-8"))
    assert info["anchor"]["id"] == "astronaut" and info["anchor"]["consent"]["state"] == "missing"
    assert_platform_ready(tmp_path / "out" / "photo.mp4")


def test_manifest_rows_map_onto_render_options(tmp_path):
    (tmp_path / "a.md").write_text("T\nbody\n", encoding="utf-8")
    (tmp_path / "jobs.yaml").write_text("jobs:\n  - {script: a.md, name: x/../y, aspects: '9:16, 1:1', split: 'yes',"
                                        " template: look.yaml}\n  - {text: \"标题\\n正文。\", voice: zh-espeak}\n",
                                        encoding="utf-8")
    first, second = read_source(tmp_path / "jobs.yaml")
    assert first.name == "x-..-y" and "/" not in first.name and first.source == str(tmp_path / "a.md")
    assert first.options["template"] == str(tmp_path / "look.yaml")
    options = render_options(first.options, threads=1)
    assert options.aspects == ("9:16", "1:1") and options.split is True and options.export.threads == 1
    assert second.text.startswith("标题") and render_options(second.options).voice == "zh-espeak"
    with pytest.raises(InputError, match="unknown option"):
        render_options({"colour": "red"})
    with pytest.raises(InputError, match="lead_in"):
        render_options({"lead_in": "soon"})


@pytest.mark.slow
def test_watch_folder_renders_drops_and_files_them_away(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (good,) = write_scripts(tmp_path / "drafts", 1)
    inbox.mkdir()
    watcher = subprocess.Popen([ANCHOR, "batch", "--watch", inbox, "--out", out, "--poll", "0.5", "--quiet"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        (inbox / "flash.md").write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
        (inbox / "blank.txt").write_text("   \n", encoding="utf-8")
        _wait_for(lambda: (inbox / "done" / "flash.md").exists() and (inbox / "failed" / "blank.txt").exists(),
                  300, "both drops to be filed away", watcher)
        assert watcher.poll() is None  # still watching
    finally:
        watcher.send_signal(signal.SIGTERM)
        code = watcher.wait(timeout=60)
    assert code == 0
    assert not (inbox / "flash.md").exists() and not (inbox / "blank.txt").exists()
    assert_platform_ready(out / "flash.mp4", size=(1080, 1920))
    reason = (inbox / "failed" / "blank.txt.error.txt").read_text(encoding="utf-8")
    assert "稿件" in reason and "script" in reason
    report = json.loads((out / "batch-report.json").read_text(encoding="utf-8"))
    assert {j["name"]: j["state"] for j in report["jobs"]} == {"flash": "done", "blank": "failed"}
