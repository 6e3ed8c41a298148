"""Abuse at the edges: password guessing, hoarding numbers, floods (issue #16 items 1, 6)."""

from __future__ import annotations

import asyncio
import base64
import logging
import sys
import threading
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from support import PASSWORD, FakeClock, login, take

from devices.protocol.topics import DeviceType
from hallserver.api.device_auth import DeviceCredentials
from hallserver.domain.privacy import MaskingFormatter
from hallserver.domain.throttle import Backoff
from hallserver.services.live import TooManyStreams
from hallserver.settings import Settings
from hallserver.store.models import TicketRow

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


# ---- hoarding numbers (号源) --------------------------------------------------------------


def basic(device_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{device_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_anonymous_callers_take_no_numbers(client: TestClient) -> None:
    statuses = Counter(client.post("/api/tickets", json={"category": "A"}).status_code
                       for _ in range(1000))
    # The figure issue #16 asks for: anonymous tickets issued out of 1,000 tries.
    print(f"anonymous ticket requests: {dict(statuses)}")
    assert statuses[201] == 0
    assert statuses[401] == 60 and statuses[429] == 940  # 60/minute from one address
    r = client.post("/api/tickets", json={"category": "A"})
    assert r.status_code == 429 and r.json()["detail"]["code"] == "rate_limited"
    assert "请求过于频繁" in r.json()["detail"]["message"] and int(r.headers["retry-after"]) > 0
    assert client.get("/api/queues/A").json() == []  # and nothing waits


def test_the_first_refusal_says_where_numbers_come_from(client: TestClient) -> None:
    r = client.post("/api/tickets", json={"category": "A", "priority": True})
    assert r.status_code == 401
    assert r.json()["detail"] == {
        "code": "login_required", "message": "请在大厅取号机或服务台取号",
        "message_en": "numbers are issued by the hall's kiosks and staff: sign in, or send a "
                      "kiosk's device credential"}
    assert "Basic" in r.headers["www-authenticate"]


def test_staff_and_a_kiosk_credential_issue_with_their_channel(client: TestClient) -> None:
    client.app.state.device_credentials = DeviceCredentials([  # type: ignore[attr-defined]
        ("kiosk-a1", DeviceType.KIOSK, "kiosk-secret-1"),
        ("pad-w1", DeviceType.PAD, "pad-secret-1"),
    ])
    by_kiosk = client.post("/api/tickets", json={"category": "A", "priority": True},
                           headers=basic("kiosk-a1", "kiosk-secret-1"))
    assert by_kiosk.status_code == 201, by_kiosk.text
    assert by_kiosk.json()["priority"] is True  # the kiosk's 绿色通道 choice
    at_desk = take(client, {"category": "A", "priority": True})
    assert at_desk.status_code == 201 and at_desk.json()["priority"] is True
    refused = [
        basic("kiosk-a1", "wrong"), basic("pad-w1", "pad-secret-1"),  # a pad takes no numbers
        basic("nobody", "kiosk-secret-1"), {"Authorization": "Basic %%%"},
        {"Authorization": "Bearer not-a-session"},
    ]
    for headers in refused:
        r = client.post("/api/tickets", json={"category": "A"}, headers=headers)
        assert r.status_code == 401, headers
    with client.app.state.services.ctx.db.read() as session:  # type: ignore[attr-defined]
        channels = dict(session.execute(select(TicketRow.number, TicketRow.channel)).all())
    assert channels == {by_kiosk.json()["number"]: "kiosk", at_desk.json()["number"]: "http"}


@pytest.mark.settings(rate_limit_issue="5/hour")
def test_each_issuer_has_its_own_limit(client: TestClient) -> None:
    assert [take(client).status_code for _ in range(6)] == [201] * 5 + [429]
    r = take(client)
    assert r.json()["detail"]["code"] == "rate_limited"
    assert 0 < int(r.headers["retry-after"]) <= 3600
    other = login(client, "admin")  # another login is another issuer
    assert client.post("/api/tickets", json={"category": "A"}, headers=other).status_code == 201


@pytest.mark.settings(rate_limit_anonymous_reads="10/hour")
def test_anonymous_reads_are_limited_per_address(client: TestClient) -> None:
    assert [client.get("/api/queues/A").status_code for _ in range(11)] == [200] * 10 + [429]
    assert client.get("/static/common.css").status_code == 200  # files are not counted
    staff = login(client, "10001")  # a session has its own, larger bucket
    assert client.get("/api/queues/A", headers=staff).status_code == 200


def test_a_bad_limit_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="not a rate limit: 'often'"):
        Settings(rate_limit_issue="often")


# ---- personal data echoed outside the masked paths (item 10) ----------------------------


def test_a_number_in_a_path_or_a_layout_key_is_not_echoed(client: TestClient) -> None:
    admin = login(client, "admin")
    r = client.get(f"/window/{PHONE}", headers=admin)
    assert r.status_code == 422 and PHONE not in r.text
    current = client.get("/api/admin/layout", headers=admin).json()
    document = {**current["document"], PHONE: "x", "hall": {
        **current["document"]["hall"], "138-1234-5678": 1}}
    r = client.put("/api/admin/layout", headers=admin,
                   json={"version": current["version"], "document": document})
    assert r.status_code == 422
    assert PHONE not in r.text and "138-1234-5678" not in r.text
    assert "138****5678" in r.text  # named, masked


def test_admin_entered_names_reach_the_trail_and_the_log_masked(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    admin = login(client, "admin")
    with caplog.at_level(logging.INFO):
        r = client.post("/api/admin/users", headers=admin, json={
            "username": "clerk9", "display_name": f"王五 {PHONE}", "role": "staff",
            "password": "a-long-password-1"})
        assert r.status_code == 201, r.text
        r = client.patch("/api/admin/users/clerk9", headers=admin,
                         json={"display_name": "王五 138 1234 5678"})
        assert r.status_code == 200, r.text
    trail = client.get("/api/admin/audit", headers=admin).text
    for text in (caplog.text, trail):
        assert PHONE not in text and "1234 5678" not in text


def test_log_lines_are_masked_whole_tracebacks_included() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "caller %s said %s", (
        "138 1234 5678", "身份证110101199003071234"), None)
    try:
        raise ValueError(f"bad number {PHONE}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = MaskingFormatter("%(message)s").format(record)
    assert "caller 138****5678 said 身份证110101********1234" in line
    assert "bad number 138****5678" in line and PHONE not in line


# ---- sessions (item 14) --------------------------------------------------------------------


def test_a_session_ends_after_30_minutes_without_a_request(client: TestClient,
                                                          clock: FakeClock) -> None:
    headers = login(client, "manager")

    def me() -> int:
        return client.get("/api/auth/me", headers=headers).status_code

    clock.advance(minutes=29)
    assert me() == 200
    clock.advance(minutes=29)
    assert me() == 200  # the request 29 minutes ago kept it alive
    clock.advance(minutes=30)
    assert me() == 401
    headers = login(client, "manager")
    statuses = []
    for _ in range(26):  # busy all day: the 12 hours since the login still end it
        clock.advance(minutes=29)
        statuses.append(me())
    assert statuses == [200] * 24 + [401] * 2  # 24 x 29 min = 11.6 h; 25 x 29 min = 12.1 h


# ---- live streams (item 3) -----------------------------------------------------------------


def test_an_event_reaches_every_stream_with_one_hand_over(make_services: Any,
                                                           sqlite_url: str) -> None:
    # The committing thread hands an event to the event loop once, however many streams are
    # open (1,000 idle streams made every ticket 45x slower when it did so per stream).
    hub = make_services(sqlite_url).live

    async def main() -> None:
        loop = asyncio.get_running_loop()
        hand_overs = 0
        original = loop.call_soon_threadsafe

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal hand_overs
            hand_overs += 1
            return original(*args, **kwargs)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        streams = [hub.stream(source=f"10.0.0.{i % 50}") for i in range(300)]
        assert [(await anext(s)).name for s in streams] == ["hello"] * 300
        committer = threading.Thread(target=hub.publish, args=("change", {"kind": "issue"}))
        committer.start()  # a commit on another thread, as a request's would be
        committer.join()
        got = [await anext(s) for s in streams]
        assert hand_overs == 1
        assert [e.data for e in got] == [{"kind": "issue"}] * 300
        hub.max_per_source = 6
        with pytest.raises(TooManyStreams):
            hub.admit("10.0.0.1")  # six open from there already
        for s in streams:
            await s.aclose()
        assert hub.subscribers == 0
        hub.admit("10.0.0.1")

    asyncio.run(main())
