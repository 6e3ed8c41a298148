"""Role x endpoint matrix: anonymous and wrong-role calls get 401/403, never a 500."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from authz import (
    LOGGED_IN,
    MANAGERS,
    OPERATOR,
    OPERATOR_OR_MANAGER,
    PUBLIC,
    ROLES,
    SIGN_IN,
    Row,
)
from fastapi.testclient import TestClient
from support import DEMO_CONFIG, MONDAY_MORNING, FakeClock, login, seed_users, take

from hallserver.app import create_app
from hallserver.settings import Settings

# (method, path template, body, expectation per role). Every route of the app has a row.
MATRIX: list[Row] = [
    ("GET", "/healthz", None, PUBLIC),
    ("POST", "/api/auth/login", {"username": "nobody", "password": "x"},
     dict.fromkeys(ROLES, 401)),
    ("POST", "/api/auth/logout", None, PUBLIC),
    ("GET", "/api/auth/me", None, LOGGED_IN),
    ("POST", "/api/tickets", {"category": "A"}, LOGGED_IN),
    ("GET", "/api/tickets/public/{token}", None, PUBLIC),
    ("POST", "/api/tickets/public/{token}/rejoin", None, PUBLIC),
    ("POST", "/api/tickets/public/{token}/cancel", None, PUBLIC),
    ("GET", "/api/queues", None, PUBLIC),
    ("GET", "/api/queues/{category}", None, PUBLIC),
    ("GET", "/api/layout", None, PUBLIC),
    ("GET", "/api/layout/items/{code}", None, PUBLIC),
    ("GET", "/api/layout/staff", None, MANAGERS),
    ("GET", "/api/windows", None, PUBLIC),
    ("GET", "/api/windows/{number}", None, PUBLIC),
    ("POST", "/api/windows/{number}/sign-in", {"role": "A"}, SIGN_IN),
    ("POST", "/api/windows/{number}/sign-out", None, OPERATOR_OR_MANAGER),
    ("POST", "/api/windows/{number}/call-next", None, OPERATOR),
    ("POST", "/api/windows/{number}/recall", None, OPERATOR),
    ("POST", "/api/windows/{number}/start", None, OPERATOR),
    ("POST", "/api/windows/{number}/complete", {"outcome": "completed"}, OPERATOR),
    ("POST", "/api/windows/{number}/no-show", None, OPERATOR),
    ("POST", "/api/windows/{number}/transfer", {"category": "B"}, OPERATOR),
    ("POST", "/api/windows/{number}/pause", {"reason": "meeting"}, OPERATOR_OR_MANAGER),
    ("POST", "/api/windows/{number}/away", None, OPERATOR),
    ("POST", "/api/windows/{number}/resume", None, OPERATOR_OR_MANAGER),
    ("GET", "/api/devices", None, MANAGERS),
    ("GET", "/api/devices/{device_id}", None, MANAGERS),
    ("GET", "/api/bus", None, MANAGERS),
    ("GET", "/api/helper-requests", None, {**LOGGED_IN}),
    ("POST", "/api/helper-requests/{request_id}/answer", None, {**LOGGED_IN}),
    ("POST", "/api/appointments", {"category": "A", "slot_start": "2026-11-23T10:00:00+08:00",
                                   "slot_end": "2026-11-23T10:30:00+08:00"}, MANAGERS),
    ("GET", "/api/appointments?start=2026-11-23T00:00:00%2B08:00&end=2026-11-24T00:00:00%2B08:00",
     None, MANAGERS),
    ("GET", "/api/appointments/{appointment_id}", None, MANAGERS),
    ("POST", "/api/appointments/{appointment_id}/cancel", None, MANAGERS),
    ("POST", "/api/appointments/check-in", {"code": "0000-0000-0000-0000"}, LOGGED_IN),
    ("GET", "/api/cases/public/{token}", None, PUBLIC),
    ("POST", "/api/cases/{case_no}/print-receipt", None, LOGGED_IN),
    ("GET", "/api/ratings", None, MANAGERS),
    ("GET", "/api/ratings/summary?day_from=2026-11-01&day_to=2026-11-30", None, MANAGERS),
    ("GET", "/api/ratings/reviews", None, MANAGERS),
    ("POST", "/api/ratings/reviews/{review_id}/resolve", {"resolution": "ok"}, MANAGERS),
    ("POST", "/api/ratings/apply-defaults", None, MANAGERS),
    ("GET", "/api/followups", None, MANAGERS),
    ("GET", "/api/followups/{case_no}", None, MANAGERS),
    ("POST", "/api/followups/{case_no}/actions", {"action": "callback", "note": "x",
                                                   "citizen_answer": "satisfied"}, MANAGERS),
    ("GET", "/api/alerts", None, MANAGERS),
    ("POST", "/api/alerts/{alert_id}/ack", None, MANAGERS),
    ("GET", "/api/staff/{staff_id}/photo", None, PUBLIC),
]


def _feature_rows() -> list[Row]:
    """Rows from every `authz_rows_*.py` beside this file (one per feature)."""
    rows: list[Row] = []
    for path in sorted(Path(__file__).parent.glob("authz_rows_*.py")):
        rows.extend(importlib.import_module(path.stem).ROWS)
    return rows


MATRIX += _feature_rows()
USERNAMES = {"staff_here": "10001", "staff_other": "10002", "manager": "manager",
             "admin": "admin"}
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix')}/hall.db"
    app = create_app(Settings(config=DEMO_CONFIG, database_url=url, bus=False), clock=FakeClock(
        MONDAY_MORNING))
    seed_users(app.state.services)
    with TestClient(app) as client:
        headers = {
            "anonymous": {},
            # 10001 is role A at window 1; 10002 is role A at window 2, not allowed at 1.
            **{role: login(client, name) for role, name in USERNAMES.items()},
        }
        token = take(client).json()["public_token"]
        yield app, client, headers, token


def test_every_route_is_in_the_matrix(env) -> None:
    app = env[0]
    # From the OpenAPI document: newer FastAPI keeps included routers as opaque entries in
    # app.routes, so walking APIRoute objects finds nothing (the check passed vacuously).
    routes = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert len(routes) >= len(MATRIX) - 1, sorted(routes)
    listed = {(m, p.split("?")[0]) for m, p, _, _ in MATRIX}
    missing = {(m, p) for m, p in routes if p not in DOC_ROUTES} - listed
    assert not missing, f"add these routes to the auth matrix: {sorted(missing)}"


# Event streams never end, so TestClient cannot call them: tests/web/test_live.py does, over a
# real server. They are listed (every route has a row) with "stream" for every role.
CASES = [(m, p, b, role, exp[role]) for m, p, b, exp in MATRIX for role in ROLES
         if exp[role] != "stream"]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES,
                         ids=[f"{c[0]} {c[1]} as {c[3]}" for c in CASES])
def test_auth_matrix(env, method, path, body, role, expected) -> None:
    _app, client, headers, token = env
    client.cookies.clear()
    # The operator is signed in at window 1 before every case (a manager may sign them out).
    client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=headers["staff_here"])
    url = path.format(token=token, category="A", code="QY-001", number=1,
                      device_id="kiosk-a1", request_id=1, appointment_id=1, case_no="X-1",
                      review_id=1, alert_id=1, staff_id="10001",
                      username="nobody-here")
    used = headers[role]
    if path == "/api/auth/logout" and role != "anonymous":
        used = login(client, USERNAMES[role])  # a disposable session: logout revokes it
    r = client.request(method, url, json=body, headers=used)
    assert r.status_code < 500, r.text
    if expected == "allow":
        assert r.status_code not in (401, 403), r.text
    else:
        assert r.status_code == expected, r.text
        assert r.json()["detail"]["code"] in {"login_required", "forbidden", "not_allowed",
                                              "login_failed"}
