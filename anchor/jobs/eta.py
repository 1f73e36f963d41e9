"""How long a running job has left, from how fast each stage ran here before.

Every job the runner finishes leaves, per stage, the seconds it took and the work it had: characters of
script for speech (the spoken length follows them), one for the anchor's preparation, characters times
aspects for the frames.  Those rows live beside the jobs (``stage_times`` in ``jobs.sqlite``), so the estimate
is this machine's, and gets better with use.  A running job's time left is then

* for its current stage: the stage's own pace once a tenth of it is done (elapsed x (1 - f) / f), else the
  measured rate times its work, less what has passed;
* plus, for each stage still to come, the measured rate times its work.

With nothing measured yet for a stage still needed, the estimate is None (the studio says it is estimating).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from .store import Job, JobStore

STAGES = ("speech", "avatar", "render")
KEEP = 50  # rows per stage a rate is taken over: recent work on this machine, not last year's
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stage_times (
    stage TEXT NOT NULL,
    seconds REAL NOT NULL,
    work REAL NOT NULL,
    at REAL NOT NULL
);
"""


def work_of(job: Job, stage: str) -> float:
    """What a stage of ``job`` has to do, in the unit its rate is measured in."""
    if stage == "avatar":
        return 1.0
    text = job.text
    if text is None and job.source:
        try:
            text = Path(job.source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    chars = max(len((text or "").strip()), 1)
    if stage == "speech":
        return float(chars)
    aspects = job.options.get("aspects") or ["9:16"]
    aspects = aspects.split(",") if isinstance(aspects, str) else aspects
    return float(chars * max(len(aspects), 1))


class StageClock:
    """The stages' measured pace on this machine, and where each running job's stage started."""

    def __init__(self, store: JobStore):
        self.store = store
        self._current: dict[str, tuple[str, float]] = {}  # job id -> (stage, when it started)
        self._rates: dict[str, float] | None = None
        with store.connect() as db:
            db.executescript(_SCHEMA)

    def started(self, job_id: str) -> None:
        self._current[job_id] = ("speech", time.monotonic())

    def observe(self, job_id: str, stage: str) -> None:
        """``job_id`` reports ``stage``: when that is a new stage, the one before it took until now."""
        was = self._current.get(job_id)
        if was is None or was[0] == stage:
            return
        now = time.monotonic()
        self._current[job_id] = (stage, now)
        self._record(was[0], now - was[1], work_of(self.store.get(job_id), was[0]))

    def finished(self, job_id: str, ok: bool) -> None:
        was = self._current.pop(job_id, None)
        if ok and was is not None:
            self._record(was[0], time.monotonic() - was[1], work_of(self.store.get(job_id), was[0]))

    def _record(self, stage: str, seconds: float, work: float) -> None:
        with self.store.connect() as db:
            db.execute("INSERT INTO stage_times (stage, seconds, work, at) VALUES (?, ?, ?, ?)",
                       (stage, seconds, work, time.time()))
        self._rates = None

    def rates(self) -> dict[str, float]:
        """Seconds per unit of work for each stage measured so far (the median of its recent rows)."""
        if self._rates is None:
            rates = {}
            with self.store.connect() as db:
                for stage in STAGES:
                    rows = db.execute("SELECT seconds, work FROM stage_times WHERE stage = ? ORDER BY at DESC LIMIT ?",
                                      (stage, KEEP)).fetchall()
                    if rows:
                        rates[stage] = statistics.median(r["seconds"] / max(r["work"], 1e-9) for r in rows)
            self._rates = rates
        return self._rates

    def remaining(self, job: Job, fraction: float) -> float | None:
        """Seconds ``job`` (running, ``fraction`` through its current stage) has left; None when not known."""
        current = self._current.get(job.id)
        if current is None:
            return None
        stage, since = current
        elapsed = time.monotonic() - since
        rates = self.rates()
        if fraction >= 0.1:
            left = elapsed * (1 - fraction) / fraction
        elif stage in rates:
            left = max(rates[stage] * work_of(job, stage) - elapsed, 0.0)
        else:
            return None
        for later in STAGES[STAGES.index(stage) + 1:] if stage in STAGES else ():
            if later not in rates:
                return None
            left += rates[later] * work_of(job, later)
        return left
