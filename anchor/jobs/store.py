"""The durable job store: one SQLite database (WAL) per output folder, one row per render job.

Everything that runs renders (``anchor batch``, the studio, the HTTP API) keeps its queue
and history here, so a crash loses nothing that finished and the next run knows what is
left.  A job's row holds its state, attempts, timings, error (Chinese and English) and the
artifacts it produced with their sha256, written in one transaction when the render has
moved its files into place::

    queued -> running -> done | failed | cancelled
                 \\-> queued again when the process that ran it died (``recover``)

``key`` says what the job renders (a script file, a manifest row, an upload); adding a job
whose key is already stored keeps its row (and so its state) unless the input changed, in
which case it is queued afresh.  Only one process at a time may run jobs from a store:
:func:`folder_lock` takes an exclusive lock on the folder that the kernel drops when the
process dies, even by ``kill -9``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..files import file_sha256

STORE_NAME = "jobs.sqlite"
LOCK_NAME = ".anchor-jobs.lock"
STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    key TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    source TEXT,
    text TEXT,
    fmt TEXT NOT NULL DEFAULT '.txt',
    base_dir TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    digest TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    renders INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    duration REAL,
    stage TEXT,
    progress REAL NOT NULL DEFAULT 0,
    error_kind TEXT,
    error_zh TEXT,
    error_en TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    artifacts TEXT NOT NULL DEFAULT '[]',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    callback TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created);
"""


@dataclass(frozen=True)
class Artifact:
    """One finished file of a job, relative to the store's folder."""

    path: str
    role: str  # video | cover | subtitles | webvtt | metadata
    aspect: str | None
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Job:
    id: str
    key: str  # what it renders: a script path, "manifest.csv#3", or an upload's id
    name: str  # output file stem
    origin: str  # which batch, or "studio" / "api"
    source: str | None  # the script file, or None when ``text`` holds the script
    text: str | None
    fmt: str  # the script format of ``text`` (.txt, .md, .yaml, .json)
    base_dir: str | None  # where media files named in ``text`` are looked up
    options: dict  # RenderOptions fields by name (see anchor.jobs.render_options)
    digest: str  # sha256 of the script and options: a change renders it again
    state: str
    attempts: int
    renders: int  # completed renders: 1 for a job rendered exactly once
    created: float
    started: float | None
    finished: float | None
    duration: float | None  # seconds the last attempt took
    stage: str | None  # speech | avatar | render, while running
    progress: float  # 0..1 over the whole job
    error_kind: str | None  # input (the producer can fix it) | failure | interrupted | cancelled
    error_zh: str | None
    error_en: str | None
    warnings: list[str] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    cancel_requested: bool = False
    worker: str | None = None
    callback: str | None = None  # where its result JSON is POSTed when it finishes or fails (anchor.jobs.webhook)

    @property
    def finished_ok(self) -> bool:
        return self.state == "done"

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("text")
        return out


class JobStore:
    """The jobs of one folder, in ``<folder>/jobs.sqlite``; safe to share between threads."""

    def __init__(self, folder: str | os.PathLike, path: str | os.PathLike | None = None):
        self.folder = Path(folder).resolve()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = Path(path) if path else self.folder / STORE_NAME
        with self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
            for column in sorted({"base_dir", "callback"} - columns):  # a store written before these existed
                db.execute(f"ALTER TABLE jobs ADD COLUMN {column} TEXT")

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection to the store's database (durable writes); the jobs stage's webhooks keep their tables here."""
        try:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as e:
            raise InputError(f"无法打开任务记录 {self.path}（{e}）", f"cannot open the job store {self.path}: {e}") from None
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA synchronous=FULL")  # a finished job survives a crash the moment it is recorded
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- adding and reading ------------------------------------------------

    def add(self, key: str, name: str, options: dict | None = None, *, source: str | None = None,
            text: str | None = None, fmt: str = ".txt", origin: str = "", base_dir: str | None = None,
            callback: str | None = None, refused: tuple[str, str] | None = None) -> Job:
        """The job for ``key``: stored as it was when its input is unchanged, else queued afresh (the callback
        URL is not input: a new one is kept without rendering again).  ``refused`` (zh, en): an input that
        cannot be rendered, stored as failed in the same transaction, so no runner ever claims it."""
        options = options or {}
        digest = input_digest(source, text, options)
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
            if row is None:
                job_id = uuid.uuid4().hex[:12]
                db.execute("INSERT INTO jobs (id, key, name, origin, source, text, fmt, base_dir, options, digest, "
                           "created, callback) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (job_id, key, name, origin, source, text, fmt, base_dir, _dump(options), digest, now,
                            callback))
                if refused is not None:
                    db.execute("UPDATE jobs SET state = 'failed', finished = ?, error_kind = 'input', error_zh = ?, "
                               "error_en = ? WHERE id = ?", (now, *refused, job_id))
            else:
                job_id = row["id"]
                db.execute("UPDATE jobs SET callback = ? WHERE id = ?", (callback, job_id))
                if row["digest"] != digest or row["name"] != name:
                    db.execute("UPDATE jobs SET name = ?, origin = ?, source = ?, text = ?, fmt = ?, base_dir = ?, options = ?, "
                               "digest = ?, state = 'queued', attempts = 0, renders = 0, created = ?, started = NULL, "
                               "finished = NULL, duration = NULL, stage = NULL, progress = 0, error_kind = NULL, "
                               "error_zh = NULL, error_en = NULL, warnings = '[]', artifacts = '[]', "
                               "cancel_requested = 0 WHERE id = ?",
                               (name, origin, source, text, fmt, base_dir, _dump(options), digest, now, job_id))
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self.connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return _job(row)

    def find(self, job_id: str) -> Job | None:
        try:
            return self.get(job_id)
        except KeyError:
            return None

    def jobs(self, ids: list[str] | None = None, states: tuple[str, ...] | None = None,
             newest_first: bool = False, limit: int | None = None) -> list[Job]:
        sql, args = "SELECT * FROM jobs", []
        where = []
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            args += ids
        if states is not None:
            where.append(f"state IN ({','.join('?' * len(states))})")
            args += states
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created " + ("DESC" if newest_first else "ASC") + ", rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self.connect() as db:
            return [_job(r) for r in db.execute(sql, args)]

    def position(self, job_id: str) -> int | None:
        """1 for the next queued job to start, 2 for the one after, ...; None when not waiting."""
        with self.connect() as db:
            row = db.execute("SELECT state, created FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row["state"] != "queued":
                return None
            ahead = db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (created < ? OR "
                               "(created = ? AND rowid < (SELECT rowid FROM jobs WHERE id = ?)))",
                               (row["created"], row["created"], job_id)).fetchone()[0]
        return ahead + 1

    def names_in_use(self, except_key: str) -> set[str]:
        with self.connect() as db:
            return {r[0] for r in db.execute("SELECT name FROM jobs WHERE key != ?", (except_key,))}

    # -- the life of a job ---------------------------------------------------

    def claim(self, job_id: str, worker: str = "") -> bool:
        """queued -> running (one more attempt); False when someone else took it or it was cancelled."""
        with self._transaction() as db:
            changed = db.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, started = ?, "
                                 "finished = NULL, stage = NULL, progress = 0, worker = ? "
                                 "WHERE id = ? AND state = 'queued'", (time.time(), worker, job_id)).rowcount
        return changed == 1

    def report(self, job_id: str, stage: str, progress: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET stage = ?, progress = ? WHERE id = ? AND state = 'running'",
                       (stage, min(max(progress, 0.0), 1.0), job_id))

    def finish(self, job_id: str, artifacts: list[Artifact], warnings: list[str], duration: float,
               worker: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = 'done', renders = renders + 1, finished = ?, duration = ?, "
                       "stage = NULL, progress = 1, error_kind = NULL, error_zh = NULL, error_en = NULL, "
                       "warnings = ?, artifacts = ?, worker = COALESCE(?, worker) WHERE id = ?",
                       (time.time(), duration, _dump(warnings), _dump([asdict(a) for a in artifacts]), worker, job_id))

    def fail(self, job_id: str, kind: str, zh: str, en: str, duration: float | None = None,
             worker: str | None = None) -> None:
        state = "cancelled" if kind == "cancelled" else "failed"
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = ?, finished = ?, duration = ?, stage = NULL, error_kind = ?, "
                       "error_zh = ?, error_en = ?, cancel_requested = 0, worker = COALESCE(?, worker) WHERE id = ?",
                       (state, time.time(), duration, kind, zh, en, worker, job_id))

    def requeue(self, job_id: str, kind: str | None = None, zh: str | None = None, en: str | None = None) -> None:
        """Back in the queue (a retry, or a job whose process died); the last error stays on record."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = 'queued', stage = NULL, progress = 0, cancel_requested = 0, "
                       "error_kind = COALESCE(?, error_kind), error_zh = COALESCE(?, error_zh), "
                       "error_en = COALESCE(?, error_en) WHERE id = ?", (kind, zh, en, job_id))

    def cancel(self, job_id: str) -> Job:
        """A waiting job is cancelled at once; a running one is asked to stop (the runner confirms it)."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = 'cancelled', finished = ?, error_kind = 'cancelled', "
                       "error_zh = '已取消', error_en = 'cancelled' WHERE id = ? AND state = 'queued'",
                       (time.time(), job_id))
            db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state = 'running'", (job_id,))
        return self.get(job_id)

    def cancel_requests(self) -> list[str]:
        with self.connect() as db:
            return [r[0] for r in db.execute("SELECT id FROM jobs WHERE state = 'running' AND cancel_requested = 1")]

    def recover(self) -> list[Job]:
        """Jobs left running by a process that died: queued again.  Call only while holding the folder lock."""
        interrupted = self.jobs(states=("running",))
        for job in interrupted:
            self.requeue(job.id, "interrupted", "上次渲染被中断，已重新排队", "the last render was interrupted; queued again")
        return interrupted

    def retry_failed(self, ids: list[str], max_attempts: int) -> list[Job]:
        """Failed jobs among ``ids`` with attempts left go back in the queue."""
        again = [j for j in self.jobs(ids=ids, states=("failed",)) if j.attempts < max_attempts]
        for job in again:
            self.requeue(job.id)
        return again

    def reset(self, job_id: str, zh: str, en: str) -> None:
        """A finished job whose files are missing or changed: render it again from scratch."""
        with self._transaction() as db:
            db.execute("UPDATE jobs SET state = 'queued', attempts = 0, renders = 0, artifacts = '[]', stage = NULL, "
                       "progress = 0, error_kind = 'changed', error_zh = ?, error_en = ? WHERE id = ?",
                       (zh, en, job_id))

    def verify(self, job: Job) -> list[str]:
        """Problems with a finished job's files (missing, or not the bytes recorded): empty when intact."""
        problems = []
        if not job.artifacts:
            problems.append("no files recorded")
        for artifact in job.artifacts:
            path = self.folder / artifact.path
            if not path.is_file():
                problems.append(f"missing {artifact.path}")
            elif path.stat().st_size != artifact.bytes or file_sha256(path) != artifact.sha256:
                problems.append(f"changed {artifact.path}")
        return problems

    def artifact_path(self, job: Job, name: str) -> Path | None:
        """The file ``name`` of ``job`` if it is one of its recorded artifacts (never anything else)."""
        for artifact in job.artifacts:
            if artifact.path == name or Path(artifact.path).name == name:
                return self.folder / artifact.path
        return None


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Exclusive use of a jobs folder by this process; released on exit, crash or ``kill -9``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"另一个渲染进程正在使用文件夹 {folder}，请等它结束或换一个输出文件夹",
                             f"another render process is using {folder}; wait for it or use another output folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def input_digest(source: str | None, text: str | None, options: dict) -> str:
    digest = hashlib.sha256()
    if source is not None:
        try:
            digest.update(Path(source).read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    if text is not None:
        digest.update(text.encode("utf-8"))
    digest.update(_dump(options).encode())
    return digest.hexdigest()


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _job(row: sqlite3.Row) -> Job:
    data = dict(row)
    data["options"] = json.loads(data["options"])
    data["warnings"] = json.loads(data["warnings"])
    data["artifacts"] = [Artifact(**a) for a in json.loads(data["artifacts"])]
    data["cancel_requested"] = bool(data["cancel_requested"])
    return Job(**data)
