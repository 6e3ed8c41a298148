"""The devices at a window that act on committed changes: the pad is armed after each
completion (and armed again if it reconnects while the token lives); the window's receipt
printer prints the 收件回执 of a 受理 completion, and its result is kept on the case.

Runs from after-commit listeners and device births; publishing is a non-blocking paho call.
"""

from __future__ import annotations

import base64
import logging
import uuid

from sqlalchemy import select

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd
from hallserver.bus.dispatch import Publisher, receipt_document
from hallserver.services import Services
from hallserver.services.devices import DeviceInfo
from hallserver.services.hall import HallChange
from hallserver.store.models import CaseRow

logger = logging.getLogger(__name__)

RECEIPT_JOB_PREFIX = "receipt-"


class WindowDevices:
    """Arms pads, prints receipts, answers photo requests."""

    def __init__(self, services: Services, publisher: Publisher, *,
                 base_url: str | None = None) -> None:
        self.services = services
        self.publisher = publisher
        self.base_url = base_url
        self.hall_id = services.ctx.hall_id

    def _at_window(self, window: int, device_type: DeviceType) -> list[DeviceInfo]:
        return [d for d in self.services.devices.known.values()
                if d.type is device_type and d.window == window]

    # ---- inputs -----------------------------------------------------------------------------

    def on_change(self, change: HallChange) -> None:
        """A committed change (a HallContext listener)."""
        try:
            if change.kind == "arm" and change.token is not None:
                self.arm(change.token)
            elif change.kind == "receipt" and change.case_id is not None:
                self.print_receipt(change.case_id, reprint=change.reprint)
        except Exception:  # a listener must never break the request that committed
            logger.exception("window devices: %s failed", change.kind)

    def on_birth(self, device: DeviceInfo) -> None:
        """A pad that comes back while its window's token lives is armed again."""
        if device.type is not DeviceType.PAD or device.window is None:
            return
        live = self.services.ratings.live_arm(device.window)
        if live is not None:
            self._send_arm(live.token, [device])

    # ---- pads -------------------------------------------------------------------------------

    def arm(self, token: str) -> None:
        """Send the arm to the pad(s) of the token's window."""
        info = self.services.ratings.arm_info(token)
        if info is None:
            return
        pads = self._at_window(info.window, DeviceType.PAD)
        if not pads:
            logger.info("window %d has no pad: nobody to rate ticket %s", info.window,
                        info.number)
            return
        self._send_arm(token, pads)

    def _send_arm(self, token: str, pads: list[DeviceInfo]) -> None:
        info = self.services.ratings.arm_info(token)
        if info is None:
            return
        ctx = self.services.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
        try:
            c = cfg.category(info.category)
            category = m.Text(zh=c.name.zh[:200], en=c.name.en[:200])
        except KeyError:
            category = None
        staff = None
        if info.staff_id:
            seed = next((s for s in cfg.staff if s.id == info.staff_id), None)
            photo = self.services.windows.photos.get(cfg, info.staff_id)
            window_staff = self.services.windows.get(info.window).staff
            role = (window_staff.role.value if window_staff and window_staff.id == info.staff_id
                    else "A")
            staff = m.StaffOnDuty(role=role, staff_id=info.staff_id,
                                  name=(seed.name if seed else info.staff_id)[:200],
                                  photo=photo.digest if photo else None)
        msg = m.PadArm(token=token, number=info.number, window=info.window,
                       category_name=category, staff=staff, expires_at=info.expires_at)
        for pad in pads:
            self.publisher.publish(cmd(self.hall_id, pad.type, pad.id, "arm"), msg)

    def photo(self, device: DeviceInfo, msg: m.PhotoRequest) -> m.StaffPhoto:
        """The photo of a member of staff (any pad may ask: 亮证 photos are public)."""
        ctx = self.services.ctx
        with ctx.db.read() as session:
            cfg = ctx.layout.current(session)
        photo = self.services.windows.photos.get(cfg, msg.staff_id)
        if photo is None:
            return m.StaffPhoto(request_id=msg.request_id, staff_id=msg.staff_id, found=False)
        return m.StaffPhoto(request_id=msg.request_id, staff_id=msg.staff_id, found=True,
                            photo=photo.digest,
                            jpeg_b64=base64.b64encode(photo.jpeg).decode("ascii"))

    # ---- receipts ---------------------------------------------------------------------------

    def print_receipt(self, case_id: int, *, reprint: bool = False) -> str:
        """Send a case's receipt to its window's printer; returns the receipt state."""
        ctx = self.services.ctx
        with ctx.db.write() as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                return "missing"
            cfg = ctx.layout.current(session)
            printers = self._at_window(row.window, DeviceType.PRINTER)
            if not printers:
                row.receipt = "no-printer"
                return row.receipt
            healthy = {d.id for d in self.services.devices.all() if d.health == "ok"}
            target = next((p for p in printers if p.id in healthy), printers[0])
            job_id = f"{RECEIPT_JOB_PREFIX}{row.id}-{uuid.uuid4().hex[:12]}"
            row.receipt, row.receipt_job_id = "queued", job_id
            snap = self.services.cases.snapshot(cfg, row)
        job = m.PrintJob(job_id=job_id, reprint=reprint,
                         document=receipt_document(snap, self.base_url))
        self.publisher.publish(cmd(self.hall_id, target.type, target.id, "print"), job)
        logger.info("receipt of case %s sent to %s", snap.case_no, target.id)
        return "queued"

    def print_result(self, result: m.PrintResult) -> None:
        """Keep a receipt job's outcome on its case."""
        if not result.job_id.startswith(RECEIPT_JOB_PREFIX):
            return
        with self.services.ctx.db.write() as session:
            row = session.scalar(select(CaseRow).where(
                CaseRow.hall_id == self.hall_id, CaseRow.receipt_job_id == result.job_id))
            if row is None:
                return
            window = row.window
            row.receipt = "printed" if result.ok else "failed"
            self.services.cases.event(
                session, row, "print" if result.ok else "print-fail", actor=None,
                at=self.services.ctx.clock(),
                detail=None if result.ok else (result.error.value if result.error else None))
        self.services.ctx.changed(HallChange("window", window=window))
