"""The watch folder: ``watch(inbox, out_dir)`` renders scripts as they land in an inbox and files each one
away in ``done/`` or ``failed/`` once it has finished.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from ..errors import InputError
from ..files import file_sha256, write_text_atomic
from ..script import FORMATS
from .batch_run import BatchOptions, add_jobs, callbacks_of
from .executors import make_executor
from .manifest import JobInput
from .report import write_report
from .runner import Runner
from .store import Job, JobStore, folder_lock
from .webhook import Webhooks


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
    secret, callback = callbacks_of(options, [])
    with folder_lock(out_dir):
        store = JobStore(out_dir)
        store.recover()
        hooks = Webhooks(store, secret).start()
        files: dict[str, Path] = {}  # job id -> the script in the inbox
        watched: list[str] = []
        seen: dict[Path, tuple[float, int]] = {}
        started = time.time()

        def feed() -> list[str]:
            new = []
            for path in settled_scripts(inbox, seen):
                item = JobInput(f"{path}@{_digest_of(path)}", path.stem, {}, source=str(path))
                job = add_jobs(store, [item], origin=str(inbox), callback=callback)[0]
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
            hooks.notify(job)
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
            hooks.close()


def settled_scripts(inbox: Path, seen: dict[Path, tuple[float, int]]) -> list[Path]:
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
