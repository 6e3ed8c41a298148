"""Presence from birth and will: connect, vanish, leave cleanly, reconnect in a storm."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hallbus_support import Hall, RawPeer, wait_until
from support import login

from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType, status

logger = logging.getLogger(__name__)
# Broker behaviour (wills, keepalive, restarts, refusals): on amqtt and on Mosquitto.
pytestmark = pytest.mark.both_brokers


def _device(hall: Hall, device_id: str) -> dict[str, Any]:
    headers = login(hall.client, "manager")
    r = hall.client.get(f"/api/devices/{device_id}", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _online(hall: Hall, device_id: str) -> bool | None:
    return _device(hall, device_id)["online"]  # type: ignore[no-any-return]


def test_connect_kill_and_clean_stop(hall: Hall) -> None:
    assert _online(hall, "kiosk-a1") is False
    kiosk = hall.device("kiosk-a1", keepalive=2)
    wait_until(lambda: _online(hall, "kiosk-a1") is True, what="online after connect")
    info = _device(hall, "kiosk-a1")
    assert info["epoch"] == kiosk.epoch
    assert info["health"] == "ok"

    kiosk.kill()  # no DISCONNECT: the broker publishes the will
    took = wait_until(lambda: _online(hall, "kiosk-a1") is False, timeout=1.5 * 2 + 2,
                      what="offline after kill")
    logger.info("offline %.2fs after kill", took)
    assert _device(hall, "kiosk-a1")["health"] == "offline"

    again = hall.device("kiosk-a1", keepalive=2)
    wait_until(lambda: _online(hall, "kiosk-a1") is True, what="online again")
    assert again.epoch > kiosk.epoch
    again.stop()
    took = wait_until(lambda: _online(hall, "kiosk-a1") is False, timeout=2,
                      what="offline after a clean stop")
    logger.info("offline %.2fs after stop", took)


@pytest.mark.parametrize("hall", [
    pytest.param("amqtt"),
    "mosquitto",
], indirect=True)
def test_silent_device_is_declared_lost_after_its_keepalive(hall: Hall) -> None:
    """A device that stops talking but keeps its TCP connection open (power cut behind a
    switch, hung firmware): only the broker's keepalive check can notice."""
    keepalive = 2
    topic = str(status("demo", DeviceType.PAD, "pad-3"))
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="pad-3",
                         clean_session=True, protocol=mqtt.MQTTv311, reconnect_on_failure=False)
    client.username_pw_set("pad-3", hall.password("pad-3"))
    epoch = time.time_ns() // 1_000_000
    client.will_set(topic, encode(m.DeviceStatus(state=m.Presence.OFFLINE, epoch=epoch)),
                    qos=1, retain=True)
    client.connect("127.0.0.1", hall.port, keepalive=keepalive)
    client.loop_start()
    try:
        client.publish(topic, encode(m.DeviceStatus(state=m.Presence.ONLINE, epoch=epoch)),
                       qos=1, retain=True).wait_for_publish(5)
        wait_until(lambda: _online(hall, "pad-3") is True, what="pad-3 online")
        client.loop_stop()  # silence: no PINGREQ any more, the socket stays open
        silent_at = time.monotonic()
        wait_until(lambda: _online(hall, "pad-3") is False, timeout=1.5 * keepalive + 20,
                   what="offline once the keepalive expired", interval=0.05)
        took = time.monotonic() - silent_at
        logger.info("silent pad declared lost after %.2fs", took)
        assert took >= keepalive * 0.9, f"declared lost too early ({took:.2f}s)"
    finally:
        sock = client.socket()
        if sock is not None:
            sock.close()


def test_reconnect_storm_ends_online(hall: Hall) -> None:
    """100 quick reconnects of one device (killed or stopped, alternately in runs), ending
    connected: stale wills that arrive late must not mark it offline."""
    outbox = hall.tmp_path / "kiosk-a1.outbox.db"  # the epoch counter survives restarts
    began = time.monotonic()
    epochs = []
    client = None
    for i in range(100):
        client = hall.device("kiosk-a1", outbox=outbox)
        epochs.append(client.epoch)
        if i == 99:
            break
        if i % 3 == 2:
            client.stop(timeout=1.0)
        else:
            client.kill()
    elapsed = time.monotonic() - began
    logger.info("100 connections in %.1fs", elapsed)
    assert client is not None
    assert epochs == sorted(set(epochs)), "epochs must grow with every connection"

    # The last connection's birth is the newest: the registry shows it online with its epoch.
    wait_until(lambda: _device(hall, "kiosk-a1")["epoch"] == client.epoch, timeout=10,
               what="the last epoch")
    hall.sync_idle()
    request = m.TicketRequest(request_id=m.new_id(), category="qiye")
    assert isinstance(client.request("ticket-request", request, timeout=5), m.TicketIssued)
    info = _device(hall, "kiosk-a1")
    assert (info["online"], info["epoch"]) == (True, client.epoch)
    assert client.connected.is_set()


def _status_payload(state: str, epoch: int) -> bytes:
    return json.dumps({"v": 1, "msg_id": m.new_id(), "sent_at": "2026-11-23T09:30:00+08:00",
                       "state": state, "epoch": epoch}).encode()


@pytest.mark.parametrize("hall", [pytest.param("amqtt"),
], indirect=True)  # server logic: one broker will do
def test_out_of_range_epoch_is_refused_and_counted(hall: Hall) -> None:
    peer = RawPeer("127.0.0.1", hall.port, "kiosk-b1", hall.password("kiosk-b1"))
    try:
        before = sum(hall.stats()["rejected"].values())
        peer.publish(status("demo", DeviceType.KIOSK, "kiosk-b1"),
                     _status_payload("online", 10**30))
        kiosk = hall.device("kiosk-a1")  # a round trip: the status was handled before it
        assert isinstance(kiosk.request("ticket-request", m.TicketRequest(
            request_id=m.new_id(), category="qiye"), timeout=5), m.TicketIssued)
        assert sum(hall.stats()["rejected"].values()) == before + 1
    finally:
        peer.close()


@pytest.mark.parametrize("hall", [pytest.param("amqtt"),
], indirect=True)  # server logic: one broker will do
def test_a_bogus_future_epoch_does_not_freeze_presence(hall: Hall) -> None:
    year_2100_ms = 4_102_444_800_000
    peer = RawPeer("127.0.0.1", hall.port, "kiosk-b1", hall.password("kiosk-b1"))
    try:  # e.g. the device's RTC was wrong at boot once (or a replaced unit's was)
        peer.publish(status("demo", DeviceType.KIOSK, "kiosk-b1"),
                     _status_payload("online", year_2100_ms), retain=True)
        # refused and counted (a day ahead of the server's clock is a broken clock)
        wait_until(lambda: hall.rejected("future-epoch") == 1, what="the bogus birth refused")
        assert _online(hall, "kiosk-b1") is False
    finally:
        peer.close()
    kiosk = hall.device("kiosk-b1", keepalive=2)  # the clock is right again
    hall.sync_idle()
    kiosk.kill()
    wait_until(lambda: _online(hall, "kiosk-b1") is False, timeout=4,
               what="offline after the device died")
