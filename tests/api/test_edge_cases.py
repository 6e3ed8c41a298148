"""Edge cases found in review: each once left a window stuck, a queue wrong or data exposed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from support import FakeClock, login, take
from test_flows import act, issue, sign_in

ID_CARD = "110101199003071234"
PHONE = "13812345678"


def test_citizen_cannot_cancel_a_called_ticket_and_jam_the_window(client: TestClient) -> None:
    t = issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    r = client.post(f"/api/tickets/public/{t['public_token']}/cancel")
    assert r.status_code == 409
    act(client, 1, "no-show", h)   # the window still owns it and moves on
    waiting = issue(client, "A")
    r = client.post(f"/api/tickets/public/{waiting['public_token']}/cancel")
    assert r.json()["state"] == "cancelled"
    assert act(client, 1, "call-next", h)["called"] is None


def test_a_window_whose_ticket_left_by_another_path_is_freed(client: TestClient) -> None:
    issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    services = client.app.state.services  # type: ignore[attr-defined]
    # simulate a ticket closed behind the window's back (e.g. an operator fixing data)
    from sqlalchemy import update  # noqa: PLC0415

    from hallserver.store.models import TicketRow  # noqa: PLC0415
    with services.ctx.db.write() as s:
        s.execute(update(TicketRow).values(state="cancelled"))
    issue(client, "A")
    assert act(client, 1, "call-next", h)["called"]["number"] == "A002"


def test_yesterdays_tickets_do_not_reach_todays_queue(client: TestClient,
                                                      clock: FakeClock) -> None:
    issue(client, "A")
    clock.advance(days=1)
    today = issue(client, "A")
    assert today["number"] == "A001"
    assert today["people_ahead"] == 0
    assert [e["number"] for e in client.get("/api/queues/A").json()] == ["A001"]
    h = sign_in(client, "10001", 1)
    called = act(client, 1, "call-next", h)["called"]
    assert called["waited_min"] < 1  # today's A001, not yesterday's


def test_reservation_is_released_when_its_window_signs_out(client: TestClient) -> None:
    issue(client, "A")
    h1 = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h1)
    act(client, 1, "transfer", h1, {"window": 2})
    h2 = sign_in(client, "10002", 2)
    act(client, 2, "sign-out", h2)
    assert act(client, 1, "call-next", h1)["called"]["number"] == "A001"


def test_empty_transfer_category_is_a_422_not_a_500(client: TestClient) -> None:
    issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    act(client, 1, "transfer", h, {"category": ""}, expect=422)
    act(client, 1, "transfer", h, {"category": "   "}, expect=422)
    assert take(client, {"category": ""}).status_code == 422


def test_error_bodies_mask_personal_data_typed_into_any_field(client: TestClient) -> None:
    responses = [
        take(client, {"item_code": ID_CARD}),
        take(client, {"category": PHONE}),
        client.get(f"/api/queues/{ID_CARD}"),
        client.get(f"/api/layout/items/{ID_CARD}"),
        take(client, {"category": "A", PHONE: 1}),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404, 422]
    for r in responses:
        assert ID_CARD not in r.text
        assert PHONE not in r.text
    assert "110101********1234" in responses[0].text


def test_manager_can_clear_a_window_left_serving(client: TestClient, clock: FakeClock) -> None:
    t = issue(client, "A")
    h = sign_in(client, "10001", 1)
    act(client, 1, "call-next", h)
    act(client, 1, "start", h)
    act(client, 1, "sign-out", h, expect=409)
    clock.advance(minutes=5)
    assert act(client, 1, "sign-out", login(client, "manager"))["status"] == "closed"
    entries = client.get("/api/queues/A").json()
    assert [e["number"] for e in entries] == [t["number"]]
    assert entries[0]["waited_min"] >= 5  # back with its original issue time


def test_recall_does_not_inflate_the_measured_wait(client: TestClient,
                                                   clock: FakeClock) -> None:
    issue(client, "A")
    clock.advance(minutes=3)
    h = sign_in(client, "10001", 1)
    waited = act(client, 1, "call-next", h)["called"]["waited_min"]
    clock.advance(minutes=4)
    again = act(client, 1, "recall", h)["current"]
    assert again["recalls"] == 1
    assert again["waited_min"] == waited


HUGE = 2**70  # past every 64-bit integer column


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", f"/api/windows/{HUGE}", None),
    ("POST", f"/api/windows/{HUGE}/sign-in", {"role": "A"}),
    ("GET", f"/api/appointments/{HUGE}", None),
    ("POST", f"/api/appointments/{HUGE}/cancel", None),
    ("POST", f"/api/helper-requests/{HUGE}/answer", None),
    ("POST", f"/api/ratings/reviews/{HUGE}/resolve", {"note": "ok"}),
    ("POST", f"/api/alerts/{HUGE}/ack", None),
    ("GET", f"/api/ratings?window={HUGE}", None),
    ("GET", f"/api/followups?window={HUGE}", None),
    ("PUT", "/api/admin/layout", {"version": HUGE, "document": {}}),
])
def test_numbers_past_64_bits_are_refused_not_a_server_error(
        client: TestClient, method: str, path: str, body: object) -> None:
    """A number no database column holds is a 422 (it was a 500 with an OverflowError)."""
    admin = login(client, "admin")
    r = client.request(method, path, json=body, headers=admin)
    assert r.status_code == 422, (path, r.status_code, r.text)
    assert r.json()["detail"]["code"] == "invalid_request"


@pytest.mark.parametrize(("start", "minutes", "says"), [
    (-timedelta(hours=3), 30, "the slot has already ended"),
    (timedelta(days=91), 30, "slots can be booked at most 90 days ahead"),
    (timedelta(days=365 * 60), 30, "slots can be booked at most 90 days ahead"),
    (timedelta(hours=1), 60 * 25, "a slot cannot last more than a day"),
])
def test_appointment_slots_out_of_range_are_refused_with_the_reason(
        client: TestClient, clock: FakeClock, start: timedelta, minutes: int,
        says: str) -> None:
    """A slot long past or decades ahead was a 500 (its code could not hold the expiry)."""
    begin = clock() + start
    r = client.post("/api/appointments", headers=login(client, "manager"), json={
        "category": "A", "slot_start": begin.isoformat(),
        "slot_end": (begin + timedelta(minutes=minutes)).isoformat()})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["message_en"] == says
