"""Making the queue's clips ahead of air, in one worker process at a lower CPU priority.

The worker loads the speech model once and keeps it; it runs at ``SCHED_IDLE`` (``nice`` 10 where that is
refused), so it gets only the CPU the playout leaves and the stream never waits for a core.  A script that fails is skipped with its reason; a worker
that dies is replaced, and the item it was making is skipped.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AnchorError
from .options import LiveOptions
from .queue import LiveQueue


@dataclass(frozen=True)
class Made:
    video: str
    duration: float


def make_clip(script: str, out_dir: str, aspect: str, voice: str | None, avatar: str | None,
              station: str | None) -> Made:
    """In the worker: render ``script`` at the channel's aspect into ``out_dir``."""
    from ..pipeline import RenderOptions, render

    clips = render(script, out_dir, RenderOptions(voice=voice, avatar=avatar, station=station, aspects=(aspect,)))
    return Made(str(clips[0].videos[aspect]), float(clips[0].info["duration"]))


def _worker_start(nice: int) -> None:
    """In the worker, first thing: the CPU only when the playout leaves it idle (SCHED_IDLE where Linux has it,
    else ``nice``; its ffmpeg inherits it), and an end when the channel is killed (it would otherwise finish its
    render for nobody)."""
    os.nice(nice)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass


class Prerenderer:
    def __init__(self, store: LiveQueue, clips_dir: Path, options: LiveOptions, log=print):
        self.store, self.clips_dir, self.options, self.log = store, Path(clips_dir), options, log
        self.pool: futures.ProcessPoolExecutor | None = None
        self.busy_with: int | None = None

    def start(self, stop: threading.Event) -> "Prerenderer":
        self._stop = stop
        self._thread = threading.Thread(target=self._run, daemon=True, name="live-render")
        self._thread.start()
        return self

    def pid(self) -> int | None:
        processes = getattr(self.pool, "_processes", None) or {}
        return next(iter(processes), None)

    def close(self) -> None:
        if self.pool is not None:
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
            self.pool.shutdown(wait=False, cancel_futures=True)

    def _new_pool(self) -> futures.ProcessPoolExecutor:
        return futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_worker_start, initargs=(self.options.render_nice,))

    def _run(self) -> None:
        self.pool = self._new_pool()
        while not self._stop.is_set():
            item = self.store.next_to_render()
            if item is None:
                self._stop.wait(0.5)
                continue
            self.busy_with = item.id
            self.store.set_state(item.id, "rendering")
            started = time.monotonic()
            job = self.pool.submit(make_clip, item.path, str(self.clips_dir / str(item.id)), self.options.aspect,
                                   self.options.voice, self.options.avatar, self.options.station)
            while not self._stop.is_set():
                try:
                    made = job.result(timeout=0.5)
                except futures.TimeoutError:
                    continue
                except Exception as e:
                    if self._stop.is_set():  # the channel is stopping: the item is made again next time
                        break
                    self._failed(item, e)
                else:
                    self.store.set_state(item.id, "ready", clip=made.video, duration=made.duration)
                    self.log(f"已备播 / ready: {item.title} ({made.duration:.1f} s of air, made in "
                             f"{time.monotonic() - started:.1f} s)")
                break
            self.busy_with = None

    def _failed(self, item, e: Exception) -> None:
        """A fault in one script is that item's, never the channel's."""
        if isinstance(e, AnchorError):
            self._skip(item, str(e))
        elif isinstance(e, futures.process.BrokenProcessPool):
            self._skip(item, "渲染进程意外退出 / the render worker died")
            self.pool = self._new_pool()
        else:
            self._skip(item, f"渲染失败 / render failed: {type(e).__name__}: {e}")

    def _skip(self, item, reason: str) -> None:
        self.store.set_state(item.id, "skipped", reason=reason)
        self.log(f"跳过 / skipped: {item.path}: {reason}")
