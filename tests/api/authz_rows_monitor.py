"""Auth-matrix rows of the manager dashboard's data (the page itself: tests/web)."""

from __future__ import annotations

from authz import MANAGERS, Row

ROWS: list[Row] = [
    ("GET", "/api/monitor/overview", None, MANAGERS),
]
