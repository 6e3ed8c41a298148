"""Abuse at the edges: password guessing, hoarding numbers, floods (issue #16 items 1, 6)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from support import PASSWORD, FakeClock, login

from hallserver.domain.throttle import Backoff

PHONE = "13812345678"


def try_login(client: TestClient, username: str, password: str = "wrong-password") -> int:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    return r.status_code


def test_backoff_doubles_from_the_first_lock_to_the_longest() -> None:
    b = Backoff(free=3)
    assert [b.lock_after(n).total_seconds() for n in range(1, 11)] == \
        [0, 0, 0, 30, 60, 120, 240, 480, 900, 900]


def test_wrong_passwords_lock_the_account_for_a_growing_time(
        client: TestClient, clock: FakeClock) -> None:
    assert [try_login(client, "manager") for _ in range(5)] == [401] * 5
    r = client.post("/api/auth/login", json={"username": "manager", "password": "wrong"})
    assert r.status_code == 401  # the sixth failure starts the lock
    r = client.post("/api/auth/login", json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 429  # the right password too: nothing is tried while locked
    body = r.json()["detail"]
    assert body["code"] == "login_locked"
    assert "30 秒" in body["message"] and "30 s" in body["message_en"]
    assert r.headers["retry-after"] == "30"
    clock.advance(seconds=29)
    assert try_login(client, "manager", PASSWORD) == 429
    clock.advance(seconds=1)
    assert try_login(client, "manager") == 401  # the seventh: a 60 s lock
    clock.advance(seconds=59)
    r = client.post("/api/auth/login", json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    clock.advance(seconds=1)
    assert try_login(client, "manager", PASSWORD) == 200
    # A success starts the account afresh: five free tries again.
    assert [try_login(client, "manager") for _ in range(6)] == [401] * 6
    assert try_login(client, "manager", PASSWORD) == 429


def test_an_account_lock_leaves_other_accounts_alone(client: TestClient) -> None:
    for _ in range(6):
        try_login(client, "admin")
    assert try_login(client, "admin", PASSWORD) == 429
    assert try_login(client, "manager", PASSWORD) == 200


def test_one_address_guessing_many_accounts_is_locked(client: TestClient,
                                                       clock: FakeClock) -> None:
    statuses = [try_login(client, f"guess{i}") for i in range(21)]
    assert statuses == [401] * 21  # 20 free, the 21st starts the lock
    assert try_login(client, "manager", PASSWORD) == 429  # the address is locked
    clock.advance(seconds=30)
    assert try_login(client, "manager", PASSWORD) == 200


def test_failures_are_logged_masked_and_shown_to_admins(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        for _ in range(6):
            try_login(client, PHONE)  # someone typed a phone number as the username
    assert PHONE not in caplog.text
    assert "login failed: 138****5678" in caplog.text
    headers = login(client, "admin")
    entries = client.get("/api/admin/audit", headers=headers).json()
    failed = [e for e in entries if e["action"] == "login.failed"]
    assert len(failed) == 6
    assert {e["actor"] for e in failed} == {"138****5678"}
    assert failed[0]["target"] == "testclient"  # the address (TestClient's)
    assert failed[0]["detail"] == "连续 6 次 / 6 in a row; 锁定 30 秒 / locked 30 s"
    assert failed[-1]["detail"] == "连续 1 次 / 1 in a row"
    assert PHONE not in client.get("/api/admin/audit", headers=headers).text
