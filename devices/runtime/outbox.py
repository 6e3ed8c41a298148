"""A device's persistent outbox: events wait here until the broker acknowledged them.

SQLite with `synchronous=FULL`: an event accepted by `add` survives a crash or power loss
of the device; a row is removed only when its PUBACK arrived. The same file keeps the
per-connection epoch counter, so epochs keep growing across restarts."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Outbox:
    """Durable FIFO of (topic, payload) plus the epoch counter."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

    def add(self, topic: str, payload: bytes) -> int:
        """Store an event durably; returns its sequence number."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
                (topic, payload, time.time()))
            seq = cur.lastrowid
        assert seq is not None
        return seq

    def pending(self, after: int = 0, limit: int = 100) -> list[tuple[int, str, bytes]]:
        """Stored events with a sequence number above `after`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit)).fetchall()
        return [(int(s), str(t), bytes(p)) for s, t, p in rows]

    def remove(self, seq: int) -> None:
        """Forget an event the broker acknowledged."""
        with self._lock:
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def __len__(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(n)

    def next_epoch(self) -> int:
        """A connection epoch above every earlier one (milliseconds, bumped if needed)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
            epoch = max((int(row[0]) + 1) if row else 0, time.time_ns() // 1_000_000)
            self._db.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (epoch,))
        return epoch

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
