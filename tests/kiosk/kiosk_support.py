"""Fakes at the edge of the kiosk controller: the MQTT link, the printer and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, state
from kiosk.controller import KioskController, KioskSettings
from kiosk.testing import FakeLink, FakePrinter
from kiosk.testing import ManualClock as FakeClock

AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def catalog(version: int = 3) -> m.ServiceCatalog:
    item = m.CatalogItem(code="QY-001", name=m.Text(zh="有限责任公司设立登记", en="Company"),
                         promised_limit_days=1, legal_limit_days=3,
                         materials=[m.CatalogMaterial(name="申请书", copies=1)],
                         expected_minutes=18)
    cats = [m.CatalogCategory(code="qiye", prefix="A", name=m.Text(zh="企业开办", en="Business"),
                              zone="zone-a", zone_name=m.Text(zh="A区", en="Zone A"), floor=1,
                              windows=[1, 2], items=[item]),
            m.CatalogCategory(code="shebao", prefix="B", name=m.Text(zh="社保", en="Social"),
                              zone="zone-b", zone_name=m.Text(zh="B区", en="Zone B"), floor=2,
                              windows=[7], items=[])]
    return m.ServiceCatalog(request_id="c" * 32, version=version,
                            hall_name=m.Text(zh="示范大厅", en="Demo Hall"), categories=cats)


def kiosk_state(accepting: bool = True, version: int = 1, **extra: object) -> m.KioskState:
    return m.KioskState(version=version, accepting=accepting, catalog_version=3, **extra)


_ids = count(1)


def make(role: str = "kiosk", **settings: object) -> tuple[KioskController, FakeLink,
                                                         FakePrinter, FakeClock]:
    link, printer, clock = FakeLink(), FakePrinter(), FakeClock()
    cfg = KioskSettings(role=role, device_id=f"{role}-a1", idle_return_s=30,  # type: ignore[arg-type]
                        printer_id="printer-a1", **settings)  # type: ignore[arg-type]
    ctl = KioskController(cfg, link, printer=printer, clock=clock,
                          new_id=lambda: f"req{next(_ids):029d}")
    return ctl, link, printer, clock


def ready(ctl: KioskController, role: str = "kiosk") -> None:
    """Server online, accepting, catalog loaded."""
    kind = DeviceType.KIOSK if role == "kiosk" else DeviceType.TERMINAL
    ctl.on_message(state("demo", kind, f"{role}-a1"), kiosk_state())
    ctl.on_message(cmd("demo", kind, f"{role}-a1", "catalog"), catalog())


def reply(ctl: KioskController, name: str, message: m.Message, role: str = "kiosk") -> None:
    kind = DeviceType.KIOSK if role == "kiosk" else DeviceType.TERMINAL
    ctl.on_message(cmd("demo", kind, f"{role}-a1", name), message)


def issued(request_id: str, number: str = "A012", **extra: object) -> m.TicketIssued:
    fields: dict[str, object] = {
        "request_id": request_id, "number": number, "category": "qiye",
        "category_name": m.Text(zh="企业开办", en="Business"), "people_ahead": 3,
        "predicted_wait_min": 9, "zone": m.Text(zh="A区", en="Zone A"), "windows": [1, 2],
        "status_path": "/t/Xq3v9kPz2LwR8sT1", "status_url": "http://hall/t/Xq3v9kPz2LwR8sT1",
        "issued_at": AT}
    fields.update(extra)
    return m.TicketIssued.model_validate(fields)
