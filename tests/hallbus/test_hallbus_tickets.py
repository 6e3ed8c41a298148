"""Tickets and caller keys over the real broker: replies, replays and redeliveries.

A redelivery is the same bytes (same `msg_id`) arriving twice, as a broker does after a
lost PUBACK; a resend is the device publishing the same request again after a timeout.
Both must leave exactly one effect."""

from __future__ import annotations

import base64

import pytest
from hallbus_support import Hall, Inbox, RawPeer, http_ticket, issued_today, staff_at, waiting
from sqlalchemy import func, select

from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType, cmd, evt
from hallserver.store.models import TicketEventRow


def raw_peer(hall: Hall, device_id: str, device: DeviceType) -> RawPeer:
    peer = RawPeer("127.0.0.1", hall.port, device_id, hall.password(device_id))
    peer.subscribe(f"hall/demo/{device.value}/{device_id}/cmd/+")
    return peer


def test_kiosk_takes_a_ticket_and_a_resend_replays_it(hall: Hall) -> None:
    kiosk = hall.device("kiosk-a1")
    before = issued_today(hall.client, "qiye")
    request = m.TicketRequest(request_id=m.new_id(), category="qiye")

    reply = kiosk.request("ticket-request", request, timeout=5)

    assert isinstance(reply, m.TicketIssued), reply
    assert reply.request_id == request.request_id
    assert reply.number.startswith("A") and not reply.replayed
    assert issued_today(hall.client, "qiye") == before + 1
    assert reply.number in waiting(hall.client, "qiye")

    # The kiosk missed the reply and sends the same request again.
    again = kiosk.request("ticket-request", request, timeout=5)
    assert isinstance(again, m.TicketIssued), again
    assert (again.number, again.replayed) == (reply.number, True)
    # A new message (new msg_id) with the same request_id: still the same ticket.
    resent = request.model_copy(update={"msg_id": m.new_id()})
    third = kiosk.request("ticket-request", resent, timeout=5)
    assert isinstance(third, m.TicketIssued)
    assert (third.number, third.replayed) == (reply.number, True)
    assert issued_today(hall.client, "qiye") == before + 1
    assert waiting(hall.client, "qiye").count(reply.number) == 1


def test_redelivered_ticket_request_issues_one_ticket(hall: Hall) -> None:
    peer = raw_peer(hall, "kiosk-b1", DeviceType.KIOSK)
    try:
        before = issued_today(hall.client, "budongchan")
        payload = encode(m.TicketRequest(request_id=m.new_id(), category="budongchan"))
        topic = evt("demo", DeviceType.KIOSK, "kiosk-b1", "ticket-request")
        peer.publish(topic, payload)
        peer.publish(topic, payload)  # the broker redelivers the same message

        replies = peer.wait_count(cmd("demo", DeviceType.KIOSK, "kiosk-b1", "ticket-issued"), 2)
        numbers = {r.json()["number"] for r in replies}
        assert len(numbers) == 1, replies
        assert sorted(r.json()["replayed"] for r in replies) == [False, True]
        assert issued_today(hall.client, "budongchan") == before + 1
        assert waiting(hall.client, "budongchan") == sorted(numbers)
    finally:
        peer.close()


def test_redelivered_call_key_calls_one_ticket(hall: Hall) -> None:
    staff_at(hall.client, 1)
    first, second = http_ticket(hall.client, "qiye"), http_ticket(hall.client, "qiye")
    peer = raw_peer(hall, "caller-1", DeviceType.CALLER)
    try:
        payload = encode(m.CallerKey(request_id=m.new_id(), key=m.CallerKeyName.CALL))
        topic = evt("demo", DeviceType.CALLER, "caller-1", "key")
        peer.publish(topic, payload)
        peer.publish(topic, payload)  # redelivery: same msg_id

        replies = peer.wait_count(cmd("demo", DeviceType.CALLER, "caller-1", "key-result"), 2)
        assert replies[0].payload == replies[1].payload  # the stored reply, byte for byte
        result = m.KeyResult.model_validate_json(replies[0].payload)
        assert result.ok and result.number == first, result
        window = hall.client.get("/api/windows/1").json()
        assert window["current"]["number"] == first
        assert window["current"]["state"] == "called"
        assert waiting(hall.client, "qiye") == [second]  # the second one is still waiting
    finally:
        peer.close()
    # Exactly one "call" event in the ticket history of the hall.
    with hall.services.ctx.db.read() as session:
        calls = session.scalar(select(func.count()).select_from(TicketEventRow)
                               .where(TicketEventRow.action == "call"))
    assert calls == 1


def test_key_at_an_unstaffed_window_is_refused(hall: Hall) -> None:
    http_ticket(hall.client, "qiye")
    caller = hall.device("caller-2")
    reply = caller.request("key", m.CallerKey(request_id=m.new_id(), key=m.CallerKeyName.CALL),
                           timeout=5)
    assert isinstance(reply, m.KeyResult), reply
    assert (reply.ok, reply.code) == (False, "unstaffed")
    assert hall.client.get("/api/windows/2").json()["current"] is None


@pytest.mark.parametrize("hall", ["amqtt"], indirect=True)  # server logic: one broker will do
def test_a_callers_pause_reason_stays_off_the_window_displays(hall: Hall) -> None:
    staff = staff_at(hall.client, 3)
    led = Inbox()
    hall.device("led-3", inbox=led)
    caller = hall.device("caller-3")
    reply = caller.request("key", m.CallerKey(
        request_id=m.new_id(), key=m.CallerKeyName.PAUSE,
        reason="回电 13812345678，身份证 110101199003071234"), timeout=5)
    assert isinstance(reply, m.KeyResult) and reply.ok, reply
    shown = led.wait(m.WindowDisplayState, lambda s: s.mode == "paused", what="paused")
    assert shown.note == m.Text(zh="暂停服务", en="Paused")  # the LED faces the public
    public = hall.client.get("/api/windows/3").json()
    assert (public["status"], public["pause_reason"], public["pause_code"]) == \
        ("paused", None, "other")
    reason = hall.client.get("/api/windows/3", headers=staff).json()["pause_reason"]
    assert "138****5678" in reason and "110101********1234" in reason  # staff: masked words
    assert "13812345678" not in reason


def test_a_kiosk_takes_a_number_over_http_with_its_bus_secret(hall: Hall) -> None:
    # The device credential is the kiosk's broker account, from the hall's secrets file.
    def post(user: str, secret: str) -> int:
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        r = hall.client.post("/api/tickets", json={"category": "qiye"},
                             headers={"Authorization": f"Basic {token}"})
        return r.status_code

    assert post("kiosk-a1", hall.password("kiosk-a1")) == 201
    assert post("kiosk-a1", hall.password("kiosk-b1")) == 401  # another device's secret
    assert post("pad-1", hall.password("pad-1")) == 401  # a rating pad takes no numbers
    assert issued_today(hall.client, "qiye") == 1
