"""Who may call what: the role columns of the auth matrix (tests/api/test_auth_matrix.py).

Feature rows live in `tests/api/authz_rows_*.py` files, each defining
`ROWS: list[tuple[method, path template, body, expectation per role]]`; the matrix test
loads every such file, so a new route is listed beside the feature that adds it.
"""

from __future__ import annotations

ROLES = ("anonymous", "staff_here", "staff_other", "manager", "admin")
PUBLIC = dict.fromkeys(ROLES, "allow")
LOGGED_IN = {**PUBLIC, "anonymous": 401}
MANAGERS = {"anonymous": 401, "staff_here": 403, "staff_other": 403,
            "manager": "allow", "admin": "allow"}
OPERATOR = {"anonymous": 401, "staff_here": "allow", "staff_other": 403,
            "manager": 403, "admin": 403}
OPERATOR_OR_MANAGER = {**OPERATOR, "manager": "allow", "admin": "allow"}
SIGN_IN = {**OPERATOR, "staff_here": "allow"}

Row = tuple[str, str, dict[str, object] | None, dict[str, object]]
