"""Bad input from a device's own credentials, through the real broker.

Each bad message is refused and counted (`GET /api/bus`), never answered, and the inbound
worker survives it: a valid ticket request right after still gets its ticket. Personal data
placed in a bad payload (a resident ID number, a mobile number) never reaches the logs."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from hallbus_support import TIMEOUT, Hall, RawPeer, wait_until
from support import login

from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType, evt, server_status
from devices.runtime.client import DeviceClient, RequestTimeout
from hallserver.bus.mosquitto import MAX_PACKET_BYTES

# Broker behaviour (refusals, floods, zombies): on amqtt and on Mosquitto.
pytestmark = pytest.mark.both_brokers
ID_NUMBER = "110101199003071234"
MOBILE = "13812345678"
BAD = "kiosk-b1"  # the device whose credentials send the bad input
TICKET_TOPIC = evt("demo", DeviceType.KIOSK, BAD, "ticket-request")


def _envelope(**fields: object) -> dict[str, object]:
    return {"v": 1, "msg_id": m.new_id(), "sent_at": "2026-11-23T09:30:00+08:00", **fields}


def _bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


BAD_INPUTS: list[tuple[str, str, str, bytes]] = [
    ("malformed JSON", "malformed-json", str(TICKET_TOPIC),
     f'{{"v":1,"request_id":"{ID_NUMBER}","category":"qiye","note":{MOBILE}'.encode()),
    ("not an object", "malformed-json", str(TICKET_TOPIC), _bytes([ID_NUMBER, MOBILE])),
    ("not UTF-8", "malformed-json", str(TICKET_TOPIC), b"\xff\xfe" + ID_NUMBER.encode()),
    ("wrong types", "invalid", str(TICKET_TOPIC),
     _bytes(_envelope(request_id=int(ID_NUMBER), category=[MOBILE], priority=MOBILE))),
    ("unknown fields", "invalid", str(TICKET_TOPIC),
     _bytes(_envelope(request_id=m.new_id(), category="qiye", id_card=ID_NUMBER,
                      mobile=MOBILE, **{ID_NUMBER: MOBILE}))),
    # Just over the protocol's largest message: the brokers pass it (their packet limit
    # leaves room for the topic and header), the server refuses it. A larger one (1 MB)
    # never reaches the server: both brokers hang up (tests/bus/test_brokers.py).
    ("just over 64 KB", "too-large", str(TICKET_TOPIC),
     _bytes(_envelope(request_id=m.new_id(), category="qiye",
                      note=f"{ID_NUMBER} {MOBILE} " * 2115))),
    ("no such event", "unknown-topic", str(evt("demo", DeviceType.KIOSK, BAD, "id-lookup")),
     _bytes(_envelope(request_id=m.new_id(), id_card=ID_NUMBER, mobile=MOBILE))),
    ("event named like a phone", "unknown-topic", str(evt("demo", DeviceType.KIOSK, BAD, MOBILE)),
     _bytes(_envelope(request_id=m.new_id(), category="qiye"))),
    ("another type's topic", "unknown-device",
     str(evt("demo", DeviceType.CALLER, BAD, "key")),  # the ACL allows any type segment
     _bytes(_envelope(request_id=m.new_id(), key="call", reason=MOBILE))),
    ("wrong version", "invalid", str(TICKET_TOPIC),
     _bytes({**_envelope(request_id=m.new_id(), category="qiye"), "v": 2})),
]


def test_the_oversized_case_sits_between_the_two_limits() -> None:
    payload = next(p for case, _, _, p in BAD_INPUTS if case == "just over 64 KB")
    assert m.MAX_PAYLOAD_BYTES < len(payload) < MAX_PACKET_BYTES - 200


def _take_ticket(kiosk: DeviceClient, timeout: float = TIMEOUT) -> m.TicketIssued:
    """A valid request, resent (same request_id) until answered or the deadline passes."""
    request = m.TicketRequest(request_id=m.new_id(), category="shebao")
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = kiosk.request("ticket-request", request, timeout=1.0)
        except RequestTimeout:
            if time.monotonic() > deadline:
                raise
            continue
        assert isinstance(reply, m.TicketIssued), reply
        return reply


def _assert_no_personal_data(hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    texts = {"python logs": caplog.text}
    if hall.broker is not None:
        texts["mosquitto log"] = hall.broker.log_text()
    for where, text in texts.items():
        assert ID_NUMBER not in text, f"resident ID number in the {where}"
        assert MOBILE not in text, f"mobile number in the {where}"


def test_bad_input_is_refused_counted_and_survived(
        hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    kiosk = hall.device("kiosk-a1")
    manager = login(hall.client, "manager")
    peer = RawPeer("127.0.0.1", hall.port, BAD, hall.password(BAD))
    try:
        peer.subscribe(f"hall/demo/kiosk/{BAD}/cmd/+")
        for case, reason, topic, payload in BAD_INPUTS:
            before = hall.stats()
            issued = hall.client.get("/api/queues").json()

            peer.publish(topic, payload)
            wait_until(
                lambda r=reason, b=before: hall.rejected(r) == b["rejected"].get(r, 0) + 1,
                what=f"{case} counted as {reason}")

            assert _take_ticket(kiosk).number.startswith("C"), case  # the worker survived
            after = hall.client.get("/api/queues").json()
            grew = {q["category"]: q["issued_today"] - p["issued_today"]
                    for q, p in zip(after, issued, strict=True)}
            assert {k: v for k, v in grew.items() if v} == {"shebao": 1}, case
            info = hall.client.get("/api/bus", headers=manager).json()
            assert info["connected"] is True
            assert info["rejected"][reason] == before["rejected"].get(reason, 0) + 1, case
            assert sum(info["rejected"].values()) == sum(before["rejected"].values()) + 1, case
        # Refused messages are not answered.
        assert [r.topic for r in peer.messages] == []
    finally:
        peer.close()
    _assert_no_personal_data(hall, caplog)


def _kick_server_connection(hall: Hall) -> None:
    """Cut the hall server's TCP connection (no DISCONNECT): it reconnects by itself."""
    bus = hall.runtime.bus
    assert bus is not None
    sock = bus.client.socket()
    assert isinstance(sock, socket.socket)
    sock.shutdown(socket.SHUT_RDWR)


def _retained_on_broker(hall: Hall, topic: str) -> bool:
    """Whether a fresh subscriber gets a retained message on `topic`.

    Only the server's account may read events: borrow it (this takes the server's connection
    over and wipes its session; the server reconnects after about a second)."""
    sentinel = str(server_status("demo"))  # retained; sent after anything for `topic`
    observer = RawPeer("127.0.0.1", hall.port, "hallserver", hall.password("hallserver"))
    try:
        observer.subscribe(topic)
        observer.subscribe(sentinel)
        observer.wait_count(sentinel, 1)
        time.sleep(0.2)
        return bool(observer.received(topic))
    finally:
        observer.close()


def test_retained_event_is_applied_at_most_once_and_cleared(
        hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    topic = evt("demo", DeviceType.KIOSK, BAD, "helper-request")
    event = m.HelperRequest(request_id=m.new_id(), reason="elderly",
                            note=f"身份证 {ID_NUMBER} 电话 {MOBILE}")
    staff = login(hall.client, "10001")

    def helper_requests() -> list[dict[str, object]]:
        r = hall.client.get("/api/helper-requests", params={"open_only": False}, headers=staff)
        assert r.status_code == 200, r.text
        return [h for h in r.json() if h["device_id"] == BAD]

    peer = RawPeer("127.0.0.1", hall.port, BAD, hall.password(BAD))
    try:
        peer.publish(topic, encode(event), retain=True)  # a buggy device retains an event
        # Delivered live, the broker clears the retain flag (MQTT 3.1.1 3.3.1.3): the server
        # cannot tell and applies it, once.
        wait_until(lambda: len(helper_requests()) == 1, what="the live helper request")
    finally:
        peer.close()

    # Each (re)subscription of the server gets the retained copy (retain=1): refused, cleared.
    # (amqtt sends a resumed session's retained messages on connect and again on its
    # SUBSCRIBE, so the copy may be refused twice; what matters is that it stops.)
    _kick_server_connection(hall)
    wait_until(lambda: hall.rejected("retained-event") >= 1, timeout=15,
               what="the retained copy refused on resubscribe")
    hall.wait_server_connected()
    kiosk = hall.device("kiosk-a1")
    _take_ticket(kiosk, timeout=15)  # the worker has handled what came before
    refused = hall.rejected("retained-event")
    assert len(helper_requests()) == 1  # not applied a second time
    assert ID_NUMBER not in str(helper_requests())  # the note is masked on receipt

    assert not _retained_on_broker(hall, str(topic))

    # The server reconnects (a new session, subscribing afresh): nothing retained comes back.
    assert _take_ticket(kiosk, timeout=15).number.startswith("C")
    assert len(helper_requests()) == 1
    assert hall.rejected("retained-event") == refused
    _assert_no_personal_data(hall, caplog)


@pytest.mark.parametrize("hall", [pytest.param("amqtt"),
], indirect=True)  # server logic: one broker will do
def test_helper_note_masks_mobiles_in_common_spellings(
        hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spellings = ["+8613812345678", "8613812345678", "138 1234 5678", "138-1234-5678",
                 "ID110101199003071234"]
    pad = hall.device("pad-2")
    pad.emit("helper-request", m.HelperRequest(
        request_id=m.new_id(), note="请回电 " + " 或 ".join(spellings)))
    staff = login(hall.client, "10002")

    def notes() -> list[str]:
        r = hall.client.get("/api/helper-requests", headers=staff)
        return [str(h["note"]) for h in r.json() if h["device_id"] == "pad-2"]

    wait_until(notes, what="the helper request")
    (note,) = notes()
    leaked = [s for s in spellings if s in note]
    assert leaked == [], f"unmasked in the stored note: {leaked} ({note!r})"
    assert "1234 " not in note and "-1234-" not in note and "12345678" not in note, note
    # Staff see where the request comes from: pad-2 stands at window 2 in zone a.
    (listed,) = [h for h in hall.client.get("/api/helper-requests", headers=staff).json()
                 if h["device_id"] == "pad-2"]
    assert (listed["window"], listed["zone"]) == (2, "a")


@pytest.mark.parametrize("hall", [pytest.param("amqtt"),
], indirect=True)  # server logic: one broker will do
def test_retained_event_under_a_wrong_type_segment_is_cleared(hall: Hall) -> None:
    topic = evt("demo", DeviceType.PAD, BAD, "helper-request")  # BAD is a kiosk
    peer = RawPeer("127.0.0.1", hall.port, BAD, hall.password(BAD))
    try:
        peer.publish(topic, encode(m.HelperRequest(request_id=m.new_id())), retain=True)
        wait_until(lambda: hall.rejected("unknown-device") == 1, what="the live refusal")
    finally:
        peer.close()
    _kick_server_connection(hall)
    wait_until(lambda: hall.rejected("retained-event") >= 1, timeout=15,
               what="the retained copy refused on resubscribe")
    hall.wait_server_connected()
    _take_ticket(hall.device("kiosk-a1"), timeout=15)
    assert not _retained_on_broker(hall, str(topic)), "the retained event is still there"
