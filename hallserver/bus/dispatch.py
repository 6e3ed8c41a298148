"""Inbound device messages: checked, decoded, applied once, answered.

Paho-free: the adapter hands each message here on a worker thread and acknowledges it to the
broker only after this returns, i.e. after the effect and the message id are committed."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from devices.protocol import messages as m
from devices.protocol.catalog import DecodeError, decode, encode
from devices.protocol.topics import DeviceType, Kind, Topic, TopicError, cmd, parse
from hallserver.bus.catalog import service_catalog
from hallserver.config.models import I18nText
from hallserver.domain.errors import DomainError
from hallserver.domain.privacy import mask_personal
from hallserver.services import Services
from hallserver.services.cases import CaseSnapshot
from hallserver.services.devices import DeviceInfo, DeviceRegistry
from hallserver.services.views import (
    CompleteRequest,
    IssuedTicket,
    IssueTicketRequest,
    Principal,
    WindowInfo,
)

if TYPE_CHECKING:
    from hallserver.bus.windows import WindowDevices

logger = logging.getLogger(__name__)

MAX_EPOCH_AHEAD_MS = 24 * 3600 * 1000  # a device clock a day ahead is broken, not fast



def receipt_document(snap: CaseSnapshot, base_url: str | None) -> m.ReceiptDocument:
    """The printout of a case's acceptance receipt; its QR opens the case status."""
    return m.ReceiptDocument(
        case_no=snap.case_no, items=[m.Text(zh=i.zh[:200], en=i.en[:200]) for i in snap.items],
        materials=[x[:200] for x in snap.materials], promised_by=snap.promised_by,
        promised_provisional=snap.provisional, window=snap.window, owner=snap.owner[:200],
        qr_url=f"{base_url or ''}/c/{snap.public_token}", accepted_at=snap.accepted_at)


class Publisher(Protocol):
    """The outbound side of the bus, as the dispatcher and display sync need it."""

    def publish(self, topic: Topic, message: m.Message, *, retain: bool = False) -> None:
        """Publish a message (QoS 1)."""

    def clear(self, topic: Topic) -> None:
        """Remove a retained message."""


class BusStats:
    """Counters of handled and refused messages; each (reason, device) is logged once."""

    def __init__(self) -> None:
        self.handled: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self._logged: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def ok(self, name: str) -> None:
        """Count a handled message."""
        with self._lock:
            self.handled[name] += 1

    def reject(self, reason: str, source: str, detail: str = "") -> str:
        """Count a refused message; log the first of each reason per source."""
        source = mask_personal(source)[:80]
        with self._lock:
            self.rejected[reason] += 1
            first = (reason, source) not in self._logged
            if first:
                self._logged.add((reason, source))
        if first:
            logger.warning("refused message from %s: %s %s (further ones only counted)",
                           source, reason, mask_personal(detail)[:200])
        return f"rejected:{reason}"

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Copies of the counters."""
        with self._lock:
            return {"handled": dict(self.handled), "rejected": dict(self.rejected)}


def issued_message(request_id: str, t: IssuedTicket, base_url: str | None = None
                   ) -> m.TicketIssued:
    """The kiosk's reply for a committed ticket."""
    return m.TicketIssued(
        request_id=request_id, number=t.number, category=t.category,
        category_name=m.Text(zh=t.category_name.zh, en=t.category_name.en),
        item=t.item_code, priority=t.priority, people_ahead=t.people_ahead,
        predicted_wait_min=t.predicted_wait_min,
        zone=m.Text(zh=t.zone.name.zh, en=t.zone.name.en), windows=t.windows,
        status_path=t.status_path,
        status_url=f"{base_url}{t.status_path}" if base_url else None,
        issued_at=t.issued_at, replayed=t.replayed, appointment_at=t.appointment_at)


def refusal(exc: DomainError) -> tuple[str, str, str]:
    """(code, zh, en) of a domain error, personal data masked."""
    body = exc.as_dict()
    return body["code"][:40], body["message"][:200], body["message_en"][:200]


class Dispatcher:
    """Applies device messages to the services and publishes the replies."""

    def __init__(self, services: Services, registry: DeviceRegistry, publisher: Publisher,
                 stats: BusStats, *, on_birth: Callable[[DeviceInfo], None] | None = None,
                 base_url: str | None = None, windows: WindowDevices | None = None) -> None:
        self.services = services
        self.windows = windows
        self.base_url = base_url
        self.registry = registry
        self.publisher = publisher
        self.stats = stats
        self.hall_id = services.ctx.hall_id
        self.on_birth = on_birth

    def handle(self, topic_name: str, payload: bytes, retain: bool) -> str:
        """Handle one message; returns what happened (for counters and tests)."""
        try:
            topic = parse(topic_name)
        except TopicError as exc:
            return self.stats.reject("bad-topic", topic_name, str(exc))
        if topic.hall != self.hall_id:
            return self.stats.reject("other-hall", topic_name)
        if topic.is_server:
            return "ignored:own-status"
        assert topic.device_type is not None
        assert topic.device_id is not None
        if not payload:
            # A cleared retained message (our own clean-up echoes back): nothing to do.
            return "ignored:empty"
        if topic.kind is Kind.EVT and retain:
            # Events are never retained: a retained one would replay on every subscribe.
            # Cleared before any other check, or one under a wrong type would stay forever.
            self.publisher.clear(topic)
            return self.stats.reject("retained-event", topic.device_key, str(topic))
        device = self.registry.lookup(topic.device_id, topic.device_type)
        if device is None:
            return self.stats.reject("unknown-device", topic.device_key)
        if topic.kind not in {Kind.EVT, Kind.STATUS}:
            return self.stats.reject("wrong-direction", topic.device_key, str(topic))
        try:
            message = decode(topic, payload)
        except DecodeError as exc:
            if topic.device_type is DeviceType.PAD and topic.name == "rating":
                # A rating the protocol refused (out-of-range level, a window claim ...)
                # is counted with the pad's refusals too.
                self.services.ratings.refuse_unparsed(device.id, device.window,
                                                      f"invalid:{exc.reason}")
            return self.stats.reject(exc.reason, topic.device_key, exc.detail)
        self.registry.seen(device.id)
        outcome = self._apply(device, topic, message)
        self.stats.ok(topic.name or topic.kind.value)
        return outcome

    def _apply(self, device: DeviceInfo, topic: Topic, message: m.Message) -> str:
        match message:
            case m.DeviceStatus():
                if message.epoch > (time.time_ns() // 1_000_000) + MAX_EPOCH_AHEAD_MS:
                    # One far-future epoch would make every later birth and will "stale".
                    return self.stats.reject("future-epoch", device.id, str(message.epoch))
                if not self.registry.presence(device.id, message):
                    return "ignored:stale-status"
                if message.state == m.Presence.ONLINE and self.on_birth:
                    self.on_birth(device)
                return f"presence:{message.state.value}"
            case m.TicketRequest():
                return self._ticket(device, message)
            case m.CheckIn():
                return self._check_in(device, message)
            case m.CatalogRequest():
                return self._catalog(device, message)
            case m.Query():
                return self._query(device, message)
            case m.PrinterStatus():
                self.registry.printer_status(device.id, message)
                return "printer-status"
            case m.HardwareStatus():
                self.registry.hardware_status(device.id, message)
                return "hardware"
            case m.PrintResult():
                self.registry.print_result(device.id, message)
                if self.windows is not None:
                    self.windows.print_result(message)
                return "print-result"
            case m.HelperRequest():
                return self._helper(device, message)
            case m.CallerKey():
                return self._key(device, message)
            case m.Rating():
                return self._rating(device, message)
            case m.PhotoRequest():
                if self.windows is None:
                    return self.stats.reject("no-photos", device.id)
                self._reply(device, "photo", self.windows.photo(device, message))
                return "photo"
        return self.stats.reject("unhandled", device.id, type(message).__name__)

    # ---- tickets ----------------------------------------------------------------------------

    def _ticket(self, device: DeviceInfo, msg: m.TicketRequest) -> str:
        def issue() -> IssuedTicket:
            req = IssueTicketRequest(category=msg.category, item_code=msg.item,
                                     priority=msg.priority)
            return self.services.tickets.issue(
                req, channel=device.type.value,
                idempotency_key=f"mqtt:{device.id}:{msg.request_id}")
        return self._issue(device, msg.request_id, issue)

    def _check_in(self, device: DeviceInfo, msg: m.CheckIn) -> str:
        # A redelivered check-in finds the appointment checked in and gets the same ticket.
        outcome = self._issue(device, msg.request_id, lambda: self.services.appointments
                              .check_in(msg.code, channel=device.type.value))
        if outcome.startswith("refused:appointment") or outcome == "refused:invalid_request":
            self.stats.reject("bad-appointment-code", device.id, outcome)
        return f"check-in:{outcome}"

    def _issue(self, device: DeviceInfo, request_id: str,
               issue: Callable[[], IssuedTicket]) -> str:
        try:
            issued = issue()
        except DomainError as exc:
            code, zh, en = refusal(exc)
            self._reply(device, "ticket-refused", m.TicketRefused(
                request_id=request_id, code=code, message=zh, message_en=en))
            return f"refused:{code}"
        except ValidationError:
            self._reply(device, "ticket-refused", m.TicketRefused(
                request_id=request_id, code="invalid_request", message="请求无效",
                message_en="invalid request"))
            return "refused:invalid_request"
        self._reply(device, "ticket-issued", issued_message(request_id, issued,
                                                            self.base_url))
        return "issued:replayed" if issued.replayed else "issued"

    # ---- catalog and queries ----------------------------------------------------------------

    def _catalog(self, device: DeviceInfo, msg: m.CatalogRequest) -> str:
        ctx = self.services.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
            version = ctx.layout.current_version(session)
        catalog = service_catalog(cfg, version, msg.request_id)
        if len(encode(catalog)) > m.MAX_PAYLOAD_BYTES:
            logger.error("the service catalog (%d categories) is over %d bytes: devices "
                         "refuse it", len(catalog.categories), m.MAX_PAYLOAD_BYTES)
        self._reply(device, "catalog", catalog)
        return "catalog"

    def _query(self, device: DeviceInfo, msg: m.Query) -> str:
        try:
            if msg.kind == "ticket":
                result = self._ticket_query(msg)
            else:
                result = self._case_query(device, msg)
        except DomainError as exc:
            code, zh, en = refusal(exc)
            result = m.QueryResult(request_id=msg.request_id, found=False, code=code,
                                   message=zh, message_en=en)
        self._reply(device, "query-result", result)
        return f"query:{msg.kind}:{'found' if result.found else result.code}"

    def _ticket_query(self, msg: m.Query) -> m.QueryResult:
        s = self.services.tickets.status(msg.token)
        view = m.TicketView(
            number=s.number, state=s.state.value, category_name=m.Text(
                zh=s.category_name.zh, en=s.category_name.en),
            people_ahead=s.people_ahead, predicted_wait_min=s.predicted_wait_min,
            window=s.window, about_to_be_called=s.about_to_be_called, issued_at=s.issued_at)
        return m.QueryResult(request_id=msg.request_id, found=True, ticket=view)

    def _case_query(self, device: DeviceInfo, msg: m.Query) -> m.QueryResult:
        cases = self.services.cases
        if msg.purpose == "reprint":
            # Logged once per request: a redelivery (or the terminal's resend) only answers.
            with self.services.ctx.db.write() as session:
                row, fresh = self.registry.claim(session, device.id, msg.msg_id, "reprint")
                snap = cases.reprint(msg.token, actor=device.id, log=fresh)
                row.outcome = "ok"
        else:
            snap = cases.by_token(msg.token)
        view = m.CaseView(
            case_no=snap.case_no, status=snap.status, status_name=_text(snap.status_name),
            items=[_text(i) for i in snap.items], accepted_at=snap.accepted_at,
            promised_by=snap.promised_by, promised_provisional=snap.provisional,
            working_days_left=snap.working_days_left, window=snap.window,
            owner=snap.owner[:200])
        document = receipt_document(snap, self.base_url) if msg.purpose == "reprint" else None
        return m.QueryResult(request_id=msg.request_id, found=True, case=view,
                             document=document)

    # ---- events applied once through the inbox ----------------------------------------------

    def _helper(self, device: DeviceInfo, msg: m.HelperRequest) -> str:
        with self.services.ctx.db.write() as session:
            row, fresh = self.registry.claim(session, device.id, msg.msg_id, "helper-request")
            if not fresh:
                return "duplicate"
            self.registry.add_helper_request(session, device, msg.request_id, msg.reason,
                                             msg.note)
            row.outcome = "ok"
        return "helper-request"

    def _key(self, device: DeviceInfo, msg: m.CallerKey) -> str:
        number = device.window
        assert number is not None, "callers are configured with a window"
        stored = self.registry.stored_reply(device.id, msg.msg_id)
        if stored is not None:
            self._reply(device, "key-result", m.KeyResult.model_validate_json(stored))
            return "duplicate"
        staff = self.services.windows.get(number).staff
        try:
            if staff is None:
                raise _Unstaffed
            actor = Principal(username=staff.id, display_name=staff.name, role="staff")
            with self.services.ctx.db.write() as session:
                row, fresh = self.registry.claim(session, device.id, msg.msg_id, "key")
                if not fresh:
                    return "duplicate"
                result = self._press(number, actor, msg)
                row.outcome, row.reply = "ok", result.model_dump_json()
        except (DomainError, _Unstaffed) as exc:
            if isinstance(exc, DomainError):
                code, zh, en = refusal(exc)
            else:
                code, zh, en = "unstaffed", "窗口无人签到", "nobody is signed in at this window"
            result = m.KeyResult(request_id=msg.request_id, ok=False, code=code, message=zh,
                                 message_en=en)
            with self.services.ctx.db.write() as session:
                row, fresh = self.registry.claim(session, device.id, msg.msg_id, "key")
                if fresh:
                    row.outcome, row.reply = f"refused:{code}"[:40], result.model_dump_json()
        self._reply(device, "key-result", result)
        return "key:ok" if result.ok else f"key:refused:{result.code}"

    def _rating(self, device: DeviceInfo, msg: m.Rating) -> str:
        """One rating per transaction: the token's window must be this pad's (from its
        topic); a redelivered message gets the stored answer and changes nothing."""
        stored = self.registry.stored_reply(device.id, msg.msg_id)
        if stored is not None:
            self._reply(device, "rating-ack", m.RatingAck.model_validate_json(stored))
            return "duplicate"
        with self.services.ctx.db.write() as session:
            row, fresh = self.registry.claim(session, device.id, msg.msg_id, "rating")
            if not fresh:
                return "duplicate"
            result = self.services.ratings.rate(
                session, pad_id=device.id, pad_window=device.window, token=msg.token,
                level=msg.level, reasons=msg.reasons, comment=msg.comment)
            ack = m.RatingAck(token=msg.token, accepted=result.accepted, code=result.code)
            row.outcome = "ok" if result.accepted else f"refused:{result.code}"[:40]
            row.reply = ack.model_dump_json()
        self._reply(device, "rating-ack", ack)
        if not result.accepted:
            self.stats.reject(f"rating-{result.code}", device.id)
            return f"rating:refused:{result.code}"
        return "rating:accepted"

    def _press(self, number: int, actor: Principal, msg: m.CallerKey) -> m.KeyResult:
        w = self.services.windows
        key = m.CallerKeyName
        info: WindowInfo
        message = None
        if msg.key is key.CALL:
            called = w.call_next(number, actor)
            info, message = called.window, called.message
        elif msg.key is key.RECALL:
            info = w.recall(number, actor)
        elif msg.key is key.START:
            info = w.start(number, actor)
        elif msg.key is key.COMPLETE:
            info = w.complete(number, actor, CompleteRequest.model_validate(
                {"outcome": msg.outcome or "completed"}))
        elif msg.key is key.NO_SHOW:
            info = w.no_show(number, actor)
        elif msg.key is key.PAUSE:
            info = w.pause(number, actor, msg.reason or "呼叫器暂停 paused at the caller")
        else:
            info = w.resume(number, actor)
        current = info.current.number if info.current else None
        return m.KeyResult(request_id=msg.request_id, ok=True, number=current,
                           message=message[:200] if message else None)

    def _reply(self, device: DeviceInfo, name: str, message: m.Message) -> None:
        self.publisher.publish(cmd(self.hall_id, device.type, device.id, name), message)


def _text(value: I18nText) -> m.Text:
    return m.Text(zh=value.zh[:200], en=value.en[:200])


class _Unstaffed(Exception):
    """Nobody is signed in at the caller's window."""


__all__ = ["BusStats", "DeviceType", "Dispatcher", "Publisher"]
