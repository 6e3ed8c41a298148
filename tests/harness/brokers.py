"""Test helpers for MQTT brokers: the demo hall's accounts and a small paho-mqtt peer.

`connect(endpoint, username, password)` returns a connected `Peer` (paho-mqtt 2.x, MQTT
3.1.1, network loop in paho's thread) that records every message it receives; tests wait on
those records (`wait_for`) instead of sleeping. `try_connect` returns the CONNACK outcome of
an attempt that may be refused. This module does not import pytest.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import paho.mqtt.client as mqtt

from devices.protocol import topics
from devices.protocol.topics import DeviceType
from hallserver.bus.accounts import BrokerAccount

HALL = "demo"
SERVER = BrokerAccount("hallserver", "server-pw-1", "server")
KIOSK = BrokerAccount("kiosk-a1", "kiosk-pw-1", "device")
PAD = BrokerAccount("pad-1", "pad-pw-1", "device")
SCREEN = BrokerAccount("screen-a", "screen-pw-1", "device")
ACCOUNTS = (SERVER, KIOSK, PAD, SCREEN)
DEVICE_TYPES = {KIOSK.username: DeviceType.KIOSK, PAD.username: DeviceType.PAD,
                SCREEN.username: DeviceType.SCREEN}
TIMEOUT = 3.0
"""How long to wait for something that should happen (it normally takes milliseconds)."""


def status_topic(device: BrokerAccount) -> str:
    return str(topics.status(HALL, DEVICE_TYPES[device.username], device.username))


def state_topic(device: BrokerAccount) -> str:
    return str(topics.state(HALL, DEVICE_TYPES[device.username], device.username))


def evt_topic(device: BrokerAccount, name: str) -> str:
    return str(topics.evt(HALL, DEVICE_TYPES[device.username], device.username, name))


def cmd_topic(device: BrokerAccount, name: str) -> str:
    return str(topics.cmd(HALL, DEVICE_TYPES[device.username], device.username, name))


def cmd_filter(device: BrokerAccount) -> str:
    """`hall/demo/{type}/{id}/cmd/+`, the device's own command subscription."""
    return topics.device_subscriptions(HALL, DEVICE_TYPES[device.username], device.username)[0]


SERVER_STATUS = str(topics.server_status(HALL))


@dataclass(frozen=True)
class BrokerEndpoint:
    """Where a broker under test listens."""

    kind: Literal["mosquitto", "amqtt"]
    host: str
    port: int


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class ConnectRefused(AssertionError):
    """The broker refused the connection (or closed it before a CONNACK)."""


class Peer:
    """A connected paho client that records what it receives."""

    def __init__(self, client: mqtt.Client, name: str) -> None:
        self.client = client
        self.name = name
        self.messages: list[Received] = []
        self.connack: mqtt.ReasonCode | None = None
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self._answered = threading.Event()
        self._cond = threading.Condition()
        self._subacks: dict[int, list[mqtt.ReasonCode]] = {}
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe

    # paho callbacks (network thread) -------------------------------------------------
    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, rc: mqtt.ReasonCode,
                    _p: object) -> None:
        self.connack = rc
        if not rc.is_failure:
            self.connected.set()
        self._answered.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, _rc: mqtt.ReasonCode,
                       _p: object) -> None:
        self.disconnected.set()
        self._answered.set()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, msg.payload, msg.qos, bool(msg.retain)))
            self._cond.notify_all()

    def _on_subscribe(self, _c: mqtt.Client, _u: object, mid: int,
                      codes: list[mqtt.ReasonCode], _p: object) -> None:
        with self._cond:
            self._subacks[mid] = list(codes)
            self._cond.notify_all()

    # test API -------------------------------------------------------------------------
    def subscribe(self, topic_filter: str, qos: int = 1) -> list[mqtt.ReasonCode]:
        """Subscribe and wait for the SUBACK; returns its reason codes."""
        result, mid = self.client.subscribe(topic_filter, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS, f"{self.name}: subscribe failed: {result}"
        assert mid is not None
        with self._cond:
            if not self._cond.wait_for(lambda: mid in self._subacks, TIMEOUT):
                raise AssertionError(f"{self.name}: no SUBACK for {topic_filter!r}")
            return self._subacks[mid]

    def publish(self, topic: str, payload: bytes | str, *, qos: int = 1,
                retain: bool = False) -> None:
        """Publish and wait until the broker acknowledged it (for QoS > 0)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"{self.name}: publish to {topic} not acknowledged"

    def wait_for(self, predicate: Callable[[Received], bool], what: str,
                 timeout: float = TIMEOUT) -> Received:
        """The first recorded message matching `predicate` (waits for it to arrive)."""
        def found() -> Received | None:
            return next((m for m in self.messages if predicate(m)), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout):
                last = [(m.topic, m.payload[:40]) for m in self.messages[-8:]]
                raise AssertionError(
                    f"{self.name}: no message {what} within {timeout}s; got "
                    f"{len(self.messages)}, the last: {last}"
                )
            message = found()
            assert message is not None
            return message

    def wait_topic(self, topic: str, payload: bytes | None = None,
                   timeout: float = TIMEOUT) -> Received:
        """Wait for a message on `topic` (with `payload`, if given)."""
        return self.wait_for(
            lambda m: m.topic == topic and (payload is None or m.payload == payload),
            f"on {topic}" + (f" = {payload!r}" if payload is not None else ""),
            timeout,
        )

    def topics(self) -> list[str]:
        with self._cond:
            return [m.topic for m in self.messages]

    def received(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def close(self) -> None:
        """DISCONNECT cleanly and stop the network thread."""
        if self.connected.is_set() and not self.disconnected.is_set():
            self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """Vanish without a DISCONNECT (the broker then publishes the will)."""
        sock = self.client.socket()
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)  # FIN, no DISCONNECT; paho's thread sees EOF
        assert self.disconnected.wait(TIMEOUT), f"{self.name}: socket did not close"
        self.client.loop_stop()


def _client(username: str | None, password: str | None, client_id: str | None,
            clean_session: bool) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id if client_id is not None else (username or ""),
        protocol=mqtt.MQTTv311,
        clean_session=clean_session,
        reconnect_on_failure=False,  # a refused or dropped peer stays down (and stops fast)
    )
    if username is not None:
        client.username_pw_set(username, password)
    return client


def try_connect(
    endpoint: BrokerEndpoint,
    username: str | None,
    password: str | None,
    *,
    client_id: str | None = None,
    clean_session: bool = True,
    will: tuple[str, bytes] | None = None,
) -> Peer:
    """Attempt a connection and wait for the outcome; the peer may be refused.

    Check `peer.connected.is_set()` / `peer.connack`; call `close()` either way.
    """
    client = _client(username, password, client_id, clean_session)
    peer = Peer(client, client_id or username or "anonymous")
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.connect(endpoint.host, endpoint.port, keepalive=30)
    client.loop_start()
    if not peer._answered.wait(TIMEOUT):
        peer.close()
        raise AssertionError(f"{peer.name}: no CONNACK from {endpoint.kind} within {TIMEOUT}s")
    return peer


def connect(
    endpoint: BrokerEndpoint,
    account: BrokerAccount,
    *,
    client_id: str | None = None,
    clean_session: bool = True,
    will: tuple[str, bytes] | None = None,
) -> Peer:
    """A connected peer logged in as `account`; raises ConnectRefused if refused."""
    peer = try_connect(endpoint, account.username, account.password, client_id=client_id,
                       clean_session=clean_session, will=will)
    if not peer.connected.is_set():
        peer.close()
        raise ConnectRefused(f"{account.username}: refused by {endpoint.kind}: {peer.connack}")
    return peer


class Clients:
    """Makes peers on one broker and closes them all at teardown."""

    def __init__(self, endpoint: BrokerEndpoint) -> None:
        self.endpoint = endpoint
        self.peers: list[Peer] = []

    def __call__(
        self,
        account: BrokerAccount,
        *,
        client_id: str | None = None,
        clean_session: bool = True,
        will: tuple[str, bytes] | None = None,
    ) -> Peer:
        """A connected peer logged in as `account` (raises ConnectRefused if refused)."""
        peer = connect(self.endpoint, account, client_id=client_id,
                       clean_session=clean_session, will=will)
        self.peers.append(peer)
        return peer

    def attempt(
        self,
        username: str | None,
        password: str | None,
        *,
        client_id: str | None = None,
        will: tuple[str, bytes] | None = None,
    ) -> Peer:
        """A connection attempt that may be refused: check `peer.connected`."""
        peer = try_connect(self.endpoint, username, password, client_id=client_id, will=will)
        self.peers.append(peer)
        return peer

    def close(self) -> None:
        for peer in self.peers:
            peer.close()
