"""Device registry (presence from birth and will, printer state) and helper requests.

Presence follows the newest connection: each birth and will carries the device's
per-connection epoch, and a message from an older epoch than the newest seen is stale
(a will that the broker delivers after the device already reconnected)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from devices.protocol.messages import (
    DeviceStatus,
    HardwareStatus,
    PaperState,
    PrinterStatus,
    PrintResult,
)
from devices.protocol.topics import DeviceType
from hallserver.domain.errors import Conflict, NotFound
from hallserver.domain.privacy import mask_personal
from hallserver.services.hall import Clock
from hallserver.services.views import View
from hallserver.store.db import Database
from hallserver.store.models import DeviceRow, HelperRequestRow, InboxRow

logger = logging.getLogger(__name__)

INBOX_RETENTION = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the server needs to know of a configured device."""

    id: str
    type: DeviceType
    window: int | None = None
    zone: str | None = None
    keepalive_s: int = 15


Health = Literal["ok", "warning", "fault", "offline", "unknown"]


class DeviceHealth(View):
    """A device as managers see it."""

    id: str
    type: DeviceType
    window: int | None
    zone: str | None
    online: bool | None
    epoch: int
    status_at: datetime | None
    last_seen: datetime | None
    config_version: int | None
    software: str | None
    paper: PaperState | None
    cover_open: bool | None
    printer_online: bool | None
    last_print_ok: bool | None
    last_print_error: str | None
    health: Health
    problems: list[str]


class HelperRequestView(View):
    """An open or answered 帮办 request."""

    id: int
    device_id: str
    device_type: str
    zone: str | None = None  # where the device stands (a window's pad: its window's zone)
    window: int | None = None  # a pad's window
    reason: str
    note: str | None
    created_at: datetime
    answered_at: datetime | None
    answered_by: str | None


def _health(row: DeviceRow, link_up: bool) -> tuple[Health, list[str]]:
    if not link_up:
        return "unknown", ["消息总线未连接 / bus disconnected"]
    if not row.online:
        return "offline", ["设备离线 / device offline"]
    problems = []
    if row.hardware_ok is False:
        return "fault", ["串口设备无响应 / serial device not answering"]
    if row.device_type == DeviceType.PRINTER:
        if row.printer_online is False:
            problems.append("打印机无响应 / printer not answering")
        if row.paper == PaperState.OUT:
            problems.append("缺纸 / paper out")
        if row.cover_open:
            problems.append("纸仓盖打开 / cover open")
        if problems:
            return "fault", problems
        if row.paper == PaperState.NEAR_END:
            return "warning", ["纸将用尽 / paper near end"]
    return "ok", []


class DeviceRegistry:
    """The configured devices and what the bus last told about each."""

    def __init__(self, db: Database, hall_id: str, clock: Clock,
                 devices: list[DeviceInfo]) -> None:
        self.db = db
        self.hall_id = hall_id
        self.clock = clock
        self.known = {d.id: d for d in devices}
        self._last_seen: dict[str, datetime] = {}
        self._seen_lock = threading.Lock()
        self.link: Callable[[], bool] = lambda: False  # the bus sets this: is it connected?
        # Called inside the write transaction when what a manager sees changed (online,
        # paper, serial device, 帮办 requests); Services.build points it at the live pages.
        self.on_change: Callable[[], None] = lambda: None

    def sync_known(self) -> None:
        """Create registry rows for configured devices that have none."""
        with self.db.write() as session:
            have = set(session.scalars(select(DeviceRow.device_id).where(
                DeviceRow.hall_id == self.hall_id)))
            for d in self.known.values():
                if d.id not in have:
                    session.add(DeviceRow(hall_id=self.hall_id, device_id=d.id,
                                          device_type=d.type.value, online=False, epoch=0))

    def lookup(self, device_id: str, device_type: DeviceType) -> DeviceInfo | None:
        """The configured device with this id and type, or None."""
        info = self.known.get(device_id)
        return info if info is not None and info.type is device_type else None

    def seen(self, device_id: str) -> None:
        """Note traffic from a device (kept in memory; cheap on every message)."""
        with self._seen_lock:
            self._last_seen[device_id] = self.clock()

    def presence(self, device_id: str, status: DeviceStatus) -> bool:
        """Apply a birth or will; False when it is stale (an older connection's)."""
        now = self.clock()
        online = status.state == "online"
        with self.db.write() as session:
            row = self._row(session, device_id)
            # (epoch, offline-after-online) orders the messages of one device.
            if (status.epoch, not online) <= (row.epoch, not row.online) and row.status_at:
                logger.debug("stale %s of %s (epoch %d < %d)", status.state, device_id,
                             status.epoch, row.epoch)
                return False
            changed = row.online != online
            row.online, row.epoch, row.status_at = online, status.epoch, now
            if changed:
                self.on_change()
            if online:
                row.config_version = status.config_version
                row.software = status.software
        if changed:
            logger.info("device %s %s (epoch %d)", device_id, status.state, status.epoch)
        return True

    def printer_status(self, device_id: str, status: PrinterStatus) -> None:
        """Record a printer's sensors (the newest report wins)."""
        with self.db.write() as session:
            row = self._row(session, device_id)
            if row.printer_at is not None and status.sent_at < row.printer_at:
                return
            if (row.paper, row.cover_open, row.printer_online) != (
                    status.paper.value, status.cover_open, status.online):
                self.on_change()
            if row.paper != status.paper.value:
                logger.info("printer %s paper %s", device_id, status.paper.value)
            row.paper, row.cover_open = status.paper.value, status.cover_open
            row.printer_online, row.printer_at = status.online, status.sent_at

    def hardware_status(self, device_id: str, status: HardwareStatus) -> None:
        """Record whether the serial device behind an agent answers (newest report wins)."""
        with self.db.write() as session:
            row = self._row(session, device_id)
            if row.hardware_at is not None and status.sent_at < row.hardware_at:
                return
            if row.hardware_ok is not status.ok:
                self.on_change()
                logger.info("%s: serial device %s", device_id,
                            "answers" if status.ok else status.detail or "down")
            row.hardware_ok, row.hardware_detail = status.ok, status.detail
            row.hardware_at = status.sent_at

    def print_result(self, device_id: str, result: PrintResult) -> None:
        """Record the outcome of a print job."""
        with self.db.write() as session:
            row = self._row(session, device_id)
            row.last_print_ok = result.ok
            row.last_print_error = result.error.value if result.error else None

    def all(self) -> list[DeviceHealth]:
        """Every configured device with its health."""
        with self.db.read() as session:
            rows = {r.device_id: r for r in session.scalars(
                select(DeviceRow).where(DeviceRow.hall_id == self.hall_id))}
        with self._seen_lock:
            seen = dict(self._last_seen)
        out = []
        for d in sorted(self.known.values(), key=lambda d: (d.type.value, d.window or 0, d.id)):
            row = rows.get(d.id) or DeviceRow(device_id=d.id, device_type=d.type.value,
                                              online=False, epoch=0)
            link_up = self.link()
            health, problems = _health(row, link_up)
            out.append(DeviceHealth(
                id=d.id, type=d.type, window=d.window, zone=d.zone,
                online=row.online if link_up else None, epoch=row.epoch or 0,
                status_at=row.status_at, last_seen=seen.get(d.id, row.status_at),
                config_version=row.config_version, software=row.software,
                paper=PaperState(row.paper) if row.paper else None, cover_open=row.cover_open,
                printer_online=row.printer_online, last_print_ok=row.last_print_ok,
                last_print_error=row.last_print_error, health=health, problems=problems,
            ))
        return out

    def get(self, device_id: str) -> DeviceHealth:
        """One device's health."""
        for d in self.all():
            if d.id == device_id:
                return d
        raise NotFound(f"没有设备 {device_id}", f"no device {device_id}")

    # ---- the inbox: a message's id committed with its effect ------------------------------

    def claim(self, session: Session, device_id: str, msg_id: str,
              name: str) -> tuple[InboxRow, bool]:
        """Record a message id in the caller's transaction: (row, True) the first time,
        (the earlier row, False) for a redelivered or duplicated message."""
        seen = session.get(InboxRow, (self.hall_id, device_id, msg_id))
        if seen is not None:
            return seen, False
        row = InboxRow(hall_id=self.hall_id, device_id=device_id, msg_id=msg_id,
                       name=name, received_at=self.clock(), outcome="pending")
        session.add(row)
        session.flush()  # the primary key refuses a concurrent duplicate here
        return row, True

    def stored_reply(self, device_id: str, msg_id: str) -> str | None:
        """The reply recorded for a message already handled (None if new or no reply)."""
        with self.db.read() as session:
            seen = session.get(InboxRow, (self.hall_id, device_id, msg_id))
            return seen.reply if seen is not None else None

    def prune_inbox(self) -> int:
        """Forget message ids older than the retention (devices never resend that late)."""
        with self.db.write() as session:
            result = session.execute(delete(InboxRow).where(
                InboxRow.hall_id == self.hall_id,
                InboxRow.received_at < self.clock() - INBOX_RETENTION))
        return int(getattr(result, "rowcount", 0) or 0)

    # ---- helper requests (帮办) ------------------------------------------------------------

    def add_helper_request(self, session: Session, device: DeviceInfo, request_id: str,
                           reason: str, note: str | None) -> int:
        """Store a 帮办 page in the caller's transaction (the note is masked)."""
        row = HelperRequestRow(
            hall_id=self.hall_id, device_id=device.id, device_type=device.type.value,
            request_id=request_id, reason=reason,
            note=mask_personal(note)[:200] if note else None, created_at=self.clock())
        session.add(row)
        session.flush()
        self.on_change()
        logger.info("helper request %d from %s (%s)", row.id, device.id, reason)
        return row.id

    def helper_requests(self, *, open_only: bool = True) -> list[HelperRequestView]:
        """帮办 requests, newest first."""
        with self.db.read() as session:
            stmt = select(HelperRequestRow).where(HelperRequestRow.hall_id == self.hall_id)
            if open_only:
                stmt = stmt.where(HelperRequestRow.answered_at.is_(None))
            rows = session.scalars(stmt.order_by(HelperRequestRow.id.desc()).limit(200))
            return [self._helper_view(r) for r in rows]

    def _helper_view(self, row: HelperRequestRow) -> HelperRequestView:
        view = HelperRequestView.model_validate(row)
        info = self.known.get(row.device_id)
        if info is None:
            return view
        return view.model_copy(update={"zone": info.zone, "window": info.window})

    def answer_helper_request(self, request_id: int, username: str) -> HelperRequestView:
        """A member of staff took the request."""
        with self.db.write() as session:
            row = session.get(HelperRequestRow, request_id)
            if row is None or row.hall_id != self.hall_id:
                raise NotFound("没有该帮办请求", "no such helper request")
            if row.answered_at is not None:
                who = row.answered_by
                raise Conflict(f"已由 {who} 响应", f"already taken by {who}")
            row.answered_at, row.answered_by = self.clock(), username
            self.on_change()
            return self._helper_view(row)

    def _row(self, session: Session, device_id: str) -> DeviceRow:
        row = session.get(DeviceRow, (self.hall_id, device_id))
        if row is None:
            info = self.known[device_id]
            row = DeviceRow(hall_id=self.hall_id, device_id=device_id,
                            device_type=info.type.value, online=False, epoch=0)
            session.add(row)
        return row
