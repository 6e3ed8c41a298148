"""Auth-matrix rows of the live event stream."""

from __future__ import annotations

from authz import Row

ROWS: list[Row] = []
