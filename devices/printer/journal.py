"""Which print jobs this printer has started and finished, so none prints twice.

A job is a piece of paper in a citizen's hand: a duplicate is a second ticket with the same
number, a lost one can be reprinted by staff. So the rules lean to "never twice":

- A job is marked `started`, durably (SQLite, `synchronous=FULL`, committed), before its
  first byte goes to the printer, and `done` with its result after.
- A redelivered job (same `job_id`) gets its first result back and is not printed.
- A job found `started` after a restart may or may not be on paper: it is never printed
  again automatically. It is settled as failed; staff print it again with a new job that
  has `reprint=True`, which carries the 补打 banner.
- A job refused before any byte was sent (paper out, cover open, printer not answering) left
  nothing on paper, so a later delivery of the same `job_id` may try again.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from devices.protocol.messages import PrintError, PrintJob, PrintResult

State = Literal["started", "done", "refused"]

INTERRUPTED = PrintError.INTERRUPTED
"""The error reported for a job that was started but never finished (the protocol has no
more specific value)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('started', 'done', 'refused')),
    reprint INTEGER NOT NULL,
    ok INTEGER,
    error TEXT,
    updated_at REAL NOT NULL
);
"""


class JobJournal:
    """The job table of one printer (one file per printer)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _row(self, job_id: str) -> tuple[str, int | None, str | None] | None:
        row = self._db.execute("SELECT state, ok, error FROM jobs WHERE job_id = ?",
                               (job_id,)).fetchone()
        return None if row is None else (str(row[0]), row[1], row[2])

    def claim(self, job: PrintJob) -> PrintResult | None:
        """None when the job may print now; else the result to report without printing."""
        with self._transaction():
            row = self._row(job.job_id)
            if row is None or row[0] == "refused":
                return None
            state, ok, error = row
            if state == "started":  # a crash while printing: settle it as failed
                self._set(job.job_id, "done", job.reprint, False, INTERRUPTED)
                ok, error = 0, INTERRUPTED.value
        return PrintResult(job_id=job.job_id, ok=bool(ok),
                           error=PrintError(error) if error else None)

    def _set(self, job_id: str, state: State, reprint: bool, ok: bool | None,
             error: PrintError | None) -> None:
        self._db.execute(
            "INSERT INTO jobs (job_id, state, reprint, ok, error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(job_id) DO UPDATE SET "
            "state = excluded.state, ok = excluded.ok, error = excluded.error, "
            "updated_at = excluded.updated_at",
            (job_id, state, int(reprint), None if ok is None else int(ok),
             None if error is None else error.value, time.time()))

    def start(self, job: PrintJob) -> None:
        """Record, durably, that the job's bytes are about to go out."""
        with self._lock:
            self._set(job.job_id, "started", job.reprint, None, None)

    def finish(self, result: PrintResult) -> None:
        """Record the outcome of a started job."""
        with self._lock:
            self._set(result.job_id, "done", False, result.ok, result.error)

    def refuse(self, job: PrintJob, error: PrintError) -> None:
        """Record that the job was not sent at all (a later delivery may try again)."""
        with self._lock:
            self._set(job.job_id, "refused", job.reprint, False, error)

    def state(self, job_id: str) -> State | None:
        """The recorded state of a job, or None for a job never seen."""
        with self._lock:
            row = self._row(job_id)
        return None if row is None else row[0]  # type: ignore[return-value]

    def settle_interrupted(self) -> list[str]:
        """Mark every job left `started` (a crash) as failed; returns their ids."""
        with self._transaction():
            ids = [str(r[0]) for r in self._db.execute(
                "SELECT job_id FROM jobs WHERE state = 'started' ORDER BY updated_at, rowid")]
            self._db.execute(
                "UPDATE jobs SET state = 'done', ok = 0, error = ?, updated_at = ? "
                "WHERE state = 'started'", (INTERRUPTED.value, time.time()))
        return ids

    def prune(self, older_than_s: float = 30 * 86400) -> int:
        """Forget finished jobs older than this (a redelivery never comes that late)."""
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM jobs WHERE state != 'started' AND updated_at < ?",
                (time.time() - older_than_s,))
        return cur.rowcount

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
