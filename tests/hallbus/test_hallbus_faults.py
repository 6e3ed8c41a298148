"""Broker faults (Mosquitto only: a process we can stop and kill -9).

- Events emitted while the broker is down wait in the device's outbox on disk, survive the
  device being killed, and arrive exactly once from the next process using that outbox.
- A broker crash under ticket load loses no acknowledged ticket and issues no ticket twice
  for one request; server, devices and displays all come back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hallbus_support import Hall, Inbox, http_ticket, staff_at, wait_until
from sqlalchemy import select
from support import login

from devices.protocol import messages as m
from devices.runtime.client import DeviceClient, RequestTimeout
from hallserver.store.models import IdempotencyKeyRow, TicketRow

logger = logging.getLogger(__name__)
# Broker behaviour (wills, keepalive, restarts, refusals): on amqtt and on Mosquitto.
pytestmark = pytest.mark.both_brokers

mosquitto_only = pytest.mark.parametrize("hall", ["mosquitto"], indirect=True)


@mosquitto_only
def test_outbox_events_survive_broker_outage_and_device_crash(hall: Hall) -> None:
    assert hall.broker is not None
    outbox = hall.tmp_path / "pad-7.outbox.db"
    hall.broker.stop()
    wait_until(lambda: not hall.server_connected, what="the server noticing the outage")

    pad = hall.device("pad-7", outbox=outbox, wait=False)
    events = [m.HelperRequest(request_id=m.new_id(), reason="elderly", note=f"第{i}位")
              for i in range(5)]
    for event in events:
        pad.emit("helper-request", event)
    pad.emit("helper-request", events[0])  # the same message object again: same msg_id
    pad.emit("helper-request", events[3])
    assert not pad.connected.is_set()
    pad.kill()  # a crash while offline: only the file remembers the events

    hall.broker.restart()
    revived = hall.device("pad-7", outbox=outbox)  # a new process, same outbox file
    hall.wait_server_connected(timeout=40)  # the server's backoff may have grown
    staff = login(hall.client, "10007")

    def from_pad() -> list[dict[str, object]]:
        r = hall.client.get("/api/helper-requests", headers=staff)
        assert r.status_code == 200, r.text
        return [h for h in r.json() if h["device_id"] == "pad-7"]

    wait_until(lambda: len(from_pad()) >= len(events), timeout=30, what="every helper request")
    wait_until(lambda: len(revived.outbox) == 0, what="the outbox drained (all PUBACKed)")
    hall.sync_idle()
    got = from_pad()
    notes = Counter(str(h["note"]) for h in got)
    assert notes == Counter(str(e.note) for e in events), notes
    assert {h["reason"] for h in got} == {"elderly"}
    assert hall.stats()["handled"]["helper-request"] >= len(events)


def _helper_notes(hall: Hall, device_id: str) -> Counter[str]:
    staff = login(hall.client, "10007")
    r = hall.client.get("/api/helper-requests", headers=staff)
    assert r.status_code == 200, r.text
    return Counter(str(h["note"]) for h in r.json() if h["device_id"] == device_id)


def _emit_while_server_down(hall: Hall, device_id: str) -> tuple[DeviceClient, list[str]]:
    """Stop the server, emit events from a device (one twice), return the notes sent."""
    pad = hall.device(device_id, outbox=hall.tmp_path / f"{device_id}.outbox.db")
    hall.stop_server_keeping_port()
    events = [m.HelperRequest(request_id=m.new_id(), note=f"离线{i}") for i in range(3)]
    for event in [*events, events[1]]:
        pad.emit("helper-request", event)
    if hall.broker is not None:  # Mosquitto stays up: it acknowledges and queues them
        wait_until(lambda: len(pad.outbox) == 0, what="the broker acknowledging the events")
    return pad, [str(e.note) for e in events]


def _sentinel(hall: Hall, pad: DeviceClient) -> None:
    """An event emitted after the server is back arrives after anything queued before."""
    assert pad.connected.wait(30), "the device did not reconnect"
    pad.emit("helper-request", m.HelperRequest(request_id=m.new_id(), note="sentinel"))
    wait_until(lambda: _helper_notes(hall, pad.identity.id)["sentinel"] == 1, timeout=10,
               what="the sentinel event")


def test_events_emitted_while_the_server_is_down_arrive_once(hall: Hall) -> None:
    """Embedded broker: it stops with the server, the events wait in the device's outbox.
    Mosquitto: it queues them in the server's persistent session."""
    pad, notes = _emit_while_server_down(hall, "pad-8")
    hall.start_server()
    _sentinel(hall, pad)
    assert _helper_notes(hall, "pad-8") == Counter([*notes, "sentinel"])


@pytest.mark.parametrize("hall", [pytest.param("mosquitto", marks=pytest.mark.xfail(
    strict=True, reason=(
        "BUG: events PUBACKed by Mosquitto while the hall server is away live only in "
        "Mosquitto's memory (autosave_interval 60 in hallserver/bus/mosquitto.py); the "
        "device already deleted them from its outbox, so a broker crash loses them")))],
    indirect=True)
def test_events_queued_for_the_server_survive_a_broker_crash(hall: Hall) -> None:
    assert hall.broker is not None
    pad, notes = _emit_while_server_down(hall, "pad-8")
    hall.broker.kill()
    hall.broker.restart()
    hall.start_server()
    _sentinel(hall, pad)
    assert _helper_notes(hall, "pad-8") == Counter([*notes, "sentinel"])


@dataclass
class _Load:
    """What the kiosk threads saw."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # (device:request_id) -> number
    sent: set[str] = field(default_factory=set)
    timeouts: int = 0
    refused: int = 0
    gave_up: int = 0
    give_up_at: float = float("inf")  # after the stop, a thread resends its last request
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _kiosk_loop(client: DeviceClient, category: str, load: _Load, stop: threading.Event) -> None:
    try:
        while not stop.is_set():
            request = m.TicketRequest(request_id=m.new_id(), category=category)
            key = f"{client.identity.id}:{request.request_id}"
            with load.lock:
                load.sent.add(key)
            while True:  # resend the SAME request until it is answered
                try:
                    reply = client.request("ticket-request", request, timeout=1.0)
                    break
                except RequestTimeout:
                    with load.lock:
                        load.timeouts += 1
                    if stop.is_set() and time.monotonic() > load.give_up_at:
                        with load.lock:
                            load.gave_up += 1
                        return
            with load.lock:
                if isinstance(reply, m.TicketIssued):
                    load.acknowledged[key] = reply.number
                else:
                    load.refused += 1
            time.sleep(0.02)
    except Exception as exc:  # reported by the test
        with load.lock:
            load.errors.append(repr(exc))


@mosquitto_only
def test_broker_kill_9_under_ticket_load(hall: Hall) -> None:
    assert hall.broker is not None
    kiosks = {"kiosk-a1": "shebao", "kiosk-b1": "budongchan", "terminal-a1": "huzheng"}
    clients = {device_id: hall.device(device_id) for device_id in kiosks}
    led_inbox = Inbox()
    led = hall.device("led-6", inbox=led_inbox)  # connected through the crash
    load, stop = _Load(), threading.Event()
    threads = [threading.Thread(target=_kiosk_loop, args=(clients[d], c, load, stop),
                                name=f"load-{d}") for d, c in kiosks.items()]
    for t in threads:
        t.start()
    wait_until(lambda: len(load.acknowledged) >= 15, timeout=10, what="load running")

    hall.broker.kill()  # kill -9: no will for the server, nothing saved since the last autosave
    killed_at = time.monotonic()
    killed_with = len(load.acknowledged)
    time.sleep(1.0)
    hall.broker.restart()
    hall.wait_server_connected(timeout=30)
    reconnected = time.monotonic() - killed_at
    for client in [*clients.values(), led]:
        assert client.connected.wait(30), f"{client.identity.id} did not reconnect"
    wait_until(lambda: len(load.acknowledged) >= killed_with + 15, timeout=20,
               what="tickets issued again after the restart")
    time.sleep(1.0)  # keep the load going a little
    load.give_up_at = time.monotonic() + 10
    stop.set()
    for t in threads:
        t.join(timeout=15)
        assert not t.is_alive(), f"{t.name} still waiting for a reply"
    assert load.errors == []
    logger.info("kill -9 under load: %d acknowledged, %d timeouts, %d refused; server back "
                "%.1fs after the kill", len(load.acknowledged), load.timeouts, load.refused,
                reconnected)
    assert load.refused == 0  # the daily caps were not reached

    with hall.services.ctx.db.read() as session:
        tickets = {row.id: row for row in session.scalars(select(TicketRow))}
        keys = list(session.scalars(select(IdempotencyKeyRow)))
    numbers = Counter(row.number for row in tickets.values())
    assert max(numbers.values()) == 1
    # Every acknowledged number exists, once, and belongs to the request that was answered.
    by_key = {k.key: tickets[k.ticket_id].number for k in keys}
    for key, number in load.acknowledged.items():
        assert numbers[number] == 1, number
        assert by_key[f"mqtt:{key}"] == number, key
    # One ticket per request at most; every ticket comes from a request we sent (a request
    # whose every reply was lost may have a ticket nobody saw: allowed, not a duplicate).
    ticket_ids = Counter(k.ticket_id for k in keys)
    assert max(ticket_ids.values()) == 1
    assert set(ticket_ids) == set(tickets), "a ticket without its request key"
    assert {k.key.removeprefix("mqtt:") for k in keys} <= load.sent
    assert len(tickets) >= len(load.acknowledged)
    unseen = len(tickets) - len(load.acknowledged)
    logger.info("%d tickets, %d acknowledged, %d never seen by a kiosk", len(tickets),
                len(load.acknowledged), unseen)
    assert unseen <= load.gave_up, "a ticket for a request that was answered otherwise"

    # Displays converge: a call made now reaches the LED that lived through the crash.
    assert led.connections >= 2
    headers = staff_at(hall.client, 6)
    number = http_ticket(hall.client, "shebao")
    del number  # the window calls the head of its queue, not necessarily this one
    r = hall.client.post("/api/windows/6/call-next", headers=headers)
    assert r.status_code == 200, r.text
    called = r.json()["called"]["number"]
    led_inbox.wait(m.WindowDisplayState, lambda s: s.number == called, timeout=10,
                   what=f"showing {called}")
