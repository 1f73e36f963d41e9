"""Many clips, unattended: ``batch(source, out_dir)``, and the options it shares with ``watch(inbox, out_dir)``.

``source`` is a folder of scripts, a single script, or a manifest with one row per clip
(CSV, JSONL, or YAML: a list of rows or ``{jobs: [...]}``).  A row names its script
(``script``, relative to the manifest) or carries it (``text``: the .txt format, first line the
headline), may name its output (``name``), and may set any :class:`~anchor.pipeline.RenderOptions`
field by its name (``voice``, ``avatar``, ``aspects``, ``preset``, ``template``, ``split``, ...).

Every job is a row in the folder's :class:`~anchor.jobs.JobStore`, so running the same command
again resumes: finished jobs whose files still match their checksums are skipped, failed ones are
retried until ``max_attempts``, interrupted ones start again.  A job whose input the producer
cannot have meant (an empty or unreadable script, a missing avatar, an unknown option) fails
alone with its reason recorded; the others go on.  :class:`~anchor.jobs.Runner` is the one queue that runs
jobs from a store on an executor; the studio, the HTTP API and :func:`~anchor.jobs.watch` use it too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from .executors import make_executor
from .manifest import JobInput, read_source
from .report import ProgressBar, write_report
from .runner import Runner
from .store import Job, JobStore, folder_lock
from .webhook import Webhooks, check_callback, webhook_secret


@dataclass(frozen=True)
class BatchOptions:
    workers: int = 1  # > 1: a Dask LocalCluster of that many worker processes
    scheduler: str | None = None  # address of an existing Dask scheduler (tcp://host:8786)
    executor: str | None = None  # in-process | dask (default: from workers and scheduler)
    threads: int = 0  # ffmpeg threads per job; 0 = this machine's cores shared among the workers
    max_attempts: int = 3  # tries per job across runs before it stays failed
    poll: float = 2.0  # watch mode: seconds between looks at the inbox
    callback_url: str | None = None  # jobs without their own (a manifest's callback_url) report here; default: the station's
    webhook_secret: str | None = None  # signs the callbacks; default: $ANCHOR_WEBHOOK_SECRET
    callback_wait: float = 180.0  # seconds the batch waits, at its end, for callbacks still being retried


def add_jobs(store: JobStore, inputs: list[JobInput], origin: str, callback: str | None = None) -> list[Job]:
    """Each input as a job in ``store`` (kept as it was when unchanged); output names made unique;
    ``callback`` for the inputs that name none."""
    jobs, taken = [], set()
    for item in inputs:
        used = store.names_in_use(item.key) | taken
        name, n = item.name, 2
        while name in used:
            name, n = f"{item.name}-{n}", n + 1
        taken.add(name)
        jobs.append(store.add(item.key, name, item.options, source=item.source, text=item.text, fmt=item.fmt,
                              origin=origin, base_dir=item.base_dir, callback=item.callback or callback))
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
    secret, callback = callbacks_of(options, inputs)
    out_dir = Path(out_dir)
    with folder_lock(out_dir):
        store = JobStore(out_dir)
        hooks = Webhooks(store, secret)
        jobs = add_jobs(store, inputs, origin=str(Path(source).resolve()), callback=callback)
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
                                    on_change=lambda job: (write_report(store, ids, source, started, run),
                                                           hooks.notify(job)))
                    run = {"executor": executor.name, "workers": executor.slots, "encoder_threads": runner.threads}
                    bar.runner = runner
                    runner.run(ids, tick=lambda: (runner.save_progress(), bar.update()))
                finally:
                    executor.close()
        finally:
            bar.close()
        hooks.drain(options.callback_wait)
        report = write_report(store, ids, source, started, run)
    return report


def callbacks_of(options: BatchOptions, inputs: list[JobInput]) -> tuple[str | None, str | None]:
    """(signing secret, default callback URL) for a batch; an InputError before any work when a callback
    is asked for with no secret to sign it or is not a web address."""
    from ..graphics import load_station

    secret = webhook_secret(options.webhook_secret)
    default = check_callback(options.callback_url or load_station().callback_url, secret)
    for item in inputs:
        check_callback(item.callback, secret)
    return secret, default
