"""Every screen of the kiosk and the terminal as a scenario: a real controller driven by its
public methods and protocol messages into one state (no Kivy here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from kiosk_ui_support import (
    AT,
    CASE_URL,
    TICKET_URL,
    FakeClock,
    FakeLink,
    FakePrinter,
    Role,
    case_view,
    issued,
    make,
    ready,
    receipt,
    reply,
    ticket_view,
)

from devices.protocol import messages as m
from kiosk.controller import HARD_WAIT_S, SOFT_WAIT_S, KioskController

PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)


@dataclass
class Rig:
    """A controller and its fakes."""

    role: Role
    ctl: KioskController
    link: FakeLink
    printer: FakePrinter
    clock: FakeClock

    def request_id(self, name: str) -> str:
        message = self.link.last(name)
        assert isinstance(message, m.TicketRequest | m.CheckIn | m.Query)
        return message.request_id


def rig(role: Role) -> Rig:
    ctl, link, printer, clock = make(role)
    return Rig(role, ctl, link, printer, clock)


# ---- setups -------------------------------------------------------------------------------

def home(r: Rig) -> None:
    ready(r.ctl, r.role)


def home_paused(r: Rig) -> None:
    ready(r.ctl, r.role, accepting=False,
          reason={"zh": "不在办公时间（工作日 9:00-17:00）", "en": "outside opening hours "
                  "(weekdays 9:00-17:00)"})


def home_offline(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.link.server = False
    r.printer.status = m.PrinterStatus(paper=m.PaperState.OUT)
    r.ctl.tick()


def items(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.open_category("qiye")


def items_full(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.open_category("churujing")


def home_saturday(r: Rig) -> None:
    """A Saturday whose roster serves neither 社保医保 nor 公积金."""
    ready(r.ctl, r.role, unserved=["shebao", "gongjijin"])


def items_unserved(r: Rig) -> None:
    ready(r.ctl, r.role, unserved=["shebao", "gongjijin"])
    r.ctl.open_category("shebao")


def guide(r: Rig) -> None:
    items(r)
    r.ctl.open_item("QY-001")


def guide_priority(r: Rig) -> None:
    guide(r)
    r.ctl.set_priority(True)


def issuing(r: Rig) -> None:
    guide(r)
    r.ctl.take_number()
    r.clock.now += SOFT_WAIT_S + 1
    r.ctl.tick()


def ticket(r: Rig) -> None:
    guide(r)
    r.ctl.take_number()
    reply(r.ctl, "ticket-issued", issued(r.request_id("ticket-request")), r.role)


def ticket_printed(r: Rig) -> None:
    ticket(r)
    r.printer.finish(ok=True)


def ticket_failed(r: Rig) -> None:
    ticket(r)
    r.printer.status = m.PrinterStatus(paper=m.PaperState.OUT)  # the sensor agrees
    r.printer.finish(ok=False, error=m.PrintError.PAPER_OUT)


def ticket_reprint(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.open_check_in()
    for key in "7K3M9Q2XH4TB8W6R":
        r.ctl.type_key(key)
    r.ctl.submit_code()
    reply(r.ctl, "ticket-issued", issued(r.request_id("check-in"), replayed=True,
                                         appointment_at=AT + timedelta(hours=1)), r.role)


def refused(r: Rig) -> None:
    guide(r)
    r.ctl.take_number()
    reply(r.ctl, "ticket-refused", m.TicketRefused(
        request_id=r.request_id("ticket-request"), code="closed",
        message="今日已停止取号，请明日 9:00 后再来", message_en="Ticketing has ended for "
        "today; please come back after 9:00 tomorrow"), r.role)


def paused(r: Rig) -> None:
    guide(r)
    r.ctl.take_number()
    r.clock.now += HARD_WAIT_S + 1
    r.ctl.tick()


def check_in(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.set_camera(True)
    r.ctl.open_check_in()
    for key in "7K3M9Q":
        r.ctl.type_key(key)


def check_in_nocam(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.set_camera(False)
    r.ctl.open_check_in()


def help_sent(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.call_helper("general")


def scan(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.set_camera(True)
    r.ctl.open_scan()


def scan_nocam(r: Rig) -> None:
    ready(r.ctl, r.role)
    r.ctl.open_scan()


def querying(r: Rig) -> None:
    scan(r)
    r.ctl.scanned(TICKET_URL)


def ticket_status(r: Rig, **extra: object) -> None:
    querying(r)
    reply(r.ctl, "query-result", m.QueryResult(request_id=r.request_id("query"), found=True,
                                               ticket=ticket_view(**extra)), r.role)


def ticket_called(r: Rig) -> None:
    ticket_status(r, state="called", window=5, people_ahead=0, about_to_be_called=False)


def case_status(r: Rig, **extra: object) -> None:
    scan(r)
    r.ctl.scanned(CASE_URL)
    reply(r.ctl, "query-result", m.QueryResult(request_id=r.request_id("query"), found=True,
                                               case=case_view(**extra)), r.role)


def case_overdue(r: Rig) -> None:
    case_status(r, working_days_left=-2, status_name={"zh": "办理中（已超期）",
                                                      "en": "In progress (overdue)"})


def case_reprint(r: Rig) -> None:
    case_status(r)
    r.ctl.reprint_receipt()
    case = case_view()
    reply(r.ctl, "query-result", m.QueryResult(request_id=r.request_id("query"), found=True,
                                               case=case, document=receipt(case)), r.role)


def not_found(r: Rig) -> None:
    scan(r)
    r.ctl.scanned(TICKET_URL)
    reply(r.ctl, "query-result", m.QueryResult(
        request_id=r.request_id("query"), found=False, code="not-found",
        message="未找到该号票，可能已过期", message_en="No such ticket: it may have expired"),
        r.role)


# ---- the list -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Shot:
    """One screenshot: a setup in a role, language and mode, and the page it must show."""

    name: str
    role: Role
    setup: Callable[[Rig], None]
    page: str
    language: str = "zh"
    elderly: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return PORTRAIT if self.role == "kiosk" else LANDSCAPE

    @property
    def file(self) -> str:
        return f"{self.name}.png"


ALL_MODES = (("zh", False), ("en", False), ("zh", True))
ZH_EN = (("zh", False), ("en", False))
ZH = (("zh", False),)


def _shots(role: Role, base: str, setup: Callable[[Rig], None], page: str,
           modes: tuple[tuple[str, bool], ...]) -> list[Shot]:
    out = []
    for language, elderly in modes:
        suffix = "elderly" if elderly else language
        out.append(Shot(f"{role}-{base}-{suffix}", role, setup, page, language, elderly))
    return out


SHOTS: list[Shot] = [
    *_shots("kiosk", "home", home, "home", ALL_MODES),
    *_shots("kiosk", "home-paused", home_paused, "home", ZH_EN),
    *_shots("kiosk", "home-offline", home_offline, "home", ZH),
    *_shots("kiosk", "items", items, "items", ALL_MODES),
    *_shots("kiosk", "items-full", items_full, "items", ZH),
    *_shots("kiosk", "home-saturday", home_saturday, "home", ZH_EN),
    *_shots("kiosk", "items-unserved", items_unserved, "items", ZH),
    *_shots("kiosk", "guide", guide, "guide", ALL_MODES),
    *_shots("kiosk", "guide-priority", guide_priority, "guide", ZH),
    *_shots("kiosk", "issuing", issuing, "issuing", ZH_EN),
    *_shots("kiosk", "ticket", ticket, "ticket", ALL_MODES),
    *_shots("kiosk", "ticket-printed", ticket_printed, "ticket", ZH),
    *_shots("kiosk", "ticket-failed", ticket_failed, "ticket", ZH_EN),
    *_shots("kiosk", "ticket-reprint", ticket_reprint, "ticket", ZH),
    *_shots("kiosk", "refused", refused, "refused", ZH_EN),
    *_shots("kiosk", "paused", paused, "paused", ZH_EN),
    *_shots("kiosk", "check-in", check_in, "check_in", ALL_MODES),
    *_shots("kiosk", "check-in-nocam", check_in_nocam, "check_in", ZH),
    *_shots("kiosk", "help", help_sent, "help_sent", ALL_MODES),
    *_shots("terminal", "home", home, "home", ALL_MODES),
    *_shots("terminal", "home-paused", home_offline, "home", ZH),
    *_shots("terminal", "scan", scan, "scan", ZH_EN),
    *_shots("terminal", "scan-nocam", scan_nocam, "scan", ZH),
    *_shots("terminal", "querying", querying, "querying", ZH),
    *_shots("terminal", "ticket-status", ticket_status, "ticket_status", ALL_MODES),
    *_shots("terminal", "ticket-called", ticket_called, "ticket_status", ZH),
    *_shots("terminal", "case-status", case_status, "case_status", ALL_MODES),
    *_shots("terminal", "case-overdue", case_overdue, "case_status", ZH_EN),
    *_shots("terminal", "case-reprint", case_reprint, "case_status", ZH),
    *_shots("terminal", "refused", not_found, "refused", ZH_EN),
    *_shots("terminal", "check-in", check_in, "check_in", ZH),
    *_shots("terminal", "items", items, "items", ZH),
    *_shots("terminal", "guide", guide, "guide", ZH_EN),
    *_shots("terminal", "ticket", ticket, "ticket", ZH_EN),
    *_shots("terminal", "help", help_sent, "help_sent", ZH),
]


def prepare(shot: Shot) -> Rig:
    """A controller in the shot's state, language and mode."""
    r = rig(shot.role)
    shot.setup(r)
    if shot.language != r.ctl.view.language:
        r.ctl.toggle_language()
    if shot.elderly:
        r.ctl.toggle_elderly()
    return r
