"""Appointments (book, check in, cancel) and cases opened on 受理, through the HTTP API."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from support import SHANGHAI, FakeClock, login, take

from hallserver.bus.dispatch import receipt_document
from hallserver.domain.appointments import sign_code
from hallserver.services.appointments import KEY_NAME, hall_key
from hallserver.store.models import CaseEventRow, CaseRow


def book(client: TestClient, h: dict[str, str], start: datetime, minutes: int = 30,
         **extra: object) -> dict:
    r = client.post("/api/appointments", headers=h, json={
        "category": "A", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=minutes)).isoformat(), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def check_in(client: TestClient, h: dict[str, str], code: str, expect: int = 200) -> dict:
    r = client.post("/api/appointments/check-in", headers=h, json={"code": code})
    assert r.status_code == expect, r.text
    return r.json()


def test_check_in_issues_one_ticket_with_the_slot(client: TestClient, clock: FakeClock) -> None:
    manager, desk = login(client, "manager"), login(client, "10001")
    slot = clock() + timedelta(minutes=20)
    booked = book(client, manager, slot, item_code="QY-001")
    assert booked["state"] == "booked"
    first = check_in(client, desk, booked["code"].lower().replace("-", " "))
    assert first["number"].startswith("A")
    assert first["item_code"] == "QY-001"
    assert datetime.fromisoformat(first["appointment_at"]) == slot
    assert first["replayed"] is False
    again = check_in(client, desk, booked["code"])
    assert (again["number"], again["replayed"]) == (first["number"], True)
    queue = client.get("/api/queues/A").json()
    assert [(e["number"], e["appointment"]) for e in queue] == [(first["number"], True)]
    assert client.get(f"/api/appointments/{booked['id']}", headers=manager).json()[
        "state"] == "checked_in"


def test_refusals_name_the_reason(client: TestClient, clock: FakeClock) -> None:
    manager, desk = login(client, "manager"), login(client, "10001")
    early = book(client, manager, clock() + timedelta(hours=3))
    body = check_in(client, desk, early["code"], expect=409)
    assert body["detail"]["code"] == "appointment_too_early"
    assert "签到" in body["detail"]["message"]
    cancelled = book(client, manager, clock())
    r = client.post(f"/api/appointments/{cancelled['id']}/cancel", headers=manager)
    assert r.json()["state"] == "cancelled"
    assert check_in(client, desk, cancelled["code"], 409)["detail"]["code"] == \
        "appointment_cancelled"
    past = book(client, manager, clock())
    clock.advance(hours=2)  # the slot ended 90 min ago, its 30 min of grace 60 min ago
    desk = login(client, "10001")  # two idle hours ended the desk's session
    assert check_in(client, desk, past["code"], 409)["detail"]["code"] == "appointment_expired"
    assert check_in(client, desk, "0000-0000-0000-0000", 409)["detail"]["code"] == \
        "appointment_invalid"
    assert check_in(client, desk, "not a code", 422)["detail"]["code"] == "invalid_request"
    assert client.get("/api/queues/A").json() == []


def test_a_code_signed_for_another_row_expiry_is_refused(client: TestClient,
                                                         clock: FakeClock) -> None:
    # Correctly signed with the hall's key, but for an expiry the row does not have.
    manager, desk = login(client, "manager"), login(client, "10001")
    booked = book(client, manager, clock())
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.write() as s:
        key = hall_key(s, "demo", KEY_NAME, clock())
    forged = sign_code(key, "demo", booked["id"], clock() + timedelta(days=30))
    assert check_in(client, desk, forged, 409)["detail"]["code"] == "appointment_invalid"


def test_list_day_and_unknown(client: TestClient, clock: FakeClock) -> None:
    manager = login(client, "manager")
    ids = {book(client, manager, clock() + timedelta(minutes=30 * i))["id"] for i in range(3)}
    day = clock().replace(hour=0, minute=0)
    r = client.get("/api/appointments", headers=manager,
                   params={"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()})
    assert {b["id"] for b in r.json()} == ids
    assert client.get("/api/appointments/999", headers=manager).status_code == 404


def test_accepted_completion_opens_a_case_due_in_working_days(client: TestClient,
                                                               clock: FakeClock) -> None:
    t = take(client, {"category": "A", "item_code": "QY-008"}).json()
    h = login(client, "10001")
    client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=h)
    for action in ("call-next", "start"):
        assert client.post(f"/api/windows/1/{action}", headers=h).status_code == 200
    r = client.post("/api/windows/1/complete", headers=h, json={"outcome": "accepted"})
    assert r.status_code == 200, r.text
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.read() as s:
        case = s.scalars(select(CaseRow)).one()
        token, case_no = case.public_token, case.case_no
        actions = [e.action for e in s.scalars(select(CaseEventRow))]
    assert case_no == "DEMO-20261123-0001"
    assert actions == ["accept"]
    status = client.get(f"/api/cases/public/{token}").json()
    # Monday 23 Nov + 3 working days = Thursday 26 Nov, at closing time.
    assert datetime.fromisoformat(status["promised_by"]) == datetime(2026, 11, 26, 17, 0,
                                                                      tzinfo=SHANGHAI)
    assert status["working_days_left"] == 3
    assert status["window"] == 1
    assert status["status_name"]["zh"] == "已受理"
    assert "public_token" not in status
    assert t["number"] == "A001"
    assert client.get("/api/cases/public/nope-nope-nope").status_code == 404


def test_a_deadline_reaching_an_unannounced_year_is_provisional(client: TestClient,
                                                                 clock: FakeClock) -> None:
    """Tuesday 2026-12-29 + 3 working days: 12-30, 12-31, then 元旦 (a statutory day of
    2027, whose notice the shipped calendar lacks) is skipped: Monday 2027-01-04, 暂定."""
    clock.now = datetime(2026, 12, 29, 9, 30, tzinfo=SHANGHAI)
    take(client, {"category": "A", "item_code": "QY-008"})
    h = login(client, "10001")
    client.post("/api/windows/1/sign-in", json={"role": "A"}, headers=h)
    for action in ("call-next", "start"):
        assert client.post(f"/api/windows/1/{action}", headers=h).status_code == 200
    assert client.post("/api/windows/1/complete", headers=h,
                       json={"outcome": "accepted"}).status_code == 200
    services = client.app.state.services  # type: ignore[attr-defined]
    with services.ctx.db.read() as s:
        token = s.scalars(select(CaseRow)).one().public_token
    snap = services.cases.by_token(token)
    assert snap.promised_by == datetime(2027, 1, 4, 17, 0, tzinfo=SHANGHAI)
    assert snap.provisional
    assert receipt_document(snap, None).promised_provisional
    page = client.get(f"/c/{token}").text
    assert "2027-01-04" in page and "暂定：2027年节假日安排尚未公布" in page
