"""Growing lockouts after failed logins (pure: the caller passes the time).

A key (an account, a source address) may fail `free` times in a row; each failure after
that locks it for `base`, doubling per further failure up to `longest`. While locked, an
attempt is refused without looking at the password, so guessing goes no faster than the
lock allows. A success clears the key; a key whose last failure is `longest` ago starts
afresh too (a source shared by many, such as the hall's Wi-Fi, is not punished for a
week of typos). Keys are kept in a bounded table: when it is full,
the key whose last failure is oldest goes first (a flood of made-up usernames cannot grow
memory, and it can only push out stale entries, never a lock that is still running when
older ones exist).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    """How many free tries, the first lock and the longest one."""

    free: int = 5
    base: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(minutes=15)

    def lock_after(self, failures: int) -> timedelta:
        """The lock that `failures` consecutive failures earn (zero while tries are free)."""
        if failures <= self.free:
            return timedelta(0)
        doublings = min(failures - self.free - 1, 30)
        lock: timedelta = self.base * (2**doublings)
        return min(lock, self.longest)


@dataclass
class _Record:
    failures: int
    last: datetime
    locked_until: datetime


class Lockouts:
    """Consecutive failures and locks by key, under one `Backoff`."""

    def __init__(self, backoff: Backoff, capacity: int = 10_000) -> None:
        self.backoff = backoff
        self.capacity = capacity
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def locked_for(self, key: str, now: datetime) -> timedelta:
        """How long `key` is still locked (zero: it may try)."""
        record = self._records.get(key)
        if record is None or record.locked_until <= now:
            return timedelta(0)
        return record.locked_until - now

    def failures(self, key: str) -> int:
        """Consecutive failures of `key` so far."""
        record = self._records.get(key)
        return 0 if record is None else record.failures

    def fail(self, key: str, now: datetime) -> timedelta:
        """Count a failure; returns the lock it starts (zero while tries are free)."""
        record = self._records.pop(key, None)
        if record is None or now - record.last >= self.backoff.longest:
            record = _Record(0, now, now)
        record.failures += 1
        record.last = now
        lock = self.backoff.lock_after(record.failures)
        record.locked_until = now + lock
        self._records[key] = record  # newest failure last
        while len(self._records) > self.capacity:
            self._records.popitem(last=False)
        return lock

    def succeed(self, key: str) -> None:
        """A success: the key starts afresh."""
        self._records.pop(key, None)
