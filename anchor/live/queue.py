"""The channel's running order, kept in ``live.sqlite`` so a killed channel resumes where it was.

An item goes ``queued`` → ``rendering`` → ``ready`` → ``on_air`` → ``aired`` (or back to ``ready`` at the
end of the queue when the channel loops); a script that cannot be read or rendered is ``skipped`` with
its reason, and one the operator takes out is ``removed``.  Pending items play urgent first, then in the
order they landed (``position``, which the operator may change).  The channel, the studio and a second
process may all open the same queue: each call is one short SQLite transaction.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import AnchorError
from ..files import file_sha256
from ..script import load_script

PENDING = ("queued", "rendering", "ready")
STATES = PENDING + ("on_air", "aired", "skipped", "removed")
URGENT_TEMPLATES = {"flash"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
    urgent INTEGER NOT NULL DEFAULT 0, position REAL NOT NULL, state TEXT NOT NULL, clip TEXT, duration REAL,
    reason TEXT, landed REAL NOT NULL, aired REAL, plays INTEGER NOT NULL DEFAULT 0)
"""
_ORDER = "ORDER BY urgent DESC, position, id"


@dataclass(frozen=True)
class Item:
    id: int
    key: str
    path: str
    title: str
    urgent: bool
    position: float
    state: str
    clip: str | None
    duration: float | None
    reason: str | None
    landed: float
    aired: float | None
    plays: int

    def record(self) -> dict:
        return {"id": self.id, "title": self.title, "state": self.state, "urgent": self.urgent,
                "script": self.path, "reason": self.reason, "plays": self.plays,
                "duration": self.duration, "landed": self.landed, "aired": self.aired}


class LiveQueue:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "live.sqlite"
        with self._db() as db:
            db.execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = lambda cursor, row: Item(*row) if len(row) == 13 else row
        return _Tx(db)

    def add(self, script: str | Path) -> Item:
        """The item for this script file (as it is now: an edited file is a new item); a new one joins the
        queue, or is ``skipped`` at once when the script cannot be read."""
        path = Path(script).resolve()
        key = f"{path}@{file_sha256(path)[:16]}"
        with self._db() as db:
            found = db.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()
            if found is not None:
                return found
        title, urgent, state, reason = path.name, False, "queued", None
        try:
            story = load_script(path)
            title, urgent = story.title, story.urgent or (story.template in URGENT_TEMPLATES)
        except AnchorError as e:
            state, reason = "skipped", str(e)
        with self._db() as db:
            position = (db.execute("SELECT MAX(position) FROM items").fetchone() or [None])[0]
            db.execute("INSERT OR IGNORE INTO items (key, path, title, urgent, position, state, reason, landed) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (key, str(path), title, int(urgent), (position or 0) + 1, state, reason, time.time()))
            return db.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()

    def get(self, item_id: int) -> Item:
        with self._db() as db:
            item = db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if item is None:
            raise KeyError(item_id)
        return item

    def items(self, states: tuple[str, ...] = STATES) -> list[Item]:
        marks = ",".join("?" * len(states))
        with self._db() as db:
            return db.execute(f"SELECT * FROM items WHERE state IN ({marks}) {_ORDER}", states).fetchall()

    def pending(self) -> list[Item]:
        """What is still to go on air, in the order it will."""
        return self.items(PENDING)

    def next_to_render(self) -> Item | None:
        return next((i for i in self.pending() if i.state == "queued"), None)

    def next_to_air(self) -> Item | None:
        """The head of the queue when its clip is ready; None while it is still being made (the interval)."""
        head = next(iter(self.pending()), None)
        return head if head is not None and head.state == "ready" else None

    def set_state(self, item_id: int, state: str, **values) -> None:
        assert state in STATES
        columns = "".join(f", {name} = ?" for name in values)
        with self._db() as db:
            db.execute(f"UPDATE items SET state = ?{columns} WHERE id = ?", (state, *values.values(), item_id))

    def finished(self, item_id: int, loop: bool) -> None:
        """The item has been on air to its end: aired, or (looping) ready again at the end of the queue."""
        with self._db() as db:
            if loop:
                position = db.execute("SELECT MAX(position) FROM items").fetchone()[0] or 0
                db.execute("UPDATE items SET state = 'ready', urgent = 0, position = ?, aired = ?, plays = plays + 1 "
                           "WHERE id = ?", (position + 1, time.time(), item_id))
            else:
                db.execute("UPDATE items SET state = 'aired', aired = ?, plays = plays + 1 WHERE id = ?",
                           (time.time(), item_id))

    def recover(self) -> None:
        """After a crash: the item that was on air goes first again, from its start; a half-made clip is made again."""
        with self._db() as db:
            db.execute("UPDATE items SET state = 'ready', urgent = 1 WHERE state = 'on_air'")
            db.execute("UPDATE items SET state = 'queued' WHERE state = 'rendering'")

    # the operator's changes (studio 直播 tab)
    def move(self, item_id: int, steps: int) -> None:
        """Move a pending item ``steps`` places later (negative: earlier) among the pending items of its kind."""
        item = self.get(item_id)
        peers = [i for i in self.pending() if i.urgent == item.urgent]
        k = next((n for n, i in enumerate(peers) if i.id == item_id), None)
        if k is None:
            return
        target = max(0, min(len(peers) - 1, k + steps))
        if target == k:
            return
        others = [i for i in peers if i.id != item_id]
        others.insert(target, item)
        slots = sorted(i.position for i in peers)  # the same places, in the new order
        with self._db() as db:
            for slot, i in zip(slots, others):
                db.execute("UPDATE items SET position = ? WHERE id = ?", (slot, i.id))

    def remove(self, item_id: int) -> None:
        with self._db() as db:
            db.execute("UPDATE items SET state = 'removed' WHERE id = ? AND state IN ('queued', 'ready')", (item_id,))

    def mark_urgent(self, item_id: int, urgent: bool = True) -> None:
        with self._db() as db:
            db.execute("UPDATE items SET urgent = ? WHERE id = ?", (int(urgent), item_id))


class _Tx:
    """A connection used as ``with``: one transaction, then closed."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, tb) -> None:
        try:
            self.db.execute("ROLLBACK" if kind else "COMMIT")
        finally:
            self.db.close()
