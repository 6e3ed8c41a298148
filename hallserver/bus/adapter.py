"""The hall server's MQTT client (paho-mqtt 2.x).

- Subscribes in `on_connect` (so every reconnect subscribes again), persistent session
  (`clean_session=False`): while the server is away the broker keeps device events for it.
- Callbacks never block: `on_message` only queues; a worker thread applies each message and
  acknowledges it (manual PUBACK) after the effect and its id are committed. An ack is only
  sent on the connection the message came on (a message id means nothing on the next one;
  the broker redelivers unacknowledged messages after a reconnect).
- A retained `offline` will on `hall/{hall}/server/status`; `online` is published on connect.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.exc import OperationalError

from devices.protocol import messages as m
from devices.protocol.catalog import encode
from devices.protocol.topics import Topic, server_status, server_subscriptions
from devices.runtime.sockets import no_delay
from hallserver.bus.dispatch import Dispatcher
from hallserver.domain.privacy import mask_personal

logger = logging.getLogger(__name__)

SERVER_USERNAME = "hallserver"


@dataclass(frozen=True)
class BrokerLink:
    """Where and how the hall server connects."""

    host: str
    port: int
    username: str = SERVER_USERNAME
    password: str = ""
    keepalive: int = 15

    def __repr__(self) -> str:
        return f"BrokerLink({self.username}@{self.host}:{self.port})"


@dataclass(frozen=True, slots=True)
class _Inbound:
    topic: str
    payload: bytes
    retain: bool
    mid: int
    qos: int
    generation: int


class HallBus:
    """Connects the hall server to the broker: inbound worker, outbound publish."""

    def __init__(self, hall_id: str, link: BrokerLink) -> None:
        self.hall_id = hall_id
        self.link = link
        self.epoch = time.time_ns() // 1_000_000
        self.dispatcher: Dispatcher | None = None
        self.connected = threading.Event()
        self._generation = 0
        self._inbox: queue.Queue[_Inbound | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._hooks: list[Callable[[], None]] = []
        self._stopping = False
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=link.username,
                             clean_session=False, protocol=mqtt.MQTTv311)
        client.username_pw_set(link.username, link.password)
        client.manual_ack_set(True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_queued_messages_set(0)
        client.max_inflight_messages_set(100)
        will = m.ServerStatus(state=m.Presence.OFFLINE, epoch=self.epoch)
        client.will_set(str(server_status(hall_id)), encode(will), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_socket_open = no_delay
        self.client = client

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self, dispatcher: Dispatcher,
              on_connect: Sequence[Callable[[], None]] = ()) -> None:
        """Start the worker and connect in the background (reconnecting forever)."""
        self.dispatcher = dispatcher
        self._hooks = list(on_connect)
        self._worker = threading.Thread(target=self._work, name="bus-inbound", daemon=True)
        self._worker.start()
        self.client.connect_async(self.link.host, self.link.port, self.link.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        """Say offline, disconnect cleanly, stop the threads."""
        self._stopping = True
        if self.connected.is_set():
            info = self.client.publish(
                str(server_status(self.hall_id)),
                encode(m.ServerStatus(state=m.Presence.OFFLINE, epoch=self.epoch)),
                qos=1, retain=True)
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()
        self._inbox.put(None)
        if self._worker is not None:
            self._worker.join(timeout=10)

    # ---- publishing -----------------------------------------------------------------------

    def publish(self, topic: Topic, message: m.Message, *, retain: bool = False) -> None:
        """Publish at QoS 1 (queued by paho while disconnected, sent on reconnect)."""
        self.client.publish(str(topic), encode(message), qos=1, retain=retain)

    def clear(self, topic: Topic) -> None:
        """Delete a retained message."""
        self.client.publish(str(topic), b"", qos=1, retain=True)

    # ---- paho callbacks: never block, never raise -------------------------------------------

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object,
                    reason: ReasonCode, _props: object) -> None:
        if reason.is_failure:
            logger.warning("broker refused the hall server: %s", reason)
            return
        self._generation += 1
        client.subscribe([(f, 1) for f in server_subscriptions(self.hall_id)])
        online = m.ServerStatus(state=m.Presence.ONLINE, epoch=self.epoch)
        client.publish(str(server_status(self.hall_id)), encode(online), qos=1, retain=True)
        self.connected.set()
        logger.info("hall server connected to %s:%d", self.link.host, self.link.port)
        for hook in self._hooks:
            try:
                hook()
            except Exception:
                logger.exception("on-connect hook failed")

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object,
                       reason: ReasonCode, _props: object) -> None:
        self.connected.clear()
        self._generation += 1
        if self._stopping:
            logger.info("hall server disconnected from the broker")
        else:
            logger.warning("hall server lost the broker (%s); reconnecting", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: object,
                    msg: mqtt.MQTTMessage) -> None:
        self._inbox.put(_Inbound(msg.topic, bytes(msg.payload), bool(msg.retain), msg.mid, msg.qos,
                                 self._generation))

    # ---- the worker ---------------------------------------------------------------------------

    def _work(self) -> None:
        while (item := self._inbox.get()) is not None:
            self._handle(item)

    def _handle(self, item: _Inbound) -> None:
        assert self.dispatcher is not None
        delay = 0.2
        while True:
            try:
                self.dispatcher.handle(item.topic, item.payload, item.retain)
                break
            except OperationalError:
                # The database is unreachable: keep the message (no ack) and retry.
                logger.exception("database error handling %s; retrying",
                                 mask_personal(item.topic[:100]))
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                if item.generation != self._generation:
                    return  # the broker will redeliver it on the new connection
            except Exception:
                logger.exception("handler failed for %s; message dropped",
                                 mask_personal(item.topic[:100]))
                break
        if item.qos > 0 and item.generation == self._generation:
            rc = self.client.ack(item.mid, item.qos)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                logger.debug("ack of %d not sent (%s)", item.mid, rc)
