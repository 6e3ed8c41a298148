"""Loaded by every Python process of the shifted-date runs (`./scripts/test --dates` puts this
folder on PYTHONPATH), never otherwise.

The runs keep the monotonic clock real (FAKETIME_DONT_FAKE_MONOTONIC=1): with a faked one,
libfaketime 0.9.10 makes timed condition and lock waits hang. With a real one it makes
`clock_nanosleep` on the monotonic clock, which `time.sleep` uses, fail with EINVAL. So sleeps
go through select(), which waits correctly under libfaketime.
"""

from __future__ import annotations

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([], [], [], left)


time.sleep = _sleep
