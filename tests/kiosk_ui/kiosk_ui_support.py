"""Fakes at the kiosk's edges (MQTT link, printer, clock) and a sample hall, for driving a
real KioskController into every screen without a server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Literal
from zoneinfo import ZoneInfo

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, state
from kiosk.controller import KioskController, KioskSettings
from kiosk.testing import FakeLink, FakePrinter
from kiosk.testing import ManualClock as FakeClock

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in the hall
HALL = "demo"
TICKET_URL = "https://hall.example.gov.cn/t/Xq3v9kPz2LwR8sT1"
CASE_URL = "https://hall.example.gov.cn/c/Kp7Wm2Qx9ZrT4vLs"
Role = Literal["kiosk", "terminal"]


def _t(zh: str, en: str) -> m.Text:
    return m.Text(zh=zh, en=en)


def _mat(name: str, *, original: bool = True, copies: int = 0,
         note: str | None = None) -> m.CatalogMaterial:
    return m.CatalogMaterial(name=name, original=original, copies=copies, note=note)


def catalog(version: int = 3) -> m.ServiceCatalog:
    """A hall with five categories; 企业开办 has a full guide."""
    company = m.CatalogItem(
        code="QY-001", name=_t("有限责任公司设立登记", "Limited company registration"),
        promised_limit_days=1, legal_limit_days=3, fee_yuan=0, expected_minutes=18,
        materials=[_mat("公司登记（备案）申请书", copies=1),
                   _mat("公司章程", original=True),
                   _mat("法定代表人、股东身份证件", copies=1),
                   _mat("住所使用证明", copies=1, note="自有房产提供产权证明")])
    seal = m.CatalogItem(code="QY-002", name=_t("公章刻制备案", "Company seal filing"),
                         promised_limit_days=0, legal_limit_days=0, fee_yuan=80,
                         fee_note="按实际刻章数量", expected_minutes=10,
                         materials=[_mat("营业执照", copies=1)])
    change = m.CatalogItem(code="QY-003", name=_t("营业执照变更登记", "Business licence change"),
                           promised_limit_days=2, legal_limit_days=15, expected_minutes=15)

    def cat(code: str, prefix: str, zh: str, en: str, zone: str, zone_zh: str, zone_en: str,
            floor: int, windows: list[int], items: list[m.CatalogItem]) -> m.CatalogCategory:
        return m.CatalogCategory(code=code, prefix=prefix, name=_t(zh, en), zone=zone,
                                 zone_name=_t(zone_zh, zone_en), floor=floor, windows=windows,
                                 items=items)

    cats = [
        cat("qiye", "A", "企业开办", "Business registration", "zone-a", "综合受理A区", "Zone A",
            1, [1, 2, 3, 5], [company, seal, change]),
        cat("shebao", "B", "社保医保", "Social insurance", "zone-b", "社保服务B区", "Zone B", 1,
            [7, 8], []),
        cat("budongchan", "C", "不动产登记", "Real estate", "zone-c", "不动产C区", "Zone C", 2,
            [11, 12, 13], []),
        cat("gongjijin", "D", "公积金", "Housing fund", "zone-c", "不动产C区", "Zone C", 2,
            [15], []),
        cat("churujing", "E", "出入境", "Exit and entry", "zone-d", "出入境D区",
            "Zone D", 3, [21, 22], []),
    ]
    hall = _t("示范市政务服务中心", "Demo City Government Service Center")
    return m.ServiceCatalog(request_id="c" * 32, version=version, hall_name=hall,
                            categories=cats)


WAITING = {"qiye": 7, "shebao": 3, "budongchan": 12, "gongjijin": 0}


def kiosk_state(accepting: bool = True, **extra: object) -> m.KioskState:
    fields: dict[str, object] = {"version": 1, "accepting": accepting, "catalog_version": 3,
                                 "waiting": WAITING, "full": ["churujing"]}
    fields.update(extra)
    return m.KioskState.model_validate(fields)


_ids = count(1)


def make(role: Role = "kiosk", *, has_printer: bool = True) -> tuple[
        KioskController, FakeLink, FakePrinter, FakeClock]:
    """A controller with fakes at its edges, nothing received yet."""
    link, printer, clock = FakeLink(), FakePrinter(), FakeClock()
    cfg = KioskSettings(role=role, device_id=f"{role}-a1", idle_return_s=600,
                        printer_id="printer-a1", has_printer=has_printer)
    ctl = KioskController(cfg, link, printer=printer if has_printer else None, clock=clock,
                          new_id=lambda: f"req{next(_ids):029d}")
    return ctl, link, printer, clock


def device(role: Role) -> DeviceType:
    return DeviceType.KIOSK if role == "kiosk" else DeviceType.TERMINAL


def ready(ctl: KioskController, role: Role = "kiosk", *, accepting: bool = True,
          **state_extra: object) -> None:
    """The server's state and catalog arrive."""
    ctl.on_message(state(HALL, device(role), f"{role}-a1"),
                   kiosk_state(accepting, **state_extra))
    ctl.on_message(cmd(HALL, device(role), f"{role}-a1", "catalog"), catalog())


def reply(ctl: KioskController, name: str, message: m.Message, role: Role = "kiosk") -> None:
    """A command from the server."""
    ctl.on_message(cmd(HALL, device(role), f"{role}-a1", name), message)


def issued(request_id: str, **extra: object) -> m.TicketIssued:
    fields: dict[str, object] = {
        "request_id": request_id, "number": "A012", "category": "qiye",
        "category_name": _t("企业开办", "Business registration"), "people_ahead": 7,
        "predicted_wait_min": 18, "zone": _t("一楼综合受理A区", "Floor 1, Zone A"),
        "windows": [1, 2, 3, 5], "status_path": "/t/Xq3v9kPz2LwR8sT1",
        "status_url": TICKET_URL, "issued_at": AT}
    fields.update(extra)
    return m.TicketIssued.model_validate(fields)


def ticket_view(**extra: object) -> m.TicketView:
    fields: dict[str, object] = {
        "number": "A012", "state": "waiting",
        "category_name": _t("企业开办", "Business registration"), "people_ahead": 2,
        "predicted_wait_min": 6, "about_to_be_called": True, "issued_at": AT}
    fields.update(extra)
    return m.TicketView.model_validate(fields)


def case_view(**extra: object) -> m.CaseView:
    fields: dict[str, object] = {
        "case_no": "GS2026112300017", "status": "in_progress",
        "status_name": _t("审核中", "Under review"),
        "items": [_t("食品经营许可证新办", "New food business licence"),
                  _t("营业执照变更登记", "Business licence change")],
        "accepted_at": AT, "promised_by": AT + timedelta(days=4), "working_days_left": 3,
        "window": 5, "owner": "李明 10005"}
    fields.update(extra)
    return m.CaseView.model_validate(fields)


def receipt(case: m.CaseView) -> m.ReceiptDocument:
    return m.ReceiptDocument(case_no=case.case_no, items=case.items,
                             materials=["营业执照副本（复印件）1份"], promised_by=case.promised_by,
                             window=case.window, owner=case.owner, qr_url=CASE_URL,
                             accepted_at=case.accepted_at)
