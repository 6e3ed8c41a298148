"""Auth-matrix rows of the live event stream."""

from __future__ import annotations

from authz import ROLES, Row

# A public stream (no personal data); checked over a real server in tests/web/test_live.py.
ROWS: list[Row] = [("GET", "/api/events", None, dict.fromkeys(ROLES, "stream"))]
