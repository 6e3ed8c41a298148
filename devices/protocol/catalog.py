"""Which message travels on which topic: the table decoding and docs/protocol.md share."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, Kind, Topic

ALL = frozenset(DeviceType)
ENVELOPE = ("v", "msg_id", "sent_at")
DISPLAYS_OF_WINDOW = frozenset({DeviceType.LED, DeviceType.CALLER, DeviceType.PAD})
ISSUERS = frozenset({DeviceType.KIOSK, DeviceType.TERMINAL})


@dataclass(frozen=True)
class Route:
    """One topic shape: its kind and name, the model, who sends it, whether retained."""

    kind: Kind
    name: str | None
    model: type[m.Message]
    device_types: frozenset[DeviceType]
    sender: str  # "device" or "server"
    retained: bool
    summary: str


ROUTES: tuple[Route, ...] = (
    Route(Kind.STATUS, None, m.DeviceStatus, ALL, "device", True,
          "birth (online) on every connect; the broker publishes the will (offline)"),
    Route(Kind.EVT, "ticket-request", m.TicketRequest, ISSUERS, "device", False,
          "take a number"),
    Route(Kind.EVT, "check-in", m.CheckIn, ISSUERS, "device", False,
          "check in an appointment (reply like ticket-request)"),
    Route(Kind.EVT, "catalog-request", m.CatalogRequest, ISSUERS, "device", False,
          "ask for the service catalog"),
    Route(Kind.CMD, "catalog", m.ServiceCatalog, ISSUERS, "server", False,
          "reply: categories, items and service guides"),
    Route(Kind.EVT, "query", m.Query, ISSUERS, "device", False,
          "a ticket's or a case's status by its QR token"),
    Route(Kind.CMD, "query-result", m.QueryResult, ISSUERS, "server", False,
          "reply: status, and the document for a reprint"),
    Route(Kind.CMD, "ticket-issued", m.TicketIssued, ISSUERS, "server", False,
          "reply: the committed ticket"),
    Route(Kind.CMD, "ticket-refused", m.TicketRefused, ISSUERS, "server", False,
          "reply: no ticket, and why"),
    Route(Kind.CMD, "print", m.PrintJob, frozenset({DeviceType.PRINTER}), "server", False,
          "print a ticket or a receipt"),
    Route(Kind.EVT, "print-result", m.PrintResult, frozenset({DeviceType.PRINTER}), "device",
          False, "outcome of a print job"),
    Route(Kind.EVT, "printer-status", m.PrinterStatus, frozenset({DeviceType.PRINTER}),
          "device", False, "paper, cover and link state, on change and on connect"),
    Route(Kind.STATE, None, m.WindowDisplayState, DISPLAYS_OF_WINDOW, "server", True,
          "the window's state for its LED, caller and pad"),
    Route(Kind.STATE, None, m.ScreenState, frozenset({DeviceType.SCREEN}), "server", True,
          "the hall call screen"),
    Route(Kind.STATE, None, m.KioskState, ISSUERS, "server", True,
          "whether tickets can be taken now, waiting counts"),
    Route(Kind.CMD, "announce", m.CallAnnouncement, frozenset({DeviceType.SCREEN}), "server",
          False, "a call to highlight and read aloud"),
    Route(Kind.EVT, "key", m.CallerKey, frozenset({DeviceType.CALLER}), "device", False,
          "a staff key press at the caller's window"),
    Route(Kind.CMD, "key-result", m.KeyResult, frozenset({DeviceType.CALLER}), "server", False,
          "reply: what the key did"),
    Route(Kind.CMD, "arm", m.PadArm, frozenset({DeviceType.PAD}), "server", False,
          "rate this transaction (single-use token)"),
    Route(Kind.EVT, "rating", m.Rating, frozenset({DeviceType.PAD}), "device", False,
          "the citizen's rating"),
    Route(Kind.CMD, "rating-ack", m.RatingAck, frozenset({DeviceType.PAD}), "server", False,
          "reply: rating accepted or refused"),
    Route(Kind.EVT, "photo-request", m.PhotoRequest, frozenset({DeviceType.PAD}), "device",
          False, "ask for a staff photo (亮证)"),
    Route(Kind.CMD, "photo", m.StaffPhoto, frozenset({DeviceType.PAD}), "server", False,
          "reply: the staff photo"),
    Route(Kind.EVT, "hardware", m.HardwareStatus, DISPLAYS_OF_WINDOW, "device", False,
          "the serial device behind an agent answers, or not"),
    Route(Kind.EVT, "helper-request", m.HelperRequest,
          frozenset({DeviceType.KIOSK, DeviceType.TERMINAL, DeviceType.PAD}), "device", False,
          "page hall staff (帮办)"),
    Route(Kind.CMD, "config", m.ConfigPush, ALL, "server", False,
          "run this configuration"),
)


class DecodeError(ValueError):
    """A payload refused by the protocol; `reason` is a short code for counters."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def route_for(topic: Topic) -> Route | None:
    """The route of a device topic, or None when no message is defined there."""
    if topic.device_type is None:
        return None
    for route in ROUTES:
        if (route.kind is topic.kind and route.name == topic.name
                and topic.device_type in route.device_types):
            return route
    return None


def decode(topic: Topic, payload: bytes) -> m.Message:
    """Parse a payload for its topic; raises DecodeError with a counter-friendly reason."""
    if topic.is_server:
        model: type[m.Message] = m.ServerStatus
    else:
        route = route_for(topic)
        if route is None:
            raise DecodeError("unknown-topic", f"no message is defined on {topic}")
        model = route.model
    if len(payload) > m.MAX_PAYLOAD_BYTES:
        raise DecodeError("too-large", f"{len(payload)} bytes > {m.MAX_PAYLOAD_BYTES}")
    try:
        # Strict UTF-8 first: json.loads(bytes) would also accept UTF-16 and UTF-32.
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers too long to convert.
        raise DecodeError("malformed-json", type(exc).__name__) from None
    if not isinstance(data, dict):
        raise DecodeError("malformed-json", "payload is not a JSON object")
    missing = [k for k in ENVELOPE if k not in data]
    if missing:
        # Defaults exist for senders building messages; on the wire they must be explicit,
        # or a redelivered copy would get a fresh msg_id and apply twice.
        raise DecodeError("invalid", "; ".join(f"{k}: missing" for k in missing))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Field paths and error types only: never echo the values (they may be personal).
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['type']}"
                          for e in exc.errors()[:5])
        raise DecodeError("invalid", where) from None


def encode(message: BaseModel) -> bytes:
    """Serialise a message as compact UTF-8 JSON."""
    return message.model_dump_json(exclude_none=False).encode()
