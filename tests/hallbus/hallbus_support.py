"""Helpers for the hall-bus tests: the hall under test (`Hall`: app + broker + devices),
deadline waits, recorded device inboxes, a raw MQTT peer, HTTP shortcuts.

`RawPeer` is a bare paho-mqtt client logged in with a device's credentials: it publishes
exactly the bytes a test gives it (redeliveries, malformed payloads, retained events) and
records everything it receives with the retain flag. It never publishes a birth.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from fastapi import FastAPI
from fastapi.testclient import TestClient
from harness.mosquitto import MosquittoServer
from support import login, seed_users, take

from devices.config.secret import SecretSource
from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, Topic
from devices.runtime.client import DeviceClient, DeviceIdentity
from hallserver.app import create_app
from hallserver.bus.wiring import BusRuntime
from hallserver.settings import Settings

HALL = "demo"
TIMEOUT = 5.0
"""How long to wait for something that normally takes milliseconds."""
CONNECT_TIMEOUT = 10.0


def wait_until(predicate: Callable[[], object], timeout: float = TIMEOUT,
               what: str = "condition", interval: float = 0.01) -> float:
    """Poll until `predicate()` is truthy; returns the seconds it took (fails at the deadline)."""
    began = time.monotonic()
    deadline = began + timeout
    while True:
        if predicate():
            return time.monotonic() - began
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)


class Inbox:
    """Records the (topic, message) pairs a DeviceClient hands to its app."""

    def __init__(self) -> None:
        self.items: list[tuple[Topic, m.Message]] = []
        self._cond = threading.Condition()

    def on_command(self, topic: Topic, message: m.Message) -> None:
        with self._cond:
            self.items.append((topic, message))
            self._cond.notify_all()

    def messages(self, kind: type[m.Message]) -> list[Any]:
        with self._cond:
            return [msg for _, msg in self.items if isinstance(msg, kind)]

    def wait(self, kind: type[m.Message], predicate: Callable[[Any], bool] = lambda _: True,
             timeout: float = TIMEOUT, what: str = "") -> Any:
        """The first recorded `kind` message matching `predicate` (waits for it)."""
        def found() -> Any:
            return next((msg for _, msg in self.items
                         if isinstance(msg, kind) and predicate(msg)), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout):
                got = [type(msg).__name__ for _, msg in self.items]
                raise AssertionError(f"no {kind.__name__} {what} within {timeout}s; got {got}")
            return found()


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class RawPeer:
    """A plain paho client (MQTT 3.1.1, clean session) logged in as `username`."""

    def __init__(self, host: str, port: int, username: str, password: str, *,
                 client_id: str | None = None) -> None:
        self.name = username
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._subacks: set[int] = set()
        self.connected = threading.Event()
        self.refused: mqtt.ReasonCode | None = None
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                             client_id=client_id if client_id is not None else username,
                             clean_session=True, protocol=mqtt.MQTTv311,
                             reconnect_on_failure=False)
        client.username_pw_set(username, password)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client
        client.connect(host, port, keepalive=30)
        client.loop_start()
        assert self.connected.wait(TIMEOUT), f"{username}: no CONNACK ({self.refused})"

    def _on_connect(self, _c: mqtt.Client, _u: object, _f: object, rc: mqtt.ReasonCode,
                    _p: object) -> None:
        if rc.is_failure:
            self.refused = rc
        else:
            self.connected.set()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._cond.notify_all()

    def _on_subscribe(self, _c: mqtt.Client, _u: object, mid: int, _codes: object,
                      _p: object) -> None:
        with self._cond:
            self._subacks.add(mid)
            self._cond.notify_all()

    def subscribe(self, *filters: str) -> None:
        """Subscribe (QoS 1) and wait for the SUBACK."""
        _rc, mid = self.client.subscribe([(f, 1) for f in filters])
        with self._cond:
            assert self._cond.wait_for(lambda: mid in self._subacks, TIMEOUT), "no SUBACK"

    def publish(self, topic: str | Topic, payload: bytes | str, *, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the PUBACK."""
        info = self.client.publish(str(topic), payload, qos=1, retain=retain)
        info.wait_for_publish(TIMEOUT)
        assert info.is_published(), f"{self.name}: no PUBACK for {topic}"

    def received(self, topic: str | Topic) -> list[Received]:
        with self._cond:
            return [r for r in self.messages if r.topic == str(topic)]

    def wait_count(self, topic: str | Topic, count: int,
                   timeout: float = TIMEOUT) -> list[Received]:
        """Wait until at least `count` messages arrived on `topic`; returns them."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: len([r for r in self.messages if r.topic == str(topic)]) >= count,
                timeout)
            got = [r for r in self.messages if r.topic == str(topic)]
        assert ok, f"{self.name}: {len(got)} of {count} messages on {topic} within {timeout}s"
        return got

    def close(self) -> None:
        if self.connected.is_set():
            self.client.disconnect()
        self.client.loop_stop()


# ---- HTTP helpers ----------------------------------------------------------------------------


def issued_today(client: TestClient, category: str) -> int:
    r = client.get("/api/queues")
    assert r.status_code == 200, r.text
    return int(next(q for q in r.json() if q["category"] == category)["issued_today"])


def waiting(client: TestClient, category: str) -> list[str]:
    """Numbers waiting in a category, in call order."""
    r = client.get(f"/api/queues/{category}")
    assert r.status_code == 200, r.text
    return [e["number"] for e in r.json()]


def http_ticket(client: TestClient, category: str) -> str:
    r = take(client, {"category": category})
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def staff_at(client: TestClient, window: int) -> dict[str, str]:
    """Sign the roster's A member of `window` (staff 1000N) in there; their bearer headers."""
    headers = login(client, f"{10000 + window}")
    r = client.post(f"/api/windows/{window}/sign-in", json={"role": "A"}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


# ---- the hall under test -----------------------------------------------------------------


class Hall:
    """A running hall server on a real broker, and the devices a test connected to it."""

    def __init__(self, kind: str, settings: Settings, secrets: Path,
                 broker: MosquittoServer | None, tmp_path: Path) -> None:
        self.kind = kind
        self.settings = settings
        self.broker = broker
        self.tmp_path = tmp_path
        self._secrets = SecretSource(secrets)
        self._devices: list[DeviceClient] = []
        self.app: FastAPI
        self.client: TestClient
        self._client: TestClient | None = None

    def start_server(self) -> None:
        """Build the app on the hall's database and start it (the lifespan starts the bus)."""
        assert self._client is None, "already running"
        self.app = create_app(self.settings)
        seed_users(self.services)  # idempotent
        client = TestClient(self.app)
        client.__enter__()
        self.client = self._client = client
        self.wait_server_connected()

    def stop_server(self) -> None:
        """Stop the app cleanly: offline status, DISCONNECT (a persistent session stays)."""
        if self._client is not None:
            client, self._client = self._client, None
            client.__exit__(None, None, None)

    def restart_server(self) -> None:
        self.stop_server()
        self.start_server()

    def stop_server_keeping_port(self) -> None:
        """Stop the app; an embedded broker comes back on the same port (devices keep it)."""
        if self.settings.mqtt_url is None:
            self.settings = self.settings.model_copy(update={"mqtt_port": self.port})
        self.stop_server()

    # ---- the server ------------------------------------------------------------------------

    @property
    def services(self) -> Any:
        return self.app.state.services

    @property
    def runtime(self) -> BusRuntime:
        runtime = self.app.state.bus
        assert runtime is not None
        return runtime

    @property
    def port(self) -> int:
        return self.runtime.port

    @property
    def server_connected(self) -> bool:
        bus = self.runtime.bus
        return bus is not None and bus.connected.is_set()

    def wait_server_connected(self, timeout: float = CONNECT_TIMEOUT) -> None:
        wait_until(lambda: self.server_connected, timeout, "hall server connected to broker")

    def sync_idle(self) -> None:
        """Wait until the display sync has published every committed change."""
        sync = self.runtime.sync
        assert sync is not None
        assert sync.wait_idle(10.0), "display sync did not go idle"

    def stats(self) -> dict[str, dict[str, int]]:
        return self.runtime.stats.snapshot()

    def rejected(self, reason: str) -> int:
        return self.stats()["rejected"].get(reason, 0)

    def password(self, device_id: str) -> str:
        value = self._secrets.get(device_id)
        assert value is not None, device_id
        return value

    # ---- devices -----------------------------------------------------------------------------

    def identity(self, device_id: str, *, keepalive: int = 15) -> DeviceIdentity:
        info = self.services.devices.known[device_id]
        return DeviceIdentity(hall=HALL, type=DeviceType(info.type), id=device_id,
                              password=self.password(device_id), host="127.0.0.1",
                              port=self.port, keepalive=keepalive)

    def device(self, device_id: str, *, keepalive: int = 15, outbox: Path | str = ":memory:",
               inbox: Inbox | None = None, wait: bool = True,
               **kw: Any) -> DeviceClient:
        """A started DeviceClient (connected unless wait=False); stopped at teardown.

        With `inbox`, every command and state the device receives is recorded there."""
        if inbox is not None:
            kw["on_command"] = inbox.on_command
        client = DeviceClient(self.identity(device_id, keepalive=keepalive), outbox=outbox,
                              **kw)
        client.start()
        self._devices.append(client)
        if wait:
            assert client.connected.wait(CONNECT_TIMEOUT), f"{device_id} did not connect"
        return client

    def close_devices(self) -> None:
        for client in self._devices:
            if client._threads:  # still running (not stopped or killed by the test)
                client.stop(timeout=1.0)
        self._devices.clear()
