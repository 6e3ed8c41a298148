"""Auth-matrix rows of the reports (统计报表): managers and admins only."""

from __future__ import annotations

from authz import MANAGERS, Row

ROWS: list[Row] = [
    ("GET", "/api/reports?period=day&date=2026-11-23", None, MANAGERS),
    ("GET", "/api/reports/export?period=month&date=2026-11-23&format=xlsx", None, MANAGERS),
]
