"""Many clips, unattended: ``batch(source, out_dir)`` and ``watch(inbox, out_dir)``.

``source`` is a folder of scripts, a single script, or a manifest with one row per clip
(CSV, JSONL, or YAML: a list of rows or ``{jobs: [...]}``).  A row names its script
(``script``, relative to the manifest) or carries it (``text``: the .txt format, first line the
headline), may name its output (``name``), and may set any :class:`~anchor.pipeline.RenderOptions`
field by its name (``voice``, ``avatar``, ``aspects``, ``preset``, ``template``, ``split``, ...).

Every job is a row in the folder's :class:`~anchor.jobs.JobStore`, so running the same command
again resumes: finished jobs whose files still match their checksums are skipped, failed ones are
retried until ``max_attempts``, interrupted ones start again.  A job whose input the producer
cannot have meant (an empty or unreadable script, a missing avatar, an unknown option) fails
alone with its reason recorded; the others go on.  :class:`Runner` is the one queue that runs
jobs from a store on an executor; the studio and the HTTP API use it too.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import sys
import threading
import time
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Callable, Iterable

import yaml

from ..errors import AnchorError, InputError
from ..files import write_text_atomic
from ..script import FORMATS
from .executors import Executor, JobCancelled, make_executor, worker_name
from .store import Artifact, Job, JobStore, file_sha256, folder_lock

MANIFESTS = (".csv", ".jsonl", ".yaml", ".yml")
REPORT_NAME = "batch-report.json"
STAGE_WEIGHTS = {"speech": (0.0, 0.25), "avatar": (0.25, 0.05), "render": (0.30, 0.70)}  # (start, share)
NAME_FIELDS = ("name", "id")
SOURCE_FIELDS = ("script", "text")


@dataclass(frozen=True)
class BatchOptions:
    workers: int = 1  # > 1: a Dask LocalCluster of that many worker processes
    scheduler: str | None = None  # address of an existing Dask scheduler (tcp://host:8786)
    executor: str | None = None  # in-process | dask (default: from workers and scheduler)
    threads: int = 0  # ffmpeg threads per job; 0 = this machine's cores shared among the workers
    max_attempts: int = 3  # tries per job across runs before it stays failed
    poll: float = 2.0  # watch mode: seconds between looks at the inbox


@dataclass(frozen=True)
class JobInput:
    """One clip to make, read from the source."""

    key: str
    name: str
    options: dict
    source: str | None = None
    text: str | None = None
    fmt: str = ".txt"
    base_dir: str | None = None  # where media named in ``text`` are looked up


# --------------------------------------------------------------------------- reading the source


def read_source(source: str | os.PathLike) -> list[JobInput]:
    """The jobs a folder, a script or a manifest asks for, in order."""
    source = Path(source).resolve()
    if source.is_dir():
        scripts = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in FORMATS
                         and not p.name.startswith("."))
        return [JobInput(str(p), p.stem, {}, source=str(p)) for p in scripts]
    if not source.is_file():
        raise InputError(f"找不到稿件或清单：{source}", f"no such script folder, script or manifest: {source}")
    suffix = source.suffix.lower()
    if suffix in MANIFESTS:
        rows = manifest_rows(source)
        if rows is not None:
            return [_row_job(source, n, row) for n, row in enumerate(rows, 1)]
    if suffix in FORMATS:
        return [JobInput(str(source), source.stem, {}, source=str(source))]
    raise InputError(f"不支持的批量来源 {source.name}：请给出稿件文件夹、稿件或 CSV/JSONL/YAML 清单",
                     f"unsupported batch source {source.name}: give a folder of scripts, a script, "
                     f"or a CSV/JSONL/YAML manifest")


def manifest_rows(path: Path) -> list[dict] | None:
    """The rows of a manifest; None for a YAML file that is a script rather than a manifest."""
    what = f"清单 {path.name}", f"manifest {path.name}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"无法读取{what[0]}（{e}）", f"cannot read the {what[1]}: {e}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        rows = [{k.strip(): v for k, v in row.items() if k and v is not None and str(v).strip() != ""} for row in rows]
    elif suffix == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise InputError(f"{what[0]} 第 {n} 行不是 JSON（{e.msg}）", f"{what[1]} line {n} is not JSON: {e.msg}") from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise InputError(f"{what[0]} 不是有效的 YAML（{e}）", f"the {what[1]} is not valid YAML: {e}") from None
        if isinstance(data, dict) and "jobs" in data:
            data = data["jobs"]
        elif isinstance(data, dict):
            return None  # a YAML script
        rows = data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"{what[0]} 的每一行都应是字段表", f"every row of the {what[1]} must be a table of fields")
    if not rows:
        raise InputError(f"{what[0]} 没有任何稿件", f"the {what[1]} lists no scripts")
    return rows


def _row_job(manifest: Path, n: int, row: dict) -> JobInput:
    row = dict(row)
    label = str(next((row.pop(f) for f in NAME_FIELDS if f in row), "") or "").strip()
    script, text = row.pop("script", None), row.pop("text", None)
    key = f"{manifest}#{label or n}"
    options = {k: _resolve(manifest.parent, k, v) for k, v in row.items()}
    if text is not None:
        return JobInput(key, safe_name(label or f"{manifest.stem}-{n}"), options, text=str(text),
                        base_dir=str(manifest.parent))
    if script is None:  # the job still exists, so that it fails alone with the reason on record
        return JobInput(key, safe_name(label or f"{manifest.stem}-{n}"), options)
    path = Path(str(script)).expanduser()
    path = path if path.is_absolute() else manifest.parent / path
    return JobInput(key, safe_name(label or path.stem), options, source=str(path))


def _resolve(base: Path, name: str, value):
    """Option values that are files (a station.yaml, a template YAML) are relative to the manifest."""
    if isinstance(value, str) and value.lower().endswith((".yaml", ".yml")) and not Path(value).is_absolute():
        return str(base / value)
    return value


def safe_name(name: str) -> str:
    """An output file stem: no folders, no hidden names, nothing a file system or URL chokes on."""
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", "-", str(name)).strip(" .-")
    return name[:80] or "clip"


# --------------------------------------------------------------------------- options


def render_options(values: dict, threads: int = 0):
    """:class:`RenderOptions` from plain values named like its fields (validated; strings as a CSV gives them)."""
    from pydantic import TypeAdapter, ValidationError

    from ..pipeline import RenderOptions

    hints = typing.get_type_hints(RenderOptions)
    known = [f.name for f in fields(RenderOptions)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"未知的选项：{', '.join(unknown)}（可用：{', '.join(known)}）",
                         f"unknown option(s): {', '.join(unknown)} (known: {', '.join(known)})")
    data = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        if isinstance(value, str) and "tuple" in str(hints[name]):
            value = [part.strip() for part in value.split(",") if part.strip()]
        data[name] = value
    try:
        options = TypeAdapter(RenderOptions).validate_python(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise InputError(f"选项有误：{problems}", f"invalid option(s): {problems}") from None
    if threads and not options.export.threads:
        options = replace(options, export=replace(options.export, threads=threads))
    return options


# --------------------------------------------------------------------------- one job, on a worker


def render_job(spec: dict, report: Callable[[str, float], None]) -> dict:
    """Render one job (runs on the executor); always returns its outcome, never raises."""
    from ..pipeline import render_script
    from ..script import load_script, parse_script

    started = time.monotonic()
    out_dir = Path(spec["out_dir"])
    try:
        options = render_options(spec["options"], spec.get("threads", 0))
        if spec.get("threads"):
            import cv2

            cv2.setNumThreads(spec["threads"])
        if spec.get("source") is None and spec.get("text") is None:
            raise InputError("清单的这一行既没有 script（稿件文件）也没有 text（稿件内容）",
                             "this manifest row has neither a script (file) nor a text column")
        if spec.get("source") is not None:
            script = load_script(spec["source"])
        else:
            script = parse_script(spec["text"], spec.get("fmt", ".txt"), stem=spec["name"],
                                  base_dir=spec.get("base_dir") or out_dir)
        clips = render_script(replace(script, stem=spec["name"]), out_dir, options, report)
    except JobCancelled:
        return {"state": "cancelled", "kind": "cancelled", "zh": "已取消", "en": "cancelled",
                "duration": time.monotonic() - started, "worker": worker_name()}
    except AnchorError as e:
        return {"state": "failed", "kind": "input" if isinstance(e, InputError) else "failure", "zh": e.zh, "en": e.en,
                "duration": time.monotonic() - started, "worker": worker_name()}
    except Exception as e:  # a bug or a broken library: recorded, and the batch goes on
        return {"state": "failed", "kind": "failure", "zh": f"内部错误：{type(e).__name__} {e}",
                "en": f"internal error: {type(e).__name__}: {e}", "duration": time.monotonic() - started,
                "worker": worker_name()}
    artifacts = []
    for clip in clips:
        roles = [*((p, "video", a) for a, p in clip.videos.items()), *((p, "cover", a) for a, p in clip.covers.items()),
                 (clip.subtitles, "subtitles", None), (clip.webvtt, "webvtt", None), (clip.metadata, "metadata", None)]
        for path, role, aspect in roles:
            artifacts.append({"path": os.path.relpath(path, out_dir), "role": role, "aspect": aspect,
                              "sha256": file_sha256(path), "bytes": path.stat().st_size})
    warnings = list(dict.fromkeys(w for clip in clips for w in clip.info.get("warnings", [])))
    return {"state": "done", "artifacts": artifacts, "warnings": warnings, "duration": time.monotonic() - started,
            "worker": worker_name(), "clips": [{"stem": c.stem, "title": c.info["title"],
                                                "duration": c.info["duration"]} for c in clips]}


def overall(stage: str, fraction: float) -> float:
    start, share = STAGE_WEIGHTS.get(stage, (0.0, 1.0))
    return start + share * min(max(fraction, 0.0), 1.0)


# --------------------------------------------------------------------------- the queue


class Runner:
    """Runs queued jobs of one store on an executor, ``executor.slots`` at a time, oldest first."""

    def __init__(self, store: JobStore, executor: Executor, threads: int = 0, max_attempts: int = 3,
                 on_change: Callable[[Job], None] | None = None):
        self.store = store
        self.executor = executor
        self.threads = threads or executor.encoder_threads
        self.max_attempts = max_attempts
        self.on_change = on_change or (lambda job: None)
        self.running: dict[str, tuple[str, float]] = {}  # job id -> (stage, overall progress)
        self._saved: dict[str, float] = {}

    def run(self, ids: Iterable[str] | None = None, *, stop: threading.Event | None = None,
            feed: Callable[[], list[str]] | None = None, until_done: bool = True, tick: Callable[[], None] | None = None) -> None:
        """Run the queued jobs among ``ids`` (all jobs when None) until none is left (or ``stop`` is set).

        ``feed`` is asked for new job ids on every turn (watch mode); ``tick`` is called on every turn.
        """
        wanted = [] if feed is not None else None if ids is None else list(dict.fromkeys(ids))
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                if feed is not None:
                    wanted += [i for i in feed() if i not in wanted]
                for job_id in self.store.cancel_requests():
                    if job_id in self.running:
                        self.executor.cancel(job_id)
                self._start_jobs(wanted)
                for job_id, outcome in self.executor.finished(timeout=0.25):
                    self._record(job_id, outcome)
                if tick is not None:
                    tick()
                if until_done and not self.running and not self._next(wanted):
                    break
        finally:
            self._stop_running()

    def _next(self, wanted: list[str] | None) -> Job | None:
        if wanted is not None and not wanted:
            return None
        queued = self.store.jobs(ids=wanted, states=("queued",))
        return queued[0] if queued else None

    def _start_jobs(self, wanted: list[str] | None) -> None:
        while len(self.running) < self.executor.slots:
            job = self._next(wanted)
            if job is None or not self.store.claim(job.id, self.executor.name):
                return
            self.running[job.id] = ("speech", 0.0)
            spec = {"job_id": job.id, "name": job.name, "source": job.source, "text": job.text, "fmt": job.fmt,
                    "base_dir": job.base_dir, "options": job.options, "out_dir": str(self.store.folder), "threads": self.threads}
            _remove_partials(self.store.folder, job.name)
            self.executor.submit(job.id, render_job, spec, progress=self._progress_of(job.id))
            self.on_change(self.store.get(job.id))

    def _progress_of(self, job_id: str) -> Callable[[str, float], None]:
        def progress(stage: str, fraction: float) -> None:
            if job_id in self.running:
                self.running[job_id] = (stage, overall(stage, fraction))
        return progress

    def save_progress(self) -> None:
        """Write the running jobs' progress to the store (at most twice a second each)."""
        now = time.monotonic()
        for job_id, (stage, value) in list(self.running.items()):
            if now - self._saved.get(job_id, 0.0) >= 0.5:
                self._saved[job_id] = now
                self.store.report(job_id, stage, value)

    def _record(self, job_id: str, outcome: dict) -> None:
        self.running.pop(job_id, None)
        self._saved.pop(job_id, None)
        if outcome["state"] == "done":
            artifacts = [Artifact(**a) for a in outcome["artifacts"]]
            self.store.finish(job_id, artifacts, outcome["warnings"], outcome["duration"], outcome.get("worker"))
        else:
            self.store.fail(job_id, outcome["kind"], outcome["zh"], outcome["en"], outcome.get("duration"),
                            outcome.get("worker"))
            job = self.store.get(job_id)
            if outcome["kind"] == "failure" and job.attempts < self.max_attempts:
                self.store.requeue(job_id)  # perhaps a passing fault: try again in this run
        self.on_change(self.store.get(job_id))

    def _stop_running(self) -> None:
        """Stop what is still running (Ctrl-C, a stop request): those jobs are queued again for next time."""
        if not self.running:
            return
        for job_id in self.running:
            self.executor.cancel(job_id)
        deadline = time.monotonic() + 10
        while self.running and time.monotonic() < deadline:
            for job_id, _ in self.executor.finished(timeout=0.25):
                self.running.pop(job_id, None)
        for job_id in list(self.running) + [j.id for j in self.store.jobs(states=("running",))]:
            self.store.requeue(job_id, "interrupted", "渲染被中断，已重新排队", "the render was interrupted; queued again")
        self.running.clear()


def _remove_partials(folder: Path, name: str) -> None:
    """Staging folders an interrupted render of ``name`` left behind (only ours: hidden, ``.partial``)."""
    for path in folder.glob(f".{glob_escape(name)}.*.partial"):
        shutil.rmtree(path, ignore_errors=True)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


# --------------------------------------------------------------------------- batch and watch


def add_jobs(store: JobStore, inputs: list[JobInput], origin: str) -> list[Job]:
    """Each input as a job in ``store`` (kept as it was when unchanged); output names made unique."""
    jobs, taken = [], set()
    for item in inputs:
        used = store.names_in_use(item.key) | taken
        name, n = item.name, 2
        while name in used:
            name, n = f"{item.name}-{n}", n + 1
        taken.add(name)
        jobs.append(store.add(item.key, name, item.options, source=item.source, text=item.text, fmt=item.fmt,
                              origin=origin, base_dir=item.base_dir))
    return jobs


def prepare(store: JobStore, jobs: list[Job], max_attempts: int) -> list[Job]:
    """Resume: finished jobs with intact files stay done, the rest are queued; returns the jobs to run."""
    store.recover()
    for job in store.jobs(ids=[j.id for j in jobs], states=("done",)):
        problems = store.verify(job)
        if problems:
            store.reset(job.id, "输出文件缺失或被改动，重新渲染：" + "；".join(problems),
                        "output files missing or changed, rendering again: " + "; ".join(problems))
    store.retry_failed([j.id for j in jobs], max_attempts)
    return store.jobs(ids=[j.id for j in jobs], states=("queued",))


def batch(source: str | os.PathLike, out_dir: str | os.PathLike, options: BatchOptions | None = None,
          show_progress: bool = True) -> dict:
    """Render every clip ``source`` asks for into ``out_dir``; returns the batch report (also in batch-report.json)."""
    options = options or BatchOptions()
    inputs = read_source(source)
    out_dir = Path(out_dir)
    with folder_lock(out_dir):
        store = JobStore(out_dir)
        jobs = add_jobs(store, inputs, origin=str(Path(source).resolve()))
        ids = [j.id for j in jobs]
        todo = prepare(store, jobs, options.max_attempts)
        started = time.time()
        bar = ProgressBar(store, ids, show_progress)
        run = {"executor": None, "workers": 0, "encoder_threads": None}
        try:
            if todo:
                executor = make_executor(options.executor, options.workers, options.scheduler)
                try:
                    runner = Runner(store, executor, options.threads, options.max_attempts,
                                    on_change=lambda job: write_report(store, ids, source, started, run))
                    run = {"executor": executor.name, "workers": executor.slots, "encoder_threads": runner.threads}
                    bar.runner = runner
                    runner.run(ids, tick=lambda: (runner.save_progress(), bar.update()))
                finally:
                    executor.close()
        finally:
            bar.close()
        report = write_report(store, ids, source, started, run)
    return report


def watch(inbox: str | os.PathLike, out_dir: str | os.PathLike, options: BatchOptions | None = None,
          stop: threading.Event | None = None, show_progress: bool = True) -> None:
    """Render scripts as they land in ``inbox``; move each to ``inbox/done/`` or ``inbox/failed/`` when finished."""
    options = options or BatchOptions()
    inbox, out_dir = Path(inbox).resolve(), Path(out_dir)
    if not inbox.is_dir():
        raise InputError(f"收稿文件夹不存在：{inbox}", f"the inbox folder does not exist: {inbox}")
    for folder in ("done", "failed"):
        (inbox / folder).mkdir(exist_ok=True)
    stop = stop or threading.Event()
    with folder_lock(out_dir):
        store = JobStore(out_dir)
        store.recover()
        files: dict[str, Path] = {}  # job id -> the script in the inbox
        watched: list[str] = []
        seen: dict[Path, tuple[float, int]] = {}
        started = time.time()

        def feed() -> list[str]:
            new = []
            for path in _settled_scripts(inbox, seen):
                item = JobInput(f"{path}@{_digest_of(path)}", path.stem, {}, source=str(path))
                job = add_jobs(store, [item], origin=str(inbox))[0]
                if job.state == "done" and store.verify(job):
                    store.reset(job.id, "输出文件缺失或被改动，重新渲染", "output files missing or changed, rendering again")
                store.retry_failed([job.id], options.max_attempts)
                job = store.get(job.id)
                files[job.id] = path
                watched.append(job.id)
                if job.state in ("done", "failed", "cancelled"):
                    file_away(job, path, inbox)
                else:
                    new.append(job.id)
            return new

        def on_change(job: Job) -> None:
            path = files.get(job.id)
            if job.state in ("done", "failed", "cancelled") and path is not None:
                file_away(job, path, inbox)
                if show_progress:
                    outcome = "完成 done" if job.state == "done" else f"失败 failed: {job.error_zh} / {job.error_en}"
                    print(f"[{time.strftime('%H:%M:%S')}] {path.name}: {outcome}", file=sys.stderr, flush=True)
                files.pop(job.id, None)
                write_report(store, list(dict.fromkeys(watched)), inbox, started)

        executor = make_executor(options.executor, options.workers, options.scheduler)
        try:
            runner = Runner(store, executor, options.threads, options.max_attempts, on_change=on_change)
            last_poll = [0.0]

            def polled_feed() -> list[str]:
                if time.monotonic() - last_poll[0] < options.poll:
                    return []
                last_poll[0] = time.monotonic()
                return feed()

            runner.run(feed=polled_feed, until_done=False, stop=stop, tick=runner.save_progress)
        finally:
            executor.close()


def _settled_scripts(inbox: Path, seen: dict[Path, tuple[float, int]]) -> list[Path]:
    """Scripts in the inbox whose size and time stayed the same since the last look (fully copied in)."""
    ready = []
    for path in sorted(inbox.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in FORMATS:
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        now = (stat.st_mtime, stat.st_size)
        if seen.get(path) == now:
            ready.append(path)
        seen[path] = now
    return ready


def _digest_of(path: Path) -> str:
    return file_sha256(path)[:16]


def file_away(job: Job, path: Path, inbox: Path) -> None:
    """Move a finished script to done/ or failed/ (a failed one with a note saying why); never overwrite."""
    if not path.exists():
        return
    folder = inbox / ("done" if job.state == "done" else "failed")
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{time.strftime('%Y%m%d-%H%M%S')}-{job.id[:6]}{path.suffix}"
    os.replace(path, target)
    if job.state != "done":
        write_text_atomic(target.with_name(target.name + ".error.txt"),
                          f"{job.error_zh or ''}\n{job.error_en or ''}\n")


# --------------------------------------------------------------------------- report and progress


def job_summary(store: JobStore, job: Job) -> dict:
    return {"id": job.id, "name": job.name, "source": job.source if job.source else "(text)", "state": job.state,
            "attempts": job.attempts, "renders": job.renders, "duration": job.duration, "worker": job.worker,
            "outputs": [str(store.folder / a.path) for a in job.artifacts],
            "artifacts": [{"path": a.path, "role": a.role, "aspect": a.aspect, "sha256": a.sha256, "bytes": a.bytes}
                          for a in job.artifacts],
            "warnings": job.warnings,
            "error": None if job.state == "done" or not job.error_kind else
            {"kind": job.error_kind, "zh": job.error_zh, "en": job.error_en}}


def write_report(store: JobStore, ids: list[str], source, started: float, run: dict | None = None) -> dict:
    """``batch-report.json`` in the store's folder: totals, how the jobs ran, and every job."""
    jobs = store.jobs(ids=ids)
    counts = {state: sum(j.state == state for j in jobs) for state in ("done", "failed", "cancelled", "queued", "running")}
    report = {"source": str(source), "out": str(store.folder), "store": str(store.path), "started": started,
              "finished": time.time(), "totals": {"jobs": len(jobs), **counts}, **(run or {}),
              "jobs": [job_summary(store, j) for j in jobs]}
    write_text_atomic(store.folder / REPORT_NAME, json.dumps(report, ensure_ascii=False, indent=2))
    return report


class ProgressBar:
    """A terminal bar over the batch's jobs (fractions of running jobs included) with ETA."""

    def __init__(self, store: JobStore, ids: list[str], enabled: bool):
        from tqdm import tqdm

        self.store, self.ids, self.runner = store, ids, None
        self.bar = tqdm(total=len(ids), unit="clip", file=sys.stderr, disable=not enabled, dynamic_ncols=True,
                        desc="批量 batch", bar_format="{desc}: {percentage:3.0f}%|{bar:24}| {n:.1f}/{total} "
                                                       "[{elapsed}<{remaining}{postfix}]")
        self.update()

    def update(self) -> None:
        if self.bar.disable:
            return
        finished = sum(j.state in ("done", "failed", "cancelled") for j in self.store.jobs(ids=self.ids))
        running = dict(self.runner.running) if self.runner else {}
        self.bar.n = finished + sum(value for _, value in running.values())
        names = {j.id: j.name for j in self.store.jobs(ids=list(running))} if running else {}
        self.bar.set_postfix_str(", ".join(f"{names.get(i, i)} {stage}" for i, (stage, _) in running.items()),
                                 refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.update()
        self.bar.close()


def summary_table(report: dict) -> str:
    """The end-of-batch table: one line per job."""
    labels = {"done": "完成 done", "failed": "失败 failed", "cancelled": "取消 cancelled", "queued": "等待 queued",
              "running": "中断 running"}
    rows = [("稿件 job", "状态 state", "次数 tries", "用时 s", "输出或原因 outputs / reason")]
    for job in report["jobs"]:
        if job["state"] == "done":
            detail = ", ".join(Path(p).name for p in job["outputs"] if p.endswith(".mp4"))
        else:
            detail = (job["error"] or {}).get("zh", "") + " / " + (job["error"] or {}).get("en", "")
        seconds = f"{job['duration']:.1f}" if job["duration"] else "-"
        rows.append((job["name"], labels.get(job["state"], job["state"]), str(job["attempts"]), seconds, detail))
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows]
    t = report["totals"]
    lines.append(f"共 {t['jobs']} 条：完成 {t['done']}，失败 {t['failed']} / {t['jobs']} jobs: {t['done']} done, "
                 f"{t['failed']} failed")
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def exit_code(report: dict) -> int:
    """0 when every job finished; 2 when the only failures are inputs to fix; 1 otherwise."""
    failed = [j for j in report["jobs"] if j["state"] != "done"]
    if not failed:
        return 0
    return 2 if all((j["error"] or {}).get("kind") == "input" for j in failed) else 1
