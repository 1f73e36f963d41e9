"""The queue: :class:`Runner` runs a store's queued jobs on an executor (batch, watch, the studio and the
HTTP API all use it); :func:`render_job` renders one job on a worker and always returns its outcome.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import typing
from dataclasses import fields, replace
from pathlib import Path
from typing import Callable, Iterable

from ..errors import AnchorError, InputError
from ..files import file_sha256
from .executors import Executor, JobCancelled, worker_name
from .eta import StageClock
from .store import Artifact, Job, JobStore

STAGE_WEIGHTS = {"speech": (0.0, 0.25), "avatar": (0.25, 0.05), "render": (0.30, 0.70)}  # (start, share)


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
        if isinstance(value, str) and "tuple" in str(hints[name]) and name != "cue_texts":  # texts have commas
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
        # every queued render (batch, watch folder, studio, HTTP API) is unattended: no real face without consent
        options = replace(render_options(spec["options"], spec.get("threads", 0)), require_consent=True)
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
                 (clip.subtitles, "subtitles", None), (clip.webvtt, "webvtt", None), (clip.metadata, "metadata", None),
                 *((p, "audio" if kind == "mp3" else "audio-master", None) for kind, p in clip.audio.items())]
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
        self.clock = StageClock(store)

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
            self.clock.started(job.id)
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
            self.clock.observe(job_id, stage)
            if now - self._saved.get(job_id, 0.0) >= 0.5:
                self._saved[job_id] = now
                self.store.report(job_id, stage, value)

    def remaining(self, job: Job) -> float | None:
        """Seconds the running ``job`` has left, from the stage speeds measured here (None: not known yet)."""
        stage, value = self.running.get(job.id, (None, 0.0))
        if stage is None:
            return None
        start, share = STAGE_WEIGHTS.get(stage, (0.0, 1.0))
        return self.clock.remaining(job, min(max((value - start) / share, 0.0), 1.0))

    def _record(self, job_id: str, outcome: dict) -> None:
        self.clock.finished(job_id, outcome["state"] == "done")
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
