"""Auth-matrix rows of the administration API (admin role only)."""

from __future__ import annotations

from authz import MANAGERS, Row

ADMINS = {**MANAGERS, "manager": 403}

ROWS: list[Row] = [
    ("GET", "/api/admin/layout", None, ADMINS),
    # An empty document: refused by validation (422) for the admin, nothing stored.
    ("PUT", "/api/admin/layout", {"version": 0, "document": {}}, ADMINS),
    ("GET", "/api/admin/layout/versions", None, ADMINS),
    ("GET", "/api/admin/users", None, ADMINS),
    ("POST", "/api/admin/users", {"username": "matrix-user", "display_name": "Matrix",
                                  "role": "staff", "password": "Matrix-pw-2026"}, ADMINS),
    ("PATCH", "/api/admin/users/{username}", {"active": False}, ADMINS),  # nobody-here: 404
    ("GET", "/api/admin/audit", None, ADMINS),
]
