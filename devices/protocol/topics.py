"""The one MQTT topic grammar: every topic is built and parsed here, segment by segment.

```
hall/{hall}/{type}/{device}/status        retained  online|offline + epoch (birth / will)
hall/{hall}/{type}/{device}/state         retained  versioned snapshot (server -> display)
hall/{hall}/{type}/{device}/evt/{name}    device -> server, never retained
hall/{hall}/{type}/{device}/cmd/{name}    server -> device, never retained
hall/{hall}/server/status                 retained  the server's birth / will
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ROOT = "hall"
ID_PATTERN = r"^[a-z0-9-]{1,32}$"
_ID = re.compile(ID_PATTERN)
SERVER = "server"
MAX_TOPIC_LEVELS = 6


class DeviceType(StrEnum):
    """Every kind of device on the bus."""

    KIOSK = "kiosk"
    TERMINAL = "terminal"
    PAD = "pad"
    PRINTER = "printer"
    LED = "led"
    CALLER = "caller"
    SCREEN = "screen"


class Kind(StrEnum):
    """The fourth segment: what a topic carries."""

    STATUS = "status"
    STATE = "state"
    EVT = "evt"
    CMD = "cmd"


class TopicError(ValueError):
    """A topic that does not follow the grammar (the message names the segment)."""


def valid_id(value: str) -> bool:
    """Whether a hall, device or message name id matches `^[a-z0-9-]{1,32}$`."""
    return bool(_ID.fullmatch(value))


def _check(value: str, what: str) -> str:
    if not valid_id(value):
        raise TopicError(f"{what} {value[:40]!r} does not match {ID_PATTERN}")
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic; `device_type`/`device_id` are None for the server's own status."""

    hall: str
    device_type: DeviceType | None
    device_id: str | None
    kind: Kind
    name: str | None = None

    def __post_init__(self) -> None:
        _check(self.hall, "hall id")
        if self.device_type is None:
            if self.device_id is not None or self.kind is not Kind.STATUS or self.name:
                raise TopicError("the server has only a status topic")
        else:
            _check(self.device_id or "", "device id")
        if self.kind in {Kind.EVT, Kind.CMD}:
            _check(self.name or "", f"{self.kind.value} name")
        elif self.name is not None:
            raise TopicError(f"{self.kind.value} topics have no name segment")

    @property
    def is_server(self) -> bool:
        """Whether this is the server's status topic."""
        return self.device_type is None

    @property
    def device_key(self) -> str:
        """`type/id` of the device, the key of the device registry."""
        if self.device_type is None or self.device_id is None:
            raise TopicError("the server topic names no device")
        return f"{self.device_type.value}/{self.device_id}"

    def __str__(self) -> str:
        if self.device_type is None:
            return f"{ROOT}/{self.hall}/{SERVER}/{Kind.STATUS.value}"
        base = f"{ROOT}/{self.hall}/{self.device_type.value}/{self.device_id}/{self.kind.value}"
        return f"{base}/{self.name}" if self.name is not None else base


def parse(topic: str) -> Topic:
    """Parse a concrete topic (no wildcards); raises TopicError naming the bad segment."""
    parts = topic.split("/")
    if len(parts) < 4 or len(parts) > MAX_TOPIC_LEVELS or parts[0] != ROOT:
        raise TopicError(f"not a hall topic: {topic[:80]!r}")
    hall = parts[1]
    if parts[2] == SERVER:
        if parts[3:] != [Kind.STATUS.value]:
            raise TopicError(f"unknown server topic: {topic[:80]!r}")
        return Topic(hall, None, None, Kind.STATUS)
    try:
        device_type = DeviceType(parts[2])
    except ValueError:
        raise TopicError(f"unknown device type {parts[2][:32]!r}") from None
    if len(parts) < 5:
        raise TopicError(f"no kind segment in {topic[:80]!r}")
    try:
        kind = Kind(parts[4])
    except ValueError:
        raise TopicError(f"unknown kind {parts[4][:32]!r}") from None
    name = parts[5] if len(parts) == MAX_TOPIC_LEVELS else None
    if kind in {Kind.EVT, Kind.CMD} and name is None:
        raise TopicError(f"{kind.value} topic without a name: {topic[:80]!r}")
    return Topic(hall, device_type, parts[3], kind, name)


def server_status(hall: str) -> Topic:
    """`hall/{hall}/server/status`."""
    return Topic(hall, None, None, Kind.STATUS)


def status(hall: str, device_type: DeviceType, device_id: str) -> Topic:
    """A device's retained birth/will topic."""
    return Topic(hall, device_type, device_id, Kind.STATUS)


def state(hall: str, device_type: DeviceType, device_id: str) -> Topic:
    """A display's retained, versioned state topic."""
    return Topic(hall, device_type, device_id, Kind.STATE)


def evt(hall: str, device_type: DeviceType, device_id: str, name: str) -> Topic:
    """A device-to-server event topic."""
    return Topic(hall, device_type, device_id, Kind.EVT, name)


def cmd(hall: str, device_type: DeviceType, device_id: str, name: str) -> Topic:
    """A server-to-device command topic."""
    return Topic(hall, device_type, device_id, Kind.CMD, name)


def server_subscriptions(hall: str) -> list[str]:
    """What the hall server subscribes to: every device's status and events."""
    _check(hall, "hall id")
    return [f"{ROOT}/{hall}/+/+/{Kind.STATUS.value}", f"{ROOT}/{hall}/+/+/{Kind.EVT.value}/+"]


def device_subscriptions(hall: str, device_type: DeviceType, device_id: str) -> list[str]:
    """What a device subscribes to: its commands, its state, the server's status."""
    prefix = f"{ROOT}/{hall}/{device_type.value}/{_check(device_id, 'device id')}"
    return [f"{prefix}/{Kind.CMD.value}/+", f"{prefix}/{Kind.STATE.value}",
            str(server_status(hall))]


@dataclass(frozen=True, slots=True)
class AclRule:
    """One broker ACL line: `read` or `write` on a topic filter (`%u` = the username)."""

    access: str
    pattern: str


def device_acl(hall: str) -> list[AclRule]:
    """ACL for every device: its username is its device id (unique within a hall).

    A device writes only its own status and events, reads only its own commands and state
    and the server's status. Device ids are unique across types, so the type segment is `+`.
    """
    _check(hall, "hall id")
    own = f"{ROOT}/{hall}/+/%u"
    return [
        AclRule("write", f"{own}/{Kind.STATUS.value}"),
        AclRule("write", f"{own}/{Kind.EVT.value}/+"),
        AclRule("read", f"{own}/{Kind.STATUS.value}"),
        AclRule("read", f"{own}/{Kind.STATE.value}"),
        AclRule("read", f"{own}/{Kind.CMD.value}/+"),
        AclRule("read", str(server_status(hall))),
    ]


def server_acl(hall: str) -> list[AclRule]:
    """ACL for the hall server's own account: everything under its hall."""
    _check(hall, "hall id")
    return [AclRule("readwrite", f"{ROOT}/{hall}/#")]


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching (`+` one level, `#` the rest); for ACL checks and tests."""
    fparts, tparts = topic_filter.split("/"), topic.split("/")
    if topic.startswith("$") and fparts[0] in {"+", "#"}:
        return False  # MQTT 4.7.2: wildcards at the first level never match $-topics
    for i, part in enumerate(fparts):
        if part == "#":
            return True
        if i >= len(tparts) or (part not in {"+", tparts[i]}):
            return False
    return len(fparts) == len(tparts)
