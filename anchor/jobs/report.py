"""What a batch shows and leaves behind: the progress bar, ``batch-report.json``, the end-of-batch table
and the exit code.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..files import write_text_atomic
from .store import Job, JobStore

REPORT_NAME = "batch-report.json"


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
