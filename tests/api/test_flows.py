"""Ticket and window flows through the HTTP API, on the demo hall with a fake clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from support import SHANGHAI, FakeClock, login, take

from hallserver.services.views import IssueTicketRequest
from hallserver.store.models import TicketEventRow, TicketRow


def issue(client: TestClient, category: str = "A", **extra: object) -> dict:
    r = take(client, {"category": category, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def sign_in(client: TestClient, staff: str, window: int, role: str = "A") -> dict[str, str]:
    h = login(client, staff)
    r = client.post(f"/api/windows/{window}/sign-in", json={"role": role}, headers=h)
    assert r.status_code == 200, r.text
    return h


def act(client: TestClient, window: int, action: str, h: dict[str, str],
        body: dict | None = None, expect: int = 200) -> dict:
    r = client.post(f"/api/windows/{window}/{action}", json=body, headers=h)
    assert r.status_code == expect, r.text
    return r.json()


def test_full_lifecycle_with_masked_notes(client: TestClient, clock: FakeClock) -> None:
    t = issue(client, "A", item_code="QY-001")
    assert (t["number"], t["people_ahead"], t["item_code"]) == ("A001", 0, "QY-001")
    assert 1 in t["windows"]
    assert t["zone"]["name"]["zh"]
    h = sign_in(client, "10001", 1)
    clock.advance(minutes=4)
    called = act(client, 1, "call-next", h)
    assert called["called"]["number"] == "A001"
    assert all(word in called["reason"] for word in ("A001", "等待", "waited"))
    assert called["message"] == "请 A001 号到 1 号窗口办理"
    assert act(client, 1, "recall", h)["current"]["recalls"] == 1
    assert act(client, 1, "start", h)["current"]["state"] == "serving"
    clock.advance(minutes=12)
    done = act(client, 1, "complete", h,
               {"outcome": "accepted", "notes": "申请人 110101199003071234 电话 13812345678"})
    assert done["current"] is None
    status = client.get(t["status_path"].replace("/t/", "/api/tickets/public/")).json()
    assert status["state"] == "done"
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.read() as s:
        row = s.scalar(select(TicketRow).where(TicketRow.number == "A001"))
        notes, outcome, staff_id = row.notes, row.outcome, row.staff_id
        actions = [e.action for e in s.scalars(select(TicketEventRow).where(
            TicketEventRow.ticket_id == row.id).order_by(TicketEventRow.id))]
    assert "110101199003071234" not in notes and "13812345678" not in notes
    assert "110101********1234" in notes and "138****5678" in notes
    assert outcome == "accepted" and staff_id == "10001"
    assert actions == ["issue", "call", "recall", "start", "complete"]
    # the finished service fed the live estimate of the category
    assert services.ctx.estimator.mean("qiye") != pytest.approx(
        services.ctx.estimator.prior_minutes["qiye"])


def test_no_show_rejoins_at_the_back_within_grace(client: TestClient, clock: FakeClock) -> None:
    first = issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    act(client, 1, "no-show", h)
    status = client.get(f"/api/tickets/public/{first['public_token']}").json()
    assert status["state"] == "no_show" and status["may_rejoin_until"]
    clock.advance(minutes=2)
    second = issue(client, "A")
    clock.advance(minutes=2)
    r = client.post(f"/api/tickets/public/{first['public_token']}/rejoin")
    assert r.json()["state"] == "waiting"
    order = [e["number"] for e in client.get("/api/queues/A").json()]
    assert order == [second["number"], first["number"]]
    # a second no-show past the grace period cannot rejoin
    act(client, 1, "call-next", h)
    act(client, 1, "no-show", h)
    act(client, 1, "call-next", h)
    act(client, 1, "no-show", h)
    clock.advance(minutes=31)
    r = client.post(f"/api/tickets/public/{first['public_token']}/rejoin")
    assert r.status_code == 409 and r.json()["detail"]["code"] == "illegal_transition"


def test_transfer_keeps_the_original_issue_time(client: TestClient, clock: FakeClock) -> None:
    a = issue(client, "A")
    clock.advance(minutes=5)
    b = issue(client, "B")
    h1 = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h1)
    act(client, 1, "start", h1)
    act(client, 1, "transfer", h1, {"category": "B"})
    # A001 now waits in B's queue with its original issue time: ahead of the younger B001
    assert [e["number"] for e in client.get("/api/queues/B").json()] == [a["number"],
                                                                          b["number"]]
    primary_b = next(w for w in client.get("/api/windows").json() if w["primary"] ==
                     "budongchan")
    roster = client.get("/api/layout/staff", headers=login(client, "manager")).json()
    staff = next(s for s in roster if primary_b["number"] in s["role_a"])
    hb = sign_in(client, staff["id"], primary_b["number"])
    r = act(client, primary_b["number"], "call-next", hb)
    assert r["called"]["number"] == a["number"]
    assert r["called"]["waited_min"] >= 5


def test_transfer_to_a_window_reserves_the_ticket(client: TestClient) -> None:
    issue(client, "A")
    issue(client, "A")
    h1 = sign_in(client, "10001", 1)
    h3 = sign_in(client, "10003", 3)
    act(client, 1, "call-next", h1)
    act(client, 1, "transfer", h1, {"window": 2})
    r = act(client, 3, "call-next", h3)
    assert r["called"]["number"] == "A002"  # A001 is reserved for window 2
    act(client, 3, "no-show", h3)
    assert act(client, 3, "call-next", h3)["called"] is None
    h2 = sign_in(client, "10002", 2)
    r = act(client, 2, "call-next", h2)
    assert r["called"]["number"] == "A001"
    assert "转入本窗口" in r["reason"]
    act(client, 2, "start", h2)
    act(client, 2, "transfer", h2, {"window": 15, "category": "A"}, expect=422)


def test_priority_credit_is_bounded(client: TestClient, clock: FakeClock) -> None:
    layout = client.get("/api/layout").json()
    credit = layout["routing"]["priority_credit_min"]
    issue(client, "A")                      # A001 normal
    clock.advance(minutes=credit / 2)
    issue(client, "A", priority=True)       # A002 priority, younger by credit/2
    h = sign_in(client, "10001", 1)
    r = act(client, 1, "call-next", h)
    assert r["called"]["number"] == "A002" and "绿色通道" in r["reason"]
    act(client, 1, "no-show", h)
    # A001 has waited credit/2 so far; a priority ticket issued more than `credit` minutes
    # after A001 cannot overtake it: the credit is bounded.
    clock.advance(minutes=credit / 2 + 1)
    issue(client, "A", priority=True)       # A003
    clock.advance(minutes=3)
    r = act(client, 1, "call-next", h)
    assert r["called"]["number"] == "A001", r["reason"]
    assert "A003" in r["reason"]             # the runner-up is named


@pytest.mark.parametrize(("local", "code"), [
    (datetime(2026, 11, 23, 8, 0), "before_opening"),
    (datetime(2026, 11, 23, 16, 45), "issuing_closed"),
    (datetime(2026, 11, 22, 10, 0), "not_service_day"),   # Sunday
    (datetime(2026, 10, 1, 10, 0), "not_service_day"),    # National Day
])
def test_refusals_say_why(client: TestClient, clock: FakeClock, local: datetime,
                          code: str) -> None:
    clock.now = local.replace(tzinfo=SHANGHAI)
    r = take(client, {"category": "A"})
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert detail["code"] == code
    assert detail["message"] and detail["message_en"] and detail["message"] != detail["message_en"]


@pytest.mark.settings(rate_limit_issue="1000/minute")  # the desk issues the whole cap
def test_daily_cap_refuses_the_next_ticket(client: TestClient, clock: FakeClock) -> None:
    cap = next(c for c in client.get("/api/layout").json()["categories"]
               if c["prefix"] == "G")["daily_cap"]
    numbers = [issue(client, "G")["number"] for _ in range(cap)]
    assert numbers[-1] == f"G{cap:03d}"
    r = take(client, {"category": "G"})
    assert r.status_code == 409 and r.json()["detail"]["code"] == "daily_cap_reached"
    assert str(cap) in r.json()["detail"]["message"]
    clock.advance(days=1)  # Tuesday: numbering restarts
    assert issue(client, "G")["number"] == "G001"


def test_idempotency_key(client: TestClient) -> None:
    h = {"Idempotency-Key": "kiosk-1-000042"}
    first = take(client, {"category": "C"}, headers=h)
    again = take(client, {"category": "C"}, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"] and again.json()["replayed"]
    other = take(client, {"category": "D"}, headers=h)
    assert other.status_code == 422
    assert other.json()["detail"]["code"] == "idempotency_key_reused"
    assert take(client, {"category": "C"},
                       headers={"Idempotency-Key": "short"}).status_code == 422
    assert [q["waiting"] for q in client.get("/api/queues").json() if q["prefix"] == "C"] == [1]


def test_public_windows_carry_no_case_link(client: TestClient) -> None:
    """A window's last case links to the case's page (/c/<token>): staff see it, anonymous
    GET /api/windows (the hall's public view) does not."""
    issue(client, "A", item_code="QY-003")
    staff = sign_in(client, "10001", 1)
    for step, body in (("call-next", None), ("start", None),
                       ("complete", {"outcome": "accepted"})):
        r = client.post(f"/api/windows/1/{step}", json=body, headers=staff)
        assert r.status_code == 200, r.text
    mine = client.get("/api/windows/1", headers=staff).json()["last_case"]
    assert mine is not None and mine["public_path"].startswith("/c/")
    public = client.get("/api/windows")
    assert [w["last_case"] for w in public.json()] == [None] * len(public.json())
    assert client.get("/api/windows/1").json()["last_case"] is None
    assert mine["public_path"] not in public.text and mine["case_no"] not in public.text


def test_an_http_key_never_finds_a_devices_ticket(client: TestClient) -> None:
    """The device bus keys its tickets `mqtt:<device>:<request id>`; an HTTP caller sending
    that as its Idempotency-Key gets a ticket of its own, not the kiosk's (nor its token)."""
    services = client.app.state.services  # type: ignore[attr-defined]
    kiosks = services.tickets.issue(IssueTicketRequest(category="C"), channel="kiosk",
                                    idempotency_key="mqtt:kiosk-a1:req-0001")
    r = take(client, {"category": "C"},
                    headers={"Idempotency-Key": "mqtt:kiosk-a1:req-0001"})
    assert r.status_code == 201, r.text
    assert not r.json()["replayed"]
    assert r.json()["number"] != kiosks.number
    assert r.json()["public_token"] != kiosks.public_token
    again = take(client, {"category": "C"},
                        headers={"Idempotency-Key": "mqtt:kiosk-a1:req-0001"})
    assert again.status_code == 200 and again.json()["number"] == r.json()["number"]
    # A header of the longest allowed length still fits beside its namespace.
    long_key = "k" * 128
    assert take(client, {"category": "C"},
                       headers={"Idempotency-Key": long_key}).status_code == 201
    assert take(client, {"category": "C"},
                       headers={"Idempotency-Key": long_key}).status_code == 200


def test_bad_requests(client: TestClient) -> None:
    assert take(client, {"category": "Z"}).status_code == 404
    r = take(client, {"category": "A", "item_code": "BDC-001"})
    assert r.status_code == 422 and r.json()["detail"]["code"] == "invalid_request"
    r = take(client, {"item_code": "BDC-001"})
    assert r.status_code == 201 and r.json()["number"].startswith("B")
    assert take(client, {}).status_code == 422
    # unknown fields are refused, and the error body never echoes submitted values
    r = take(client, {"category": "A", "phone": "13812345678",
                                          "id_card": "110101199003071234"})
    assert r.status_code == 422
    assert "13812345678" not in r.text and "110101199003071234" not in r.text
    assert client.get("/api/windows/99").status_code == 404


def test_window_states_flags_and_one_window_per_person(client: TestClient,
                                                       clock: FakeClock) -> None:
    windows = client.get("/api/windows").json()
    assert all("unstaffed" in w["flags"] for w in windows)  # opening hours, nobody in
    h4 = sign_in(client, "10004", 4)        # 10004: A at 4, B at 1
    r = client.post("/api/windows/1/sign-in", json={"role": "B"}, headers=h4)
    assert r.status_code == 409
    h1 = sign_in(client, "10001", 1)
    assert act(client, 1, "pause", h1, {"reason": "系统故障"})["status"] == "paused"
    act(client, 1, "pause", h1, {"reason": "  "}, expect=422)
    act(client, 1, "call-next", h1, expect=409)
    assert act(client, 1, "resume", h1)["status"] == "open"
    assert act(client, 1, "away", h1)["status"] == "away"
    assert act(client, 1, "resume", h1)["status"] == "open"
    flags = {w["number"]: w["flags"] for w in client.get("/api/windows").json()}
    assert flags[1] == [] and flags[4] == [] and flags[2] == ["unstaffed"]
    clock.now = datetime(2026, 11, 23, 20, 0, tzinfo=SHANGHAI)
    assert all(w["flags"] == [] for w in client.get("/api/windows").json())


def test_sign_out_returns_a_called_ticket_to_its_place(client: TestClient) -> None:
    issue(client, "A")
    issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    assert act(client, 1, "sign-out", h)["status"] == "closed"
    assert [e["number"] for e in client.get("/api/queues/A").json()] == ["A001", "A002"]
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    act(client, 1, "start", h)
    act(client, 1, "sign-out", h, expect=409)  # serving: finish first


def test_eta_uses_staffed_windows(client: TestClient) -> None:
    first = issue(client, "A")
    assert first["predicted_wait_min"] == 0
    unstaffed = [issue(client, "A") for _ in range(3)][-1]
    sign_in(client, "10001", 1)
    sign_in(client, "10002", 2)
    staffed = issue(client, "A")
    assert unstaffed["people_ahead"] == 3 and staffed["people_ahead"] == 4
    assert staffed["predicted_wait_min"] > 0
    q = next(q for q in client.get("/api/queues").json() if q["prefix"] == "A")
    assert q["waiting"] == 5 and q["open_windows"] == [1, 2] and q["issued_today"] == 5
    status = client.get(f"/api/tickets/public/{staffed['public_token']}").json()
    assert status["people_ahead"] == 4 and not status["about_to_be_called"]


def test_openapi_and_health(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/tickets" in paths and "/api/windows/{number}/call-next" in paths
    assert client.get("/healthz").json()["status"] == "ok"


def test_public_windows_carry_the_pause_code_not_the_staff_words(client: TestClient) -> None:
    staff = sign_in(client, "10001", 1)
    r = client.post("/api/windows/1/pause", headers=staff,
                    json={"reason": "会议或培训：10:30 回来", "code": "meeting"})
    assert r.status_code == 200, r.text
    public = client.get("/api/windows/1").json()
    assert (public["status"], public["pause_reason"], public["pause_code"]) == \
        ("paused", None, "meeting")
    assert "10:30" not in client.get("/api/windows").text
    assert client.get("/api/windows/1", headers=staff).json()["pause_reason"] == \
        "会议或培训：10:30 回来"
    r = client.post("/api/windows/1/pause", headers=staff, json={"reason": "x", "code": "nap"})
    assert r.status_code == 422  # not a code
