"""The kiosk's and terminal's behaviour, without widgets: taps, server replies, printer and
camera events in; a new `KioskView` out.

Rules it keeps:
- a number is shown only once the server committed it (`cmd/ticket-issued`); an unanswered
  request is resent with the same `request_id` while the citizen waits, so a broker restart
  mid-request delays the ticket, never loses or doubles it; requests are not kept in the
  outbox, so a kiosk restarted mid-request never takes a number for nobody;
- while the broker or the server is away, or outside opening hours, taking a number is
  paused (暂停取号) and no number is shown;
- a late reply (after the kiosk gave up waiting) is shown only to the same citizen session;
  otherwise it is logged as an orphan and not printed;
- printing never blocks the screen: the job is handed to the printer driver's own thread; a
  failed print leaves the number and its QR code on screen and pages staff once per fault;
- a ticket is printed once (the job id derives from the ticket); a copy is marked 补打.

Thread-safety: events arrive from the UI thread, the MQTT dispatcher thread and the printer
thread; one lock serialises them and `on_view` is called with each new view (the Kivy layer
moves it to its own thread).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, Literal, Protocol, TypeVar

from devices.protocol import messages as m
from devices.protocol.topics import Kind, Topic
from kiosk.model import KioskView, Level, Notice, Page

logger = logging.getLogger(__name__)

SOFT_WAIT_S = 3.0  # after this the issuing screen says it is still connecting
RESEND_S = 4.0  # an unanswered request is sent again (same request_id: same ticket)
HARD_WAIT_S = 20.0  # after this the kiosk stops waiting (a late reply may still come)
CATALOG_RETRY_S = 10.0
CODE_MAX = 19  # XXXX-XXXX-XXXX-XXXX
CODE_KEYS = frozenset("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_TOKEN_URL = re.compile(r"/(t|c)/([A-Za-z0-9_-]{8,64})(?:[/?#]|$)")

SERVER_AWAY = Notice("暂停取号：正在连接服务器，请稍候或咨询工作人员",
                     "Ticketing paused: connecting to the server. Please wait or ask staff.",
                     Level.ERROR)
STILL_CONNECTING = Notice("正在出号，网络较慢，请稍候…", "Issuing your number, please wait…",
                          Level.WARN)
GAVE_UP = Notice("暂停取号：服务器暂未响应，未出号。请稍后再试或咨询工作人员",
                 "Ticketing paused: the server did not answer and no number was issued. "
                 "Please try again later or ask staff.", Level.ERROR)
CATEGORY_FULL = Notice("今日该类业务号已取完（限号），可预约其他日期",
                       "Today's numbers for this service are gone; please book another day.",
                       Level.WARN)
CATEGORY_UNSERVED = Notice("今日无人办理该类业务，请改日办理或到服务台咨询",
                           "Nobody serves this today; please come another day or ask at the "
                           "help desk.", Level.WARN)
PAPER_OUT = Notice("打印机缺纸：号码显示在屏幕上，请拍照或扫码保存，工作人员已收到通知",
                   "Printer out of paper: please photograph or scan your number. Staff have "
                   "been told.", Level.WARN)
PRINTER_FAULT = Notice("打印机故障：号码显示在屏幕上，请拍照或扫码保存，工作人员已收到通知",
                       "Printer fault: please photograph or scan your number. Staff have been "
                       "told.", Level.WARN)
HELP_SENT = Notice("已呼叫工作人员，请稍候，马上为您服务", "Staff are on their way to help you.")
BAD_QR = Notice("无法识别该二维码，请出示号票或回执上的二维码",
                "This QR code is not a ticket or a receipt.", Level.WARN)
NO_CATALOG = Notice("正在获取办事指南，请稍候", "Loading the service guide…", Level.WARN)


class Link(Protocol):
    """The device's MQTT side, as the controller needs it."""

    def emit(self, name: str, message: m.Message) -> object:
        """Queue an event in the outbox (delivered when the broker is reachable)."""

    def send(self, name: str, message: m.Message) -> object:
        """Publish a request now, not stored: it dies with the process (the controller
        resends it while the citizen waits; a restarted kiosk must not take a number for
        nobody)."""

    def available(self) -> tuple[bool, bool]:
        """(connected to the broker, server online)."""


class PrinterPort(Protocol):
    """The local printer driver, as the controller needs it."""

    def print_local(self, job: m.PrintJob,
                    on_done: Callable[[m.PrintResult], None]) -> None:
        """Print on the driver's thread; `on_done` is called with the result."""

    def last_status(self) -> m.PrinterStatus | None:
        """The newest sensor reading, if any."""


HelperReason = Literal["general", "elderly", "disabled", "materials", "device-fault"]


class _Settings(Protocol):
    @property
    def languages(self) -> tuple[str, ...]: ...


class _View(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def elderly(self) -> bool: ...


S = TypeVar("S", bound=_Settings)
V = TypeVar("V", bound=_View)


class ViewController(Generic[S, V]):
    """What the kiosk's and the pad's controllers share: settings, link, clocks, the lock
    every event takes, the language and large-type toggles, paging staff, and handing each
    new view to `on_view`. Subclasses set `view` and say what a tap does to idle timers
    (`_touch`)."""

    view: V

    def __init__(self, settings: S, link: Link, *, on_view: Callable[[V], None] | None,
                 clock: Callable[[], float], new_id: Callable[[], str]) -> None:
        self.settings = settings
        self.link = link
        self.on_view = on_view
        self.clock = clock
        self.new_id = new_id
        self._lock = threading.RLock()

    def _touch(self) -> None:
        raise NotImplementedError

    def toggle_language(self) -> None:
        """Switch to the next configured language."""
        with self._lock:
            self._touch()
            langs = self.settings.languages
            self._show(language=langs[(langs.index(self.view.language) + 1) % len(langs)])

    def toggle_elderly(self) -> None:
        """Large type and high contrast (适老化 / 长辈模式)."""
        with self._lock:
            self._touch()
            self._show(elderly=not self.view.elderly)

    def _page_helper(self, reason: HelperReason) -> None:
        """帮办: page hall staff to this device (a tap)."""
        self._touch()
        self.link.emit("helper-request", m.HelperRequest(request_id=self.new_id(),
                                                         reason=reason))

    def _show(self, **changes: object) -> None:
        new = replace(self.view, **changes)  # type: ignore[type-var]
        if new == self.view:
            return
        self.view = new
        if self.on_view is not None:
            self.on_view(new)


@dataclass
class _Pending:
    request_id: str
    kind: Literal["ticket", "check-in", "query", "reprint"]
    started: float
    session: int
    name: str
    message: m.Message
    last_sent: float
    resent: int = 0
    gave_up: bool = False


@dataclass(frozen=True)
class KioskSettings:
    """What the controller takes from the device config."""

    role: Literal["kiosk", "terminal"]
    device_id: str
    idle_return_s: float
    languages: tuple[str, ...] = ("zh", "en")
    categories: tuple[str, ...] | None = None  # offered codes in order (None: by zone/all)
    zone: str | None = None
    has_printer: bool = True
    printer_id: str | None = None


def ticket_job_id(status_path: str, salt: str = "") -> str:
    """A print job id derived from the ticket (so a redelivery prints nothing new)."""
    return hashlib.sha256(f"{status_path}|{salt}".encode()).hexdigest()[:32]


def token_of(text: str) -> tuple[Literal["ticket", "case"], str] | None:
    """(kind, token) of a ticket (/t/) or receipt (/c/) QR code URL, else None."""
    match = _TOKEN_URL.search(text.strip())
    if match is None:
        return None
    return ("ticket" if match.group(1) == "t" else "case"), match.group(2)


class KioskController(ViewController[KioskSettings, KioskView]):
    """Kiosk and terminal behaviour; see the module docstring."""

    def __init__(self, settings: KioskSettings, link: Link, *,
                 printer: PrinterPort | None = None,
                 on_view: Callable[[KioskView], None] | None = None,
                 catalog: m.ServiceCatalog | None = None,
                 save_catalog: Callable[[m.ServiceCatalog], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 new_id: Callable[[], str] = m.new_id) -> None:
        super().__init__(settings, link, on_view=on_view, clock=clock, new_id=new_id)
        self.printer = printer
        self.save_catalog = save_catalog
        self.catalog = catalog
        self.kiosk_state: m.KioskState | None = None
        self.orphans: list[str] = []  # numbers issued after their session ended
        self._pending: _Pending | None = None
        self._session = 0
        self._last_touch = clock()
        self._catalog_asked = float("-inf")
        self._fault_paged = False
        self._printing: str | None = None  # job id of the printout on screen
        self._case_token: str | None = None  # of the case on screen (for a reprint)
        self.view = KioskView(role=settings.role, languages=settings.languages,
                              language=settings.languages[0],
                              has_printer=settings.has_printer and printer is not None)
        self._refresh()

    # ---- taps ---------------------------------------------------------------------------------

    def open_category(self, code: str) -> None:
        """Show a category's items."""
        with self._lock:
            self._touch()
            category = next((c for c in self.view.categories if c.code == code), None)
            if category is None:
                return
            self._show(page=Page.ITEMS, category=category, item=None, refusal=None)

    def open_item(self, code: str) -> None:
        """Show an item's service guide (一次性告知)."""
        with self._lock:
            self._touch()
            category = self.view.category
            item = next((i for i in category.items if i.code == code), None) if category else None
            if item is None:
                return
            self._show(page=Page.GUIDE, item=item)

    def set_priority(self, on: bool) -> None:
        """Choose the priority lane (绿色通道) for elderly and disabled citizens."""
        with self._lock:
            self._touch()
            self._show(priority=on)

    def take_number(self) -> None:
        """Ask the server for a number in the chosen category (and item)."""
        with self._lock:
            self._touch()
            v = self.view
            if v.category is None or self._pending is not None:
                return
            if not v.accepting:
                self._show(page=Page.PAUSED)
                return
            if v.category.code in v.full:
                self._show(page=Page.REFUSED, refusal=CATEGORY_FULL)
                return
            if v.category.code in v.unserved:
                self._show(page=Page.REFUSED, refusal=CATEGORY_UNSERVED)
                return
            self._send("ticket", "ticket-request", m.TicketRequest(
                request_id=self.new_id(), category=v.category.code,
                item=v.item.code if v.item else None, priority=v.priority,
                language="en" if v.language == "en" else "zh"))
            self._show(page=Page.ISSUING, banner=None, refusal=None)

    def open_check_in(self) -> None:
        """Appointment check-in: scan the code or type it."""
        with self._lock:
            self._touch()
            self._show(page=Page.CHECK_IN, code_input="", refusal=None)

    def type_key(self, key: str) -> None:
        """A key of the code keypad."""
        with self._lock:
            self._touch()
            key = key.upper()
            if key not in CODE_KEYS:
                return
            raw = self.view.code_input.replace("-", "") + key
            if len(raw) > 16:
                return
            grouped = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
            self._show(code_input=grouped[:CODE_MAX])

    def erase(self) -> None:
        """Delete the last typed character."""
        with self._lock:
            self._touch()
            raw = self.view.code_input.replace("-", "")[:-1]
            self._show(code_input="-".join(raw[i:i + 4] for i in range(0, len(raw), 4)))

    def submit_code(self) -> None:
        """Check in with the typed code."""
        with self._lock:
            self._touch()
            self._check_in(self.view.code_input)

    def scanned(self, text: str) -> None:
        """A QR code read by the camera."""
        with self._lock:
            page = self.view.page
            if page not in (Page.CHECK_IN, Page.SCAN, Page.HOME) or self._pending:
                return
            self._touch()
            found = token_of(text)
            if found is not None and self.settings.role == "terminal":
                self._query(found[0], found[1], "view")
            elif found is not None:
                self._show(page=Page.REFUSED, refusal=BAD_QR)
            elif page is not Page.SCAN:
                self._check_in(text)
            else:
                self._show(page=Page.REFUSED, refusal=BAD_QR)

    def open_scan(self) -> None:
        """Terminal: ask for a ticket's or a receipt's QR code."""
        with self._lock:
            self._touch()
            self._show(page=Page.SCAN, refusal=None)

    def reprint_receipt(self) -> None:
        """Terminal: print a copy of the receipt on screen (marked 补打)."""
        with self._lock:
            self._touch()
            if self.view.query_case is None or not self.view.has_printer:
                return
            if self._case_token:
                self._query("case", self._case_token, "reprint")

    def call_helper(self, reason: HelperReason = "general") -> None:
        """帮办: page hall staff to this device."""
        with self._lock:
            self._page_helper(reason)
            self._show(page=Page.HELP_SENT, banner=HELP_SENT)

    def back(self) -> None:
        """One screen back."""
        with self._lock:
            self._touch()
            page = self.view.page
            if page is Page.GUIDE:
                self._show(page=Page.ITEMS, item=None)
            elif page is Page.ISSUING:
                return  # the request is out: wait for its answer
            else:
                self.home()

    def home(self) -> None:
        """Back to the start; a new citizen session begins."""
        with self._lock:
            self._touch()
            self._reset()

    # ---- time ---------------------------------------------------------------------------------

    def tick(self) -> None:
        """Called about twice a second: link state, waits, idle return, catalog refresh."""
        with self._lock:
            now = self.clock()
            self._refresh()
            self._maybe_ask_catalog(now)
            p = self._pending
            if p is not None and not p.gave_up:
                waited = now - p.started
                if waited >= HARD_WAIT_S:
                    p.gave_up = True
                    self._show(page=Page.PAUSED if p.kind != "query" else Page.REFUSED,
                               paused=GAVE_UP, refusal=GAVE_UP, banner=None)
                else:
                    self._resend(p, now)
                    if waited >= SOFT_WAIT_S and self.view.banner is None:
                        self._show(banner=STILL_CONNECTING)
            idle = now - self._last_touch >= self.settings.idle_return_s
            if idle and self.view.page is not Page.HOME and (p is None or p.gave_up):
                logger.debug("idle: back to home")
                self._reset()

    # ---- inbound ------------------------------------------------------------------------------

    def on_message(self, topic: Topic, message: m.Message) -> None:
        """A command or state from the server (DeviceClient's on_command)."""
        with self._lock:
            if topic.kind is Kind.STATE and isinstance(message, m.KioskState):
                self.kiosk_state = message
                self._refresh()
                self._maybe_ask_catalog(self.clock())
                return
            match message:
                case m.ServiceCatalog():
                    self._catalog(message)
                case m.TicketIssued():
                    self._issued(message)
                case m.TicketRefused():
                    self._refused(message)
                case m.QueryResult():
                    self._answered(message)
                case _:
                    logger.debug("ignored %s", type(message).__name__)

    def print_done(self, result: m.PrintResult, job_id: str) -> None:
        """The printer finished a job of this screen."""
        with self._lock:
            if self._printing != job_id:
                return  # a job of an earlier screen
            if result.ok:
                self._show(print_state="printed")
                return
            self._show(print_state="failed", printer_warning=(
                PAPER_OUT if result.error is m.PrintError.PAPER_OUT else PRINTER_FAULT))
            self._page_staff_for_fault(result.error)

    def set_camera(self, online: bool) -> None:
        """The camera reader's state (offline: the keypad is the way in)."""
        with self._lock:
            self._show(camera_online=online)

    # ---- internals ----------------------------------------------------------------------------

    def _touch(self) -> None:
        self._last_touch = self.clock()

    def _reset(self) -> None:
        self._session += 1
        if self._pending is not None and self._pending.gave_up:
            self._pending = None
        self._printing = None
        self._case_token = None
        self._show(page=Page.HOME, category=None, item=None, priority=False, ticket=None,
                   qr_url=None, reprint=False, print_state="none", refusal=None,
                   code_input="", query_ticket=None, query_case=None, banner=None)

    def _check_in(self, code: str) -> None:
        if self._pending is not None or not code.strip():
            return
        if not self.view.accepting:
            self._show(page=Page.PAUSED)
            return
        self._send("check-in", "check-in", m.CheckIn(
            request_id=self.new_id(), code=code.strip()[:80],
            language="en" if self.view.language == "en" else "zh"))
        self._show(page=Page.ISSUING, banner=None, refusal=None)

    def _query(self, kind: Literal["ticket", "case"], token: str,
               purpose: Literal["view", "reprint"]) -> None:
        if self._pending is not None:
            return
        connected, server = self.link.available()
        if not (connected and server):
            self._show(page=Page.REFUSED, refusal=SERVER_AWAY)
            return
        self._send("reprint" if purpose == "reprint" else "query", "query",
                   m.Query(request_id=self.new_id(), kind=kind, token=token, purpose=purpose))
        if kind == "case":
            self._case_token = token
        self._show(page=Page.QUERYING, refusal=None, banner=None)

    def _send(self, kind: Literal["ticket", "check-in", "query", "reprint"], name: str,
              message: m.TicketRequest | m.CheckIn | m.Query) -> None:
        now = self.clock()
        self.link.send(name, message)
        self._pending = _Pending(message.request_id, kind, now, self._session, name, message,
                                 last_sent=now)

    def _resend(self, p: _Pending, now: float) -> None:
        """Send an unanswered request again: a broker that restarted without persistence
        may have lost it or its reply; the server answers a known request_id with the same
        ticket, so this never makes a second one."""
        connected, server = self.link.available()
        if connected and server and now - p.last_sent >= RESEND_S:
            p.last_sent, p.resent = now, p.resent + 1
            self.link.send(p.name, p.message)

    def _take_pending(self, request_id: str) -> _Pending | None:
        p = self._pending
        if p is None or p.request_id != request_id:
            return None
        self._pending = None
        return p

    def _issued(self, msg: m.TicketIssued) -> None:
        p = self._take_pending(msg.request_id)
        if p is None or p.session != self._session:
            # The citizen who asked has gone (home or idle): never print for nobody.
            self.orphans.append(msg.number)
            logger.warning("ticket %s arrived after its session ended: not shown, not printed",
                           msg.number)
            return
        qr_url = msg.status_url or msg.status_path
        # A repeated check-in returns the same ticket: its printout is a copy (补打). After a
        # resend, "replayed" may only mean the server saw our own first copy.
        copy = p.kind == "check-in" and msg.replayed and p.resent == 0
        job_id = ticket_job_id(msg.status_path, msg.request_id if copy else "")
        self._show(page=Page.TICKET, ticket=msg, qr_url=qr_url, reprint=copy, banner=None,
                   refusal=None, paused=None)
        self._print(job_id, copy, m.TicketDocument(
            number=msg.number, category_name=msg.category_name,
            people_ahead=msg.people_ahead, predicted_wait_min=msg.predicted_wait_min or 0,
            zone=msg.zone, windows=msg.windows, qr_url=qr_url, issued_at=msg.issued_at))

    def _refused(self, msg: m.TicketRefused) -> None:
        p = self._take_pending(msg.request_id)
        if p is None or p.session != self._session:
            return
        self._show(page=Page.REFUSED, refusal=Notice(msg.message, msg.message_en, Level.WARN),
                   banner=None)

    def _answered(self, msg: m.QueryResult) -> None:
        p = self._take_pending(msg.request_id)
        if p is None or p.session != self._session:
            return
        if not msg.found:
            self._show(page=Page.REFUSED, banner=None, refusal=Notice(
                msg.message or "未找到", msg.message_en or "not found", Level.WARN))
        elif msg.ticket is not None:
            self._show(page=Page.TICKET_STATUS, query_ticket=msg.ticket, banner=None)
        elif msg.case is not None:
            self._show(page=Page.CASE_STATUS, query_case=msg.case, banner=None)
            if p.kind == "reprint" and isinstance(msg.document, m.ReceiptDocument):
                self._print(ticket_job_id(msg.document.case_no, msg.request_id), True,
                            msg.document)

    def _print(self, job_id: str, reprint: bool,
               document: m.TicketDocument | m.ReceiptDocument) -> None:
        if self.printer is None or not self.settings.has_printer:
            self._show(print_state="no_printer")
            return
        self._printing = job_id
        self._show(print_state="printing")
        job = m.PrintJob(job_id=job_id, reprint=reprint, document=document)
        self.printer.print_local(job, lambda result: self.print_done(result, job_id))

    def _page_staff_for_fault(self, error: m.PrintError | None) -> None:
        if self._fault_paged:
            return  # once per fault episode; cleared when the printer reports ok
        self._fault_paged = True
        what = error.value if error else "fault"
        self.link.emit("helper-request", m.HelperRequest(
            request_id=self.new_id(), reason="device-fault",
            note=f"{self.settings.printer_id or 'printer'}: {what}"))

    def _catalog(self, msg: m.ServiceCatalog) -> None:
        if self.catalog is not None and self.catalog.version == msg.version:
            return
        self.catalog = msg
        if self.save_catalog is not None:
            try:
                self.save_catalog(msg)
            except OSError:
                logger.exception("could not cache the service catalog")
        self._refresh()

    def _maybe_ask_catalog(self, now: float) -> None:
        connected, server = self.link.available()
        wanted = (self.kiosk_state.catalog_version if self.kiosk_state else None)
        have = self.catalog.version if self.catalog else None
        stale = have is None or (wanted is not None and wanted != have)
        if stale and connected and server and now - self._catalog_asked >= CATALOG_RETRY_S:
            self._catalog_asked = now
            self.link.emit("catalog-request", m.CatalogRequest(request_id=self.new_id(),
                                                               have_version=have))

    def _offered(self) -> tuple[m.CatalogCategory, ...]:
        if self.catalog is None:
            return ()
        cats = self.catalog.categories
        wanted = self.settings.categories
        if wanted is not None:
            by_code = {c.code: c for c in cats}
            return tuple(by_code[c] for c in wanted if c in by_code)
        if self.settings.zone is not None and self.settings.role == "kiosk":
            return tuple(c for c in cats if c.zone == self.settings.zone)
        return tuple(cats)

    def _refresh(self) -> None:
        """Recompute what depends on the link, the server state and the printer."""
        connected, server = self.link.available()
        state = self.kiosk_state
        paused: Notice | None = None
        if not (connected and server) or state is None:
            paused = SERVER_AWAY
        elif not state.accepting:
            reason = state.reason
            paused = Notice(f"暂停取号：{reason.zh}" if reason else "暂停取号",
                            f"Ticketing paused: {reason.en}" if reason else "Ticketing paused",
                            Level.WARN)
        elif self.catalog is None:
            paused = NO_CATALOG
        printer_warning = self.view.printer_warning
        if self.printer is not None:
            status = self.printer.last_status()
            if status is not None:
                if status.paper is m.PaperState.OUT:
                    printer_warning = PAPER_OUT
                elif not status.online or status.cover_open:
                    printer_warning = PRINTER_FAULT
                else:
                    printer_warning = None
                    self._fault_paged = False
                if printer_warning is not None:
                    self._page_staff_for_fault(
                        m.PrintError.PAPER_OUT if status.paper is m.PaperState.OUT
                        else m.PrintError.OFFLINE if not status.online
                        else m.PrintError.COVER_OPEN)
        live = state is not None and connected and server  # stale counts are not shown
        self._show(categories=self._offered(),
                   hall_name=self.catalog.hall_name if self.catalog else self.view.hall_name,
                   waiting=dict(state.waiting) if live and state else {},
                   full=frozenset(state.full) if live and state else frozenset(),
                   unserved=frozenset(state.unserved) if live and state else frozenset(),
                   accepting=paused is None, paused=paused, printer_warning=printer_warning)
