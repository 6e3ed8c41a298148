"""The one MQTT client every device app uses.

- Birth and will: `status` is retained `online` on every connect and `offline` (the will,
  or a clean shutdown), each with a per-connection epoch that only grows.
- Events go through a persistent outbox (`emit`): stored first, published at QoS 1, removed
  only when the broker acknowledged them; a restart publishes what is left.
- Reconnects with jittered exponential backoff, capped near 30 s (a hall's devices do not
  all come back in the same second after a broker restart).
- `request` publishes a request and waits, with a timeout, for the reply with its
  `request_id`. Commands and state reach the app on a dispatcher thread, never on the
  network thread; retained commands are dropped and state older than the newest seen is
  ignored.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from devices.config.models import DeviceBase
from devices.protocol import messages as m
from devices.protocol.catalog import DecodeError, decode, encode
from devices.protocol.topics import (
    DeviceType,
    Kind,
    Topic,
    TopicError,
    device_subscriptions,
    evt,
    parse,
    status,
)
from devices.runtime.outbox import Outbox
from devices.runtime.sockets import no_delay

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Topic, m.Message], None]


class RequestTimeout(TimeoutError):
    """No reply within the deadline (server or broker unreachable)."""


@dataclass(frozen=True)
class DeviceIdentity:
    """Who the device is and where its broker is; the username is the device id."""

    hall: str
    type: DeviceType
    id: str
    password: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 1883
    keepalive: int = 15
    tls: bool = False
    ca_file: str | None = None  # PEM bundle of the broker's CA; None = the system CAs

    @classmethod
    def of(cls, config: DeviceBase) -> DeviceIdentity:
        """The MQTT identity of a device config (user name = device id)."""
        return cls(hall=config.hall, type=config.device_type, id=config.id,
                   password=config.mqtt.password.get_secret_value(), host=config.mqtt.host,
                   port=config.mqtt.port, keepalive=config.mqtt.keepalive_s,
                   tls=config.mqtt.tls, ca_file=config.mqtt.ca_file)


class Backoff:
    """Exponential backoff with jitter: each delay is drawn from [d/2, d], d doubling up to
    the cap."""

    def __init__(self, first: float = 0.5, cap: float = 30.0,
                 rng: random.Random | None = None) -> None:
        self.first, self.cap = first, cap
        self.attempt = 0
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)

    def next(self) -> float:
        """The next delay in seconds."""
        ceiling = min(self.cap, self.first * 2 ** self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """After a successful connection."""
        self.attempt = 0


class DeviceClient:
    """A device's connection to the hall: presence, outbox, requests, commands, state."""

    def __init__(self, identity: DeviceIdentity, *, outbox: Outbox | Path | str = ":memory:",
                 on_command: CommandHandler | None = None, software: str | None = None,
                 config_version: int | None = None, backoff: Backoff | None = None) -> None:
        self.identity = identity
        self.outbox = outbox if isinstance(outbox, Outbox) else Outbox(outbox)
        self.on_command = on_command
        self.software = software
        self.config_version = config_version
        self.backoff = backoff or Backoff()
        self.connected = threading.Event()
        self.server_online: bool | None = None
        self.epoch = 0
        self.connections = 0
        self.dropped: Counter[str] = Counter()
        self.states: dict[str, m.Message] = {}
        self._stop = threading.Event()
        self._closing = threading.Event()
        self._replies: dict[str, tuple[threading.Event, list[m.Message]]] = {}
        self._replies_lock = threading.Lock()
        self._apps: queue.Queue[tuple[Topic, m.Message] | None] = queue.Queue()
        self._acked: queue.Queue[int] = queue.Queue()
        self._published_upto = 0
        self._pump_wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=identity.id,
                             clean_session=True, protocol=mqtt.MQTTv311)
        client.username_pw_set(identity.id, identity.password)
        if identity.tls:
            client.tls_set(ca_certs=identity.ca_file)  # verifies the broker's certificate
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_socket_open = no_delay
        self.client = client

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (in the background, forever) and pumping the outbox."""
        self._stop.clear()
        self._closing.clear()
        for name, target in (("net", self._run_network), ("apps", self._run_apps),
                             ("outbox", self._run_pump)):
            t = threading.Thread(target=target, name=f"{self.identity.id}-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, *, timeout: float = 3.0) -> None:
        """Shut down: say offline (retained), disconnect, stop the threads."""
        self._closing.set()
        if self.connected.is_set():
            info = self.client.publish(str(self._status_topic), encode(self._status("offline")),
                                       qos=1, retain=True)
            self._wait_sent(info, timeout)
            self.client.disconnect()
        self._stop.set()
        self._apps.put(None)
        with self._pump_wake:
            self._pump_wake.notify()
        for t in self._threads:
            t.join(timeout=timeout)
        self._threads.clear()
        self.outbox.close()

    def kill(self) -> None:
        """Drop the connection without a goodbye (the broker sends the will): for tests."""
        self._stop.set()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
        self._apps.put(None)
        with self._pump_wake:
            self._pump_wake.notify()
        for t in self._threads:
            t.join(timeout=3)
        self._threads.clear()
        self.outbox.close()

    def _wait_sent(self, info: mqtt.MQTTMessageInfo, timeout: float) -> None:
        # wait_for_publish would spin forever if the loop thread had already ended
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if info.is_published() or not self.connected.is_set():
                return
            time.sleep(0.05)

    # ---- what apps call -----------------------------------------------------------------------

    def emit(self, name: str, message: m.Message) -> int:
        """Send an event reliably: stored in the outbox now, delivered when possible."""
        seq = self.outbox.add(str(self._evt(name)), encode(message))
        with self._pump_wake:
            self._pump_wake.notify()
        return seq

    def send(self, name: str, message: m.Message) -> None:
        """Publish an interactive request now (QoS 1), not stored in the outbox: it must not
        outlive the screen that asked (a kiosk restarted mid-request would otherwise take a
        number for nobody). The app resends it, same request_id, until answered."""
        self.client.publish(str(self._evt(name)), encode(message), qos=1)

    def request(self, name: str, message: m.Message, *, timeout: float = 5.0) -> m.Message:
        """Publish a request (with `request_id`) and wait for the reply that echoes it."""
        request_id = str(getattr(message, "request_id"))  # noqa: B009
        done = threading.Event()
        box: list[m.Message] = []
        with self._replies_lock:
            self._replies[request_id] = (done, box)
        try:
            self.client.publish(str(self._evt(name)), encode(message), qos=1)
            if not done.wait(timeout):
                raise RequestTimeout(f"no reply to {name} within {timeout:.1f}s")
            return box[0]
        finally:
            with self._replies_lock:
                self._replies.pop(request_id, None)

    def state(self) -> m.Message | None:
        """The newest state the server published for this device."""
        return self.states.get("state")

    # ---- network thread -----------------------------------------------------------------------

    @property
    def _status_topic(self) -> Topic:
        i = self.identity
        return status(i.hall, i.type, i.id)

    def _evt(self, name: str) -> Topic:
        i = self.identity
        return evt(i.hall, i.type, i.id, name)

    def _status(self, state: str) -> m.DeviceStatus:
        return m.DeviceStatus(state=m.Presence(state), epoch=self.epoch,
                              config_version=self.config_version, software=self.software)

    def _run_network(self) -> None:
        i = self.identity
        while not self._stop.is_set():
            self.epoch = self.outbox.next_epoch()
            self.client.will_set(str(self._status_topic), encode(self._status("offline")),
                                 qos=1, retain=True)
            try:
                self.client.connect(i.host, i.port, i.keepalive)
            except OSError as exc:
                delay = self.backoff.next()
                logger.info("%s: broker unreachable (%s); retry in %.1fs", i.id,
                            type(exc).__name__, delay)
                self._stop.wait(delay)
                continue
            rc = MQTTErrorCode.MQTT_ERR_SUCCESS
            while not self._stop.is_set() and rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                rc = self.client.loop(timeout=0.2)
            if self._stop.is_set() or self._closing.is_set():
                # stop() sent DISCONNECT: let the loop flush it.
                for _ in range(5):
                    if self.client.loop(timeout=0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                        break
                return
            self.connected.clear()
            delay = self.backoff.next()
            logger.info("%s: connection lost (%s); reconnect in %.1fs", i.id, rc, delay)
            self._stop.wait(delay)

    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode,
                    _p: object) -> None:
        if reason.is_failure:
            logger.warning("%s: broker refused the connection: %s", self.identity.id, reason)
            return
        self.backoff.reset()
        self.connections += 1
        i = self.identity
        client.subscribe([(f, 1) for f in device_subscriptions(i.hall, i.type, i.id)])
        client.publish(str(self._status_topic), encode(self._status("online")), qos=1,
                       retain=True)
        self.connected.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: object, _f: object, _r: ReasonCode,
                       _p: object) -> None:
        self.connected.clear()

    def _on_publish(self, _c: mqtt.Client, _u: object, mid: int, _r: ReasonCode,
                    _p: object) -> None:
        # Only queue: the pump thread maps the mid to its outbox row (no lock shared with
        # paho's own mutexes, which are held while this callback runs).
        self._acked.put(mid)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = parse(msg.topic)
            if topic.kind is Kind.CMD and msg.retain:
                self.dropped["retained-command"] += 1  # would replay a press on reconnect
                return
            if not msg.payload:
                return  # a cleared retained message
            message = decode(topic, bytes(msg.payload))
        except (TopicError, DecodeError) as exc:
            self.dropped[getattr(exc, "reason", "bad-topic")] += 1
            logger.warning("%s: dropped a message on %s: %s", self.identity.id,
                           msg.topic[:80], exc)
            return
        if topic.is_server:
            assert isinstance(message, m.ServerStatus)
            self.server_online = message.state == m.Presence.ONLINE
            return
        request_id = getattr(message, "request_id", None)
        if request_id is not None:
            with self._replies_lock:
                waiting = self._replies.get(request_id)
            if waiting is not None:
                waiting[1].append(message)
                waiting[0].set()
                return
        if topic.kind is Kind.STATE:
            old = self.states.get("state")
            if old is not None and getattr(old, "version", -1) >= getattr(message, "version", 0):
                self.dropped["old-state"] += 1
                return
            self.states["state"] = message
        self._apps.put((topic, message))

    # ---- worker threads -------------------------------------------------------------------------

    def _run_apps(self) -> None:
        while (item := self._apps.get()) is not None:
            if self.on_command is None:
                continue
            try:
                self.on_command(*item)
            except Exception:
                logger.exception("%s: command handler failed", self.identity.id)

    def _run_pump(self) -> None:
        inflight: dict[int, int] = {}  # paho mid -> outbox seq
        while not self._stop.is_set():
            while not self._acked.empty():
                seq = inflight.pop(self._acked.get_nowait(), None)
                if seq is not None:  # other mids are requests and presence
                    self.outbox.remove(seq)
            rows = self.outbox.pending(after=self._published_upto, limit=200)
            for seq, topic, payload in rows:
                inflight[self.client.publish(topic, payload, qos=1).mid] = seq
                self._published_upto = seq
            with self._pump_wake:
                if self._acked.empty() and not rows:
                    self._pump_wake.wait(timeout=0.2)
