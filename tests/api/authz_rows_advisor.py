"""Auth-matrix rows of the tidal-window advisor (what-if preview): managers and admins."""

from __future__ import annotations

from authz import MANAGERS, Row

ROWS: list[Row] = [
    ("POST", "/api/advisor/what-if",
     {"changes": [{"window": 1, "secondary": ["shuiwu"]}], "seeds": 2}, MANAGERS),
]
