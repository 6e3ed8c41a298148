"""Auth-matrix rows of the hall call screen (综合屏): public, like the screen itself."""

from __future__ import annotations

from authz import PUBLIC, Row

ROWS: list[Row] = [
    ("GET", "/api/screen/state", None, PUBLIC),
    ("GET", "/api/screen/state?zone=a", None, PUBLIC),
    # No call with id 1 today in the matrix's hall: 404 for everyone, never 401/403.
    ("GET", "/api/screen/audio.wav?call=1", None, PUBLIC),
]
