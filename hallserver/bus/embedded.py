"""The embedded MQTT broker: amqtt 0.12 on loopback, with our own login check and ACL.

`EmbeddedBroker(hall_id, accounts).start()` runs an amqtt broker in its own thread and event
loop and returns once it listens. It is the zero-setup default for one hall; production halls
run Mosquitto (`hallserver.bus.mosquitto`), which enforces the same accounts and ACL.

What the configuration does, and why (amqtt's defaults are unsafe, see shared PLATFORM.md):

* one TCP listener, bound to `host` only (loopback by default; amqtt's default is 0.0.0.0);
* no anonymous login, no `$SYS` plugin, no packet logger (it would log CONNECT packets,
  passwords included): the only plugins are `HallAuthPlugin` and `HallAclPlugin` below;
* `HallAuthPlugin` checks username/password against the accounts. Passwords are held only as
  salted PBKDF2 hashes and compared in constant time. A client whose client id differs from
  its username is refused, so one device cannot kick another off by borrowing its id;
* `HallAclPlugin` enforces `hallserver.bus.accounts.acl_for` (the rules of
  `devices.protocol.topics`) per username: publish (write rules; also the will topic),
  subscribe (allowed when the filter can match a topic of a read rule) and delivery (each
  message, retained ones included, only when a read rule matches its topic).

amqtt 0.12.1 needs these fixes for that to hold, made in `_HallBroker` (a `Broker` subclass)
and `_HallProtocolHandler` (its per-connection protocol handler):

1. It deletes or takes over the existing session of a client id *before* it checks the login,
   so any connection attempt with a victim's client id (even with a wrong password) dropped
   the victim's subscriptions. Here the login and the will topic are checked first and a
   refused connection touches no session; an accepted one takes the old connection over.
2. It sends retained messages on SUBSCRIBE without the delivery check, and on every connect
   it sends the retained messages of every subscription in the broker (anyone's), so a device
   could read every display's state. Here only the session's own subscriptions count and
   each retained message passes the delivery check.
3. Its topic check goes through the plugin manager with an `await` that yields while the
   broadcast loop iterates the subscription table; a subscription added meanwhile aborts that
   broadcast. Here the check is made without yielding.
4. It publishes a will without checking the will topic; here a will topic the account may not
   write refuses the connection (Mosquitto instead drops such a will when it would be sent).
5. In its QoS 1/2 flows it registers the waiter for PUBACK/PUBREC/PUBREL/PUBCOMP only after
   the packet that provokes it has been written; an answer that arrives in between was
   dropped ("unknown pending message"), so the flow timed out (QoS 1: an error 5 s later;
   QoS 2 towards a subscriber: no PUBREL, so the client never hands the message over; QoS 2
   from a client: the message never reaches subscribers). Here such an early answer is kept
   (for a packet id that is in flight, for a few seconds) and completes the waiter when it
   is registered.
6. On a PUBLISH to an empty, wildcard or `$`-prefixed topic it leaves the connection's
   message loop but keeps the connection: it went on acknowledging the client's messages and
   dropping them, and the will never went out, so a device that then died still looked
   online. Here such a PUBLISH (a protocol error) closes the connection as a broken one: the
   will is published and the device's runtime reconnects.
7. It takes a PUBLISH of any size. Here one larger than the protocol's largest message
   (`MAX_PACKET_BYTES`, as Mosquitto's `max_packet_size`) closes the connection the same
   way, and nothing of it is kept or forwarded.
8. Its queue for a disconnected persistent client has no bound. Here it holds at most
   `MAX_QUEUED_MESSAGES` messages and `MAX_QUEUED_BYTES` bytes, as Mosquitto's; past them
   new messages are dropped (one stolen device password cannot fill the server's memory
   while the hall server is away).
9. (ours, with `hold_devices_until_server`) A broker that starts with the hall server has no
   session of the server yet: a device reconnecting first had its queued events
   acknowledged and dropped (no subscriber). Such a broker refuses devices (CONNACK "server
   unavailable": they retry) until the server's account has subscribed.

Retained messages and sessions live in memory: they are lost when the broker stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import Any, Literal, Self

from amqtt.broker import Broker  # type: ignore[import-untyped]
from amqtt.contexts import (  # type: ignore[import-untyped]
    Action,
    BrokerConfig,
    ListenerConfig,
    ListenerType,
)
from amqtt.errors import AMQTTError, MQTTError, NoDataError  # type: ignore[import-untyped]
from amqtt.mqtt.connack import (  # type: ignore[import-untyped]
    NOT_AUTHORIZED,
    SERVER_UNAVAILABLE,
    ConnackPacket,
)
from amqtt.mqtt.protocol.broker_handler import (  # type: ignore[import-untyped]
    BrokerProtocolHandler,
)
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin  # type: ignore[import-untyped]
from amqtt.session import Session  # type: ignore[import-untyped]

from devices.protocol.topics import topic_matches
from hallserver.bus.accounts import BrokerAccount, acl_for, check_accounts
from hallserver.bus.mosquitto import (
    MAX_PACKET_BYTES,
    MAX_QUEUED_BYTES,
    MAX_QUEUED_MESSAGES,
    mosquitto_password_hash,
    verify_mosquitto_password,
)

logger = logging.getLogger(__name__)

HASH_ITERATIONS = 20_000
"""Cost of the in-memory `$7$` (PBKDF2-SHA512, Mosquitto's format) password hashes; each
hash records its own, so Mosquitto's files and these share one verifier."""
DEFAULT_STARTUP_TIMEOUT_S = 10.0
DEFAULT_STOP_TIMEOUT_S = 10.0
# How long a fixed port still in use is retried. A client reconnecting to a just-closed
# loopback port in the ephemeral range can even connect to itself and hold the port until
# its keepalive gives up (tests pick ephemeral ports; production uses 1883).
BIND_RETRY_S = 30.0
_TAKEOVER_WAIT_S = 2.0
_AUTHENTICATED = "onewindow.authenticated"
"""Session attribute: the login (and will topic) passed in `_initialize_client_session`."""
_EARLY_ACK_TTL_S = 5.0
"""How long an answer that came before its waiter is kept (amqtt's own ack timeout)."""
_EARLY_ACK_MAX = 1024
_QUIET_LOGGERS = ("amqtt", "transitions")
"""Loggers set to WARNING (unless already configured): amqtt logs every connection at INFO."""


SHUTDOWN_GRACE_S = 4.0


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not start or stop."""


# ---------------------------------------------------------------- password hashes


def _hash(password: str) -> str:
    """A salted `$7$` hash at this broker's cost (read at call time)."""
    return mosquitto_password_hash(password, iterations=HASH_ITERATIONS)


@cache
def _dummy_hash() -> str:
    """Checked for unknown usernames, so they take as long as known ones."""
    return _hash(secrets.token_urlsafe(16))


# ---------------------------------------------------------------- ACL


def filters_overlap(a: str, b: str) -> bool:
    """Whether some topic matches both MQTT filters `a` and `b`."""
    ap, bp = a.split("/"), b.split("/")
    for i in range(max(len(ap), len(bp))):
        x = ap[i] if i < len(ap) else None
        y = bp[i] if i < len(bp) else None
        if x == "#" or y == "#":
            return True
        if x is None or y is None:
            return False
        if x not in {"+", y} and y != "+":
            return False
    return True


def _concrete(topic: str) -> bool:
    return bool(topic) and not topic.startswith("$") and not any(c in topic for c in "+#\0")


@dataclass(frozen=True)
class AclTable:
    """Per-username read and write filters (`%u` already substituted)."""

    read: Mapping[str, tuple[str, ...]]
    write: Mapping[str, tuple[str, ...]]

    @classmethod
    def for_accounts(cls, hall_id: str, accounts: Iterable[BrokerAccount]) -> AclTable:
        """The table of `acl_for(account, hall_id)` for every account."""
        read: dict[str, tuple[str, ...]] = {}
        write: dict[str, tuple[str, ...]] = {}
        for account in check_accounts(accounts):
            rules = acl_for(account, hall_id)
            read[account.username] = tuple(
                r.pattern for r in rules if r.access in {"read", "readwrite"}
            )
            write[account.username] = tuple(
                r.pattern for r in rules if r.access in {"write", "readwrite"}
            )
        return cls(read, write)

    def may_publish(self, username: str | None, topic: str) -> bool:
        """A concrete topic the user may publish to (will topics included)."""
        if not username or not _concrete(topic):
            return False
        return any(topic_matches(f, topic) for f in self.write.get(username, ()))

    def may_receive(self, username: str | None, topic: str) -> bool:
        """Whether a message on `topic` may be delivered to the user."""
        if not username or not _concrete(topic):
            return False
        return any(topic_matches(f, topic) for f in self.read.get(username, ()))

    def may_subscribe(self, username: str | None, topic_filter: str) -> bool:
        """A filter that can match some readable topic (delivery is checked per message)."""
        if not username or not topic_filter or topic_filter.startswith("$"):
            return False
        return any(filters_overlap(f, topic_filter) for f in self.read.get(username, ()))

    def allows(self, username: str | None, topic: str | None, action: Action) -> bool:
        """The check for one amqtt action (PUBLISH, SUBSCRIBE, RECEIVE); False otherwise."""
        if topic is None:
            return False
        if action == Action.PUBLISH:
            return self.may_publish(username, topic)
        if action == Action.RECEIVE:
            return self.may_receive(username, topic)
        if action == Action.SUBSCRIBE:
            return self.may_subscribe(username, topic)
        return False


# ---------------------------------------------------------------- amqtt plugins


class HallAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    """Username/password login against salted hashes; the client id must be the username."""

    @dataclass
    class Config:
        """`users`: username -> `$7$` hash (`_hash`). Never plaintext."""

        users: dict[str, str] = field(default_factory=dict)

    async def authenticate(self, *, session: Session) -> bool:
        """True only for a known user with the right password and client id == username."""
        config: HallAuthPlugin.Config = self.config
        username = session.username
        password = session.password
        if isinstance(password, bytes | bytearray):
            password = bytes(password).decode("utf-8", "replace")
        if not username or not password:
            return False
        stored = config.users.get(username)
        # Hash even for unknown users and borrowed client ids: timing tells nothing.
        ok = await asyncio.to_thread(verify_mosquitto_password, password,
                                       stored or _dummy_hash())
        return ok and stored is not None and session.client_id == username


class HallAclPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """The hall's ACL for publish, subscribe and delivery (`AclTable`)."""

    @dataclass
    class Config:
        """username -> topic filters it may read / write (from `acl_for`)."""

        read: dict[str, list[str]] = field(default_factory=dict)
        write: dict[str, list[str]] = field(default_factory=dict)

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        config: HallAclPlugin.Config = self.config
        self.table = AclTable(
            {user: tuple(filters) for user, filters in config.read.items()},
            {user: tuple(filters) for user, filters in config.write.items()},
        )

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool:
        """Allowed by the ACL table (unknown sessions and actions are denied)."""
        if session is None or action is None:
            return False
        return self.table.allows(session.username, topic, action)


# ---------------------------------------------------------------- protocol handler


class _AckWaiters(dict[int, "asyncio.Future[Any]"]):
    """Waiters by packet id that also hold answers which came before their waiter (fix 5)."""

    def __init__(self) -> None:
        super().__init__()
        self.early: OrderedDict[int, tuple[float, Any]] = OrderedDict()

    def keep_early(self, packet_id: int, packet: Any) -> None:
        """Remember an answer that has no waiter yet."""
        self.early[packet_id] = (time.monotonic(), packet)
        self.early.move_to_end(packet_id)
        while len(self.early) > _EARLY_ACK_MAX:
            self.early.popitem(last=False)

    def __setitem__(self, packet_id: int, waiter: asyncio.Future[Any]) -> None:
        super().__setitem__(packet_id, waiter)
        kept = self.early.pop(packet_id, None)
        fresh = kept is not None and time.monotonic() - kept[0] <= _EARLY_ACK_TTL_S
        if kept is not None and fresh and not waiter.done():
            waiter.set_result(kept[1])


class _HallProtocolHandler(BrokerProtocolHandler):  # type: ignore[misc]
    """amqtt's broker-side protocol handler, keeping QoS answers that beat their waiter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timed_out = False
        self._puback_waiters = _AckWaiters()
        self._pubrec_waiters = _AckWaiters()
        self._pubrel_waiters = _AckWaiters()
        self._pubcomp_waiters = _AckWaiters()

    def handle_read_timeout(self) -> None:
        """Nothing heard for 1.5 x keepalive: the client is lost (amqtt 0.12 does nothing
        here, so a silent device stayed "connected" and its will never went out)."""
        if not self._timed_out:
            self._timed_out = True
            task = asyncio.ensure_future(self.handle_connection_closed())
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    def _kept_early(self, waiters: _AckWaiters, packet_id: int | None, packet: Any,
                    in_flight: Literal["out", "in", "unchecked"]) -> bool:
        """Keep `packet` if nothing waits for it yet but its message is in flight."""
        if packet_id is None or packet_id in waiters or self.session is None:
            return False
        if in_flight == "out" and packet_id not in self.session.inflight_out:
            return False
        if in_flight == "in" and packet_id not in self.session.inflight_in:
            return False
        waiters.keep_early(packet_id, packet)
        return True

    async def handle_puback(self, puback: Any) -> None:
        header = puback.variable_header
        packet_id = header.packet_id if header is not None else None
        if not self._kept_early(self._puback_waiters, packet_id, puback, "out"):
            await super().handle_puback(puback)

    async def handle_pubrec(self, pubrec: Any) -> None:
        if not self._kept_early(self._pubrec_waiters, pubrec.packet_id, pubrec, "out"):
            await super().handle_pubrec(pubrec)

    async def handle_pubrel(self, pubrel: Any) -> None:
        if not self._kept_early(self._pubrel_waiters, pubrel.packet_id, pubrel, "in"):
            await super().handle_pubrel(pubrel)

    async def handle_pubcomp(self, pubcomp: Any) -> None:
        # amqtt drops the message from inflight_out before it sends PUBREL, so a PUBCOMP
        # cannot be checked against it; the time limit bounds a stray one.
        if not self._kept_early(self._pubcomp_waiters, pubcomp.packet_id, pubcomp, "unchecked"):
            await super().handle_pubcomp(pubcomp)


# ---------------------------------------------------------------- the broker


_SERVER_NOT_READY = "the hall server has not subscribed yet"


def _packet_size(message: Any) -> int:
    """About the size of a PUBLISH packet: payload, topic, packet id, fixed header."""
    data = getattr(message, "data", None) or b""
    topic = getattr(message, "topic", None) or ""
    return len(data) + len(topic.encode()) + 9


class _HallBroker(Broker):  # type: ignore[misc]
    """amqtt's Broker with fixes 1-4 and 6 of the module docstring (5 is in the handler)."""

    def __init__(self, config: BrokerConfig) -> None:
        super().__init__(config)
        plugin = self.plugins_manager.get_plugin(HallAclPlugin.__name__)
        if not isinstance(plugin, HallAclPlugin):
            raise EmbeddedBrokerError("the hall ACL plugin did not load")
        self._acl = plugin.table
        self._side_tasks: set[asyncio.Task[Any]] = set()
        # Bytes put in an offline client's queue since it was last empty (an upper bound),
        # by client id (amqtt's sessions are not hashable), and whose queue is full.
        self._queued_bytes: dict[str, int] = {}
        self._queue_full: set[str] = set()
        # Fix 9: devices wait until the hall server has subscribed (when set).
        self.hold_devices_for: frozenset[str] = frozenset()
        self._server_subscribed = False

    async def _topic_filtering(self, session: Session, topic: str, action: Action) -> bool:
        # Fix 3: no await here, so callers iterating the subscription table never yield.
        return self._acl.allows(session.username, topic, action)

    async def _authenticate(self, session: Session, _listener: Any) -> bool:
        # The real check ran in `_initialize_client_session`; this is amqtt's later call.
        return bool(session.attributes.pop(_AUTHENTICATED, False))

    async def _check_login(self, session: Session) -> str | None:
        """Why the connection is refused, or None when it may proceed."""
        results = await self.plugins_manager.map_plugin_auth(session=session)
        if not results or not all(result is True for result in results.values()):
            return "bad credentials or client id"
        if session.will_flag and not self._acl.may_publish(
            session.username, session.will_topic or ""
        ):
            return "will topic not allowed"
        if self.hold_devices_for and not self._server_subscribed \
                and session.username not in self.hold_devices_for:
            return _SERVER_NOT_READY
        return None

    async def _handle_subscription(self, client_session: Session,
                                   handler: BrokerProtocolHandler,
                                   subscribe_waiter: asyncio.Future[Any]) -> None:
        await super()._handle_subscription(client_session, handler, subscribe_waiter)
        if client_session.username in self.hold_devices_for and not self._server_subscribed:
            self._server_subscribed = True
            logger.info("the hall server has subscribed: devices may connect")

    async def _initialize_client_session(
        self, reader: Any, writer: Any, remote_address: str, remote_port: int
    ) -> tuple[BrokerProtocolHandler, Session]:
        # Fix 1: check the login before touching any existing session.
        try:
            handler, session = await _HallProtocolHandler.init_from_connect(
                reader, writer, self.plugins_manager
            )
        except MQTTError:
            await _close_quietly(writer)
            raise
        except (AMQTTError, NoDataError):
            raise
        except Exception as exc:  # a reset or undecodable CONNECT: end this connection only
            await _close_quietly(writer)
            raise AMQTTError(f"bad CONNECT from {remote_address}:{remote_port}: {exc!r}") from exc

        refusal = await self._check_login(session)
        if refusal is not None:
            code = SERVER_UNAVAILABLE if refusal == _SERVER_NOT_READY else NOT_AUTHORIZED
            with contextlib.suppress(Exception):
                await ConnackPacket.build(0, code).to_stream(writer)
            await _close_quietly(writer)
            raise MQTTError(
                f"refused client id {str(session.client_id)[:64]!r} "
                f"(user {str(session.username)[:64]!r}) from {remote_address}: {refusal}"
            )
        session.password = None  # do not keep the plaintext around

        client_id: str = session.client_id
        existing: tuple[Session, BrokerProtocolHandler] | None = self._sessions.get(client_id)
        if existing is not None:
            await self._take_over(*existing)
        if session.clean_session or existing is None:
            if existing is not None:
                await self._delete_session(client_id)
            session.parent = 0
        else:  # resume the persistent session with this connection's will and keep-alive
            old = existing[0]
            for name in ("will_flag", "will_message", "will_topic", "will_qos", "will_retain"):
                setattr(old, name, getattr(session, name))
            old.keep_alive = session.keep_alive
            old.username = session.username
            old.password = None
            old.remote_address, old.remote_port = session.remote_address, session.remote_port
            session = old
            session.parent = 1
        session.attributes[_AUTHENTICATED] = True
        delay = self.config.get("timeout-disconnect-delay", 0)
        if session.keep_alive > 0 and isinstance(delay, int):
            # MQTT 3.1.1 3.1.2.10: the server may drop a client after 1.5 x keepalive of
            # silence; the reader's timeout is this value (handle_read_timeout above).
            session.keep_alive = -(-session.keep_alive * 3 // 2) + delay
        return handler, session

    async def _handle_message_delivery(self, client_session: Session,
                                       handler: BrokerProtocolHandler,
                                       wait_deliver: asyncio.Future[Any]) -> bool:
        # Fix 7: a message larger than the protocol's largest is refused as Mosquitto's
        # max_packet_size does: the client is disconnected, nothing is kept or forwarded.
        message = wait_deliver.result()
        size = _packet_size(message)
        if size > MAX_PACKET_BYTES:
            logger.warning("client %s published %d bytes (at most %d): connection closed",
                           client_session.client_id, size, MAX_PACKET_BYTES)
        # Fix 6: amqtt answers False for a PUBLISH to an invalid topic and leaves its loop.
        elif await super()._handle_message_delivery(client_session, handler, wait_deliver):
            return True
        else:
            logger.warning("client %s published to an invalid topic: connection closed",
                           client_session.client_id)
        broken: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        broken.set_result(None)  # no DISCONNECT packet: the will goes out
        await self._handle_disconnect(client_session, handler, broken)
        return False

    async def _retain_broadcast_message(self, broadcast: dict[str, Any], qos: int,
                                        target_session: Session) -> None:
        # Fix 8: the queue kept for a disconnected client is bounded as Mosquitto's is
        # (max_queued_messages, max_queued_bytes): past either, new messages are dropped.
        queue = target_session.retained_messages
        client = target_session.client_id
        queued = 0 if queue.qsize() == 0 else self._queued_bytes.get(client, 0)
        size = len(broadcast.get("data") or b"")
        if queue.qsize() >= MAX_QUEUED_MESSAGES or queued + size > MAX_QUEUED_BYTES:
            if client not in self._queue_full:
                logger.warning("queue of offline client %s is full (%d messages, %d bytes): "
                               "dropping new messages", client, queue.qsize(), queued)
                self._queue_full.add(client)
            return
        self._queue_full.discard(client)
        self._queued_bytes[client] = queued + size
        await super()._retain_broadcast_message(broadcast, qos, target_session)

    async def _take_over(self, old: Session, old_handler: BrokerProtocolHandler) -> None:
        """Close the connection that holds this client id and wait until it is disconnected."""
        if not old.transitions.is_connected():
            return
        logger.debug("client %s reconnected: closing its previous connection", old.client_id)
        await old_handler.handle_connection_closed()  # its loop publishes the will and ends
        deadline = time.monotonic() + _TAKEOVER_WAIT_S
        while old.transitions.is_connected() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if old.transitions.is_connected():
            await old_handler.stop()

    async def _publish_retained_messages_for_subscription(
        self, subscription: tuple[str, int], session: Session
    ) -> None:
        # Fix 2: only the session's own subscriptions, only topics it may receive. Nothing
        # here yields (amqtt calls this while iterating the subscription table).
        topic_filter = subscription[0]
        granted = next(
            (qos for s, qos in self._subscriptions.get(topic_filter, ())
             if s.client_id == session.client_id),
            None,
        )
        handler = self._get_handler(session)
        if granted is None or handler is None:
            return
        for topic, retained in list(self._retained_messages.items()):
            if not self._matches(topic, topic_filter) or not self._acl.may_receive(
                session.username, topic
            ):
                continue
            qos = granted if retained.qos is None else min(granted, retained.qos)
            task = asyncio.ensure_future(
                handler.mqtt_publish(topic, retained.data, qos, retain=True)
            )
            self._side_tasks.add(task)
            task.add_done_callback(self._side_task_done)

    def _side_task_done(self, task: asyncio.Task[Any]) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("sending a retained message failed: %r", task.exception())


async def _close_quietly(writer: Any) -> None:
    with contextlib.suppress(Exception):
        await writer.close()


def quiet_amqtt_logging(level: int = logging.WARNING) -> None:
    """Set amqtt's (and its state machine library's) loggers to `level` unless configured."""
    for name in _QUIET_LOGGERS:
        log = logging.getLogger(name)
        if log.level == logging.NOTSET:
            log.setLevel(level)


class EmbeddedBroker:
    """An amqtt broker for one hall, in its own thread; also a context manager.

    `port=0` picks a free port; read the actual one from `.port` after `start()`.
    """

    def __init__(
        self,
        hall_id: str,
        accounts: Iterable[BrokerAccount],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT_S,
        hold_devices_until_server: bool = False,
    ) -> None:
        """`hold_devices_until_server`: refuse device logins (they retry) until a server
        account has subscribed (fix 9): for a broker that starts with the hall server."""
        checked = check_accounts(accounts)
        if not 0 <= port < 65536:
            raise ValueError(f"port {port} out of range")
        self.hall_id = hall_id
        self.host = host
        self.startup_timeout = startup_timeout
        self._requested_port = port
        table = AclTable.for_accounts(hall_id, checked)  # validates hall_id
        self._acl_config = {
            "read": {user: list(filters) for user, filters in table.read.items()},
            "write": {user: list(filters) for user, filters in table.write.items()},
        }
        # Only salted hashes are kept: the accounts (with their passwords) are not stored.
        self._users = {a.username: _hash(a.password) for a in checked}
        self._hold_devices_for = frozenset(
            a.username for a in checked if a.role == "server") \
            if hold_devices_until_server else frozenset()
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        where = f"{self.host}:{self._port}" if self._port is not None else "stopped"
        return f"EmbeddedBroker(hall={self.hall_id!r}, {where}, accounts={len(self._users)})"

    @property
    def port(self) -> int:
        """The port it listens on (raises before `start()`)."""
        if self._port is None:
            raise EmbeddedBrokerError("the embedded broker is not running")
        return self._port

    @property
    def running(self) -> bool:
        """Whether the broker thread is up and listening."""
        return self._port is not None and self._thread is not None and self._thread.is_alive()

    def _bind(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._requested_port}"

    def _config(self) -> BrokerConfig:
        return BrokerConfig(
            listeners={"default": ListenerConfig(type=ListenerType.TCP, bind=self._bind())},
            plugins={
                f"{__name__}.{HallAuthPlugin.__name__}": {"users": dict(self._users)},
                f"{__name__}.{HallAclPlugin.__name__}": self._acl_config,
            },
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Start the broker thread; return once it listens. Raises EmbeddedBrokerError.

        A fixed port still held for a moment (our previous run's port taken as the local
        port of a client socket reconnecting to it, or a restart racing the old listener)
        is retried for up to BIND_RETRY_S before giving up."""
        deadline = time.monotonic() + BIND_RETRY_S
        while True:
            try:
                return self._start_once()
            except EmbeddedBrokerError as exc:
                busy = _address_in_use(exc)
                if not busy or self._requested_port == 0 or time.monotonic() >= deadline:
                    raise
                logger.info("port %d still in use; retrying", self._requested_port)
                time.sleep(0.2)

    def _start_once(self) -> Self:
        if self._thread is not None:
            raise EmbeddedBrokerError(f"{self!r} is already started")
        quiet_amqtt_logging()
        self._ready.clear()
        self._error = None
        thread = threading.Thread(
            target=self._thread_main, name=f"mqtt-broker-{self.hall_id}", daemon=True
        )
        self._thread = thread
        thread.start()
        if not self._ready.wait(self.startup_timeout):
            self._request_stop()
            thread.join(DEFAULT_STOP_TIMEOUT_S)
            self._thread = None
            raise EmbeddedBrokerError(
                f"embedded MQTT broker on {self._bind()} did not start within "
                f"{self.startup_timeout:.0f}s"
            )
        if self._error is not None:
            thread.join(DEFAULT_STOP_TIMEOUT_S)
            self._thread = None
            error = self._error
            cause = error.__cause__ or error
            raise EmbeddedBrokerError(
                f"embedded MQTT broker could not listen on {self._bind()}: {cause}"
            ) from error
        logger.info("embedded MQTT broker for hall %s on %s:%d", self.hall_id, self.host,
                    self.port)
        return self

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """Disconnect every client, stop the broker and join its thread. Idempotent."""
        thread = self._thread
        if thread is None:
            return
        self._request_stop()
        thread.join(timeout)
        if thread.is_alive():
            raise EmbeddedBrokerError(f"embedded MQTT broker did not stop within {timeout:.0f}s")
        self._thread = None
        self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _request_stop(self) -> None:
        loop, event = self._loop, self._stop_requested
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(event.set)

    # ------------------------------------------------------------------ the thread
    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._serve())
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        except BaseException as exc:  # reported to start() or logged
            if not self._ready.is_set():
                self._error = exc
            else:
                logger.exception("embedded MQTT broker thread failed")
        finally:
            self._loop = None
            self._stop_requested = None
            loop.close()
            self._ready.set()

    async def _serve(self) -> None:
        self._stop_requested = asyncio.Event()
        try:
            broker = _HallBroker(self._config())  # inside the running loop, as amqtt needs
            broker.hold_devices_for = self._hold_devices_for
            await broker.start()
            self._port = _listening_port(broker)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop_requested.wait()
        try:
            # Bounded: amqtt's shutdown can wait on a client connection that never closes;
            # whatever is left is cancelled with the loop's remaining tasks.
            await asyncio.wait_for(broker.shutdown(), timeout=SHUTDOWN_GRACE_S)
        except TimeoutError:
            logger.warning("embedded MQTT broker shutdown took over %.0fs; closing it anyway",
                           SHUTDOWN_GRACE_S)
        except Exception:
            logger.exception("embedded MQTT broker did not shut down cleanly")
        finally:
            # A shutdown cut short may not have reached the listeners: closing the loop
            # leaves them open (asyncio closes a server's sockets only in Server.close()),
            # and a restart on the same port would find it taken.
            _close_listeners(broker)


def _close_listeners(broker: _HallBroker) -> None:
    """Close amqtt's listening sockets now (idempotent; accepted connections stay)."""
    for server in getattr(broker, "_servers", {}).values():
        instance = getattr(server, "instance", None)
        if instance is not None:
            instance.close()


def _listening_port(broker: _HallBroker) -> int:
    try:
        sockets = broker._servers["default"].instance.sockets
        port: int = sockets[0].getsockname()[1]
    except (AttributeError, KeyError, IndexError) as exc:
        raise EmbeddedBrokerError("cannot find the port amqtt listens on") from exc
    return port


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def _address_in_use(exc: BaseException) -> bool:
    """Whether a start failure comes from the port being taken (EADDRINUSE)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.EADDRINUSE:
            return True
        if "address already in use" in str(current).lower():
            return True
        current = current.__cause__ or current.__context__
    return False
