"""Where render jobs run: in this process, or on Dask workers (a local cluster or a remote one).

Every executor has the same small protocol (:class:`Executor`): ``submit`` a task for a job,
collect ``finished`` ones, ``cancel`` one, ``close``.  A task is a plain module-level function
``task(*args, report=report) -> dict``; ``report(stage, fraction)`` carries progress back to
the process that submitted it and raises :class:`JobCancelled` once the job has been
cancelled, so a render stops at its next progress report and cleans up after itself.

* ``in-process``: a pool of threads in this process (one by default: a 2-core machine renders
  one clip at a time).  Models stay loaded between jobs (``anchor.speech.engines.get_engine`` keeps them).
* ``dask``: one task per Dask worker process at a time (``threads_per_worker=1``), so heavy
  models load once per worker and stay loaded for every later job on it.  ``workers=N`` starts
  a :class:`distributed.LocalCluster` of N processes on this machine; ``scheduler=ADDRESS``
  joins an existing cluster.  Progress travels as Dask worker events, cancellation as a Dask
  ``Event`` the worker checks at most once a second.

Choose one by name with :func:`make_executor`; a new backend only has to implement the protocol.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Protocol

from ..errors import InputError

Report = Callable[[str, float], None]
PROGRESS_TOPIC = "anchor-progress"
EXECUTORS = ("in-process", "dask")


class JobCancelled(Exception):
    """Raised inside a task by ``report`` once its job was cancelled."""


class Executor(Protocol):
    name: str
    slots: int  # how many jobs run at once
    encoder_threads: int  # ffmpeg threads per job so that jobs do not fight over cores

    def submit(self, job_id: str, task: Callable[..., dict], *args, progress: Report) -> None: ...

    def finished(self, timeout: float) -> list[tuple[str, dict]]:
        """(job id, the task's result) of tasks that ended, waiting up to ``timeout`` s for the first."""

    def cancel(self, job_id: str) -> None: ...

    def close(self) -> None: ...


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _drain(done: "queue.Queue", timeout: float) -> list:
    """Everything in ``done``: waits up to ``timeout`` for the first item, then takes what is there."""
    items = []
    try:
        items.append(done.get(timeout=timeout))
        while True:
            items.append(done.get_nowait())
    except queue.Empty:
        return items


def lost(job_id: str, error: BaseException) -> dict:
    """The result of a task that never returned (its worker died, or it raised past the task's own handling)."""
    return {"state": "failed", "kind": "failure", "zh": f"渲染进程异常退出：{type(error).__name__} {error}",
            "en": f"the render process failed: {type(error).__name__}: {error}", "warnings": []}


class InProcessExecutor:
    """Jobs on threads of this process, ``slots`` at a time."""

    name = "in-process"

    def __init__(self, slots: int = 1):
        self.slots = max(1, slots)
        self.encoder_threads = max(1, (os.cpu_count() or 1) // self.slots)
        self._pool = ThreadPoolExecutor(self.slots, thread_name_prefix="anchor-render")
        self._stops: dict[str, threading.Event] = {}
        self._done: queue.Queue[tuple[str, Future]] = queue.Queue()

    def submit(self, job_id: str, task: Callable[..., dict], *args, progress: Report) -> None:
        stop = self._stops[job_id] = threading.Event()

        def report(stage: str, fraction: float) -> None:
            if stop.is_set():
                raise JobCancelled(job_id)
            progress(stage, fraction)

        future = self._pool.submit(task, *args, report=report)
        future.add_done_callback(lambda f: self._done.put((job_id, f)))

    def finished(self, timeout: float) -> list[tuple[str, dict]]:
        out = []
        for job_id, future in _drain(self._done, timeout):
            self._stops.pop(job_id, None)
            error = future.exception()
            out.append((job_id, lost(job_id, error) if error is not None else future.result()))
        return out

    def cancel(self, job_id: str) -> None:
        stop = self._stops.get(job_id)
        if stop is not None:
            stop.set()

    def close(self) -> None:
        for stop in self._stops.values():
            stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Jobs on Dask workers, one per worker process at a time."""

    name = "dask"

    def __init__(self, workers: int = 2, scheduler: str | None = None, memory_limit: str = "6GiB"):
        from distributed import Client, LocalCluster

        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="20s")
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            memory_limit=memory_limit, host="127.0.0.1", dashboard_address=None,
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        except OSError as e:
            where = scheduler or "local cluster"
            raise InputError(f"无法连接 Dask 集群 {where}（{e}）", f"cannot reach the Dask cluster at {where}: {e}") from None
        self.client.wait_for_workers(1, timeout=60)
        self.slots = max(1, sum(self.client.nthreads().values()))
        self.encoder_threads = self._cores_per_slot()
        self._progress: dict[str, Report] = {}
        self._futures: dict[str, object] = {}
        self._done: queue.Queue[tuple[str, object]] = queue.Queue()
        self.client.subscribe_topic(PROGRESS_TOPIC, self._on_event)

    def _cores_per_slot(self) -> int:
        """ffmpeg threads per job: each host's cores shared among the task slots on it."""
        cores = self.client.run(os.cpu_count)
        threads = self.client.nthreads()
        per_host: dict[str, list[int]] = {}
        for address, n in threads.items():
            host = address.rsplit(":", 1)[0]
            per_host.setdefault(host, [cores.get(address) or 1, 0])[1] += n
        return max(1, min(c // max(n, 1) for c, n in per_host.values()))

    def _on_event(self, event) -> None:
        _, message = event
        report = self._progress.get(message["job"])
        if report is not None:
            report(message["stage"], message["fraction"])

    def submit(self, job_id: str, task: Callable[..., dict], *args, progress: Report) -> None:
        self._progress[job_id] = progress
        future = self.client.submit(_on_worker, job_id, task, *args, key=f"anchor-job-{job_id}-{time.time_ns()}",
                                    pure=False, retries=0)
        self._futures[job_id] = future
        future.add_done_callback(lambda f: self._done.put((job_id, f)))

    def finished(self, timeout: float) -> list[tuple[str, dict]]:
        out = []
        for job_id, future in _drain(self._done, timeout):
            self._progress.pop(job_id, None)
            self._futures.pop(job_id, None)
            try:
                out.append((job_id, future.result()))
            except Exception as e:  # KilledWorker, CancelledError, ...
                out.append((job_id, lost(job_id, e)))
        return out

    def cancel(self, job_id: str) -> None:
        from distributed import Event

        Event(_cancel_event(job_id), client=self.client).set()

    def close(self) -> None:
        for job_id in list(self._futures):
            self.cancel(job_id)
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def _cancel_event(job_id: str) -> str:
    return f"anchor-cancel-{job_id}"


def _on_worker(job_id: str, task: Callable[..., dict], *args) -> dict:
    """Runs on a Dask worker: the task, with progress sent back as worker events."""
    from distributed import Event, get_worker

    worker = get_worker()
    cancelled = Event(_cancel_event(job_id))
    last_check = [0.0]

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - last_check[0] >= 1.0:
            last_check[0] = now
            if cancelled.is_set():
                raise JobCancelled(job_id)
        worker.log_event(PROGRESS_TOPIC, {"job": job_id, "stage": stage, "fraction": float(fraction)})

    return task(*args, report=report)


def make_executor(name: str | None = None, workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor called ``name``; by default Dask when ``workers`` > 1 or a scheduler is given."""
    name = name or ("dask" if scheduler or workers > 1 else "in-process")
    if name == "in-process":
        return InProcessExecutor(workers)
    if name == "dask":
        return DaskExecutor(workers, scheduler)
    raise InputError(f"未知的执行方式：{name}（可用：{'、'.join(EXECUTORS)}）",
                     f"unknown executor {name!r} (available: {', '.join(EXECUTORS)})")
