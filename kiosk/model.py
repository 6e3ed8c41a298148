"""What a kiosk or terminal screen shows, as plain immutable data (no widgets).

The controller produces a new `KioskView` after every event; the Kivy layer only draws it
and forwards taps. Everything a citizen reads that comes from the server is already
bilingual (`Text`); fixed labels of the screens live with the widgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from devices.protocol import messages as m


class Page(StrEnum):
    """The screens of the kiosk (取号机) and the self-service terminal (自助服务终端)."""

    HOME = "home"  # category tiles (kiosk) or the terminal's services
    ITEMS = "items"  # the items of one category
    GUIDE = "guide"  # one item's service guide (一次性告知) and the take-a-number button
    ISSUING = "issuing"  # waiting for the server to commit the ticket
    TICKET = "ticket"  # the committed ticket, printed or not
    REFUSED = "refused"  # the server said no (daily cap, closed, bad code ...)
    PAUSED = "paused"  # 暂停取号: server unreachable or outside opening hours
    CHECK_IN = "check_in"  # appointment code: camera or keypad
    HELP_SENT = "help_sent"  # 帮办: staff have been paged
    SCAN = "scan"  # terminal: show a ticket's or a receipt's QR code to the camera
    QUERYING = "querying"  # terminal: waiting for a status answer
    TICKET_STATUS = "ticket_status"  # terminal: a ticket's live status
    CASE_STATUS = "case_status"  # terminal: a case's progress and deadline (限时办结)


class Level(StrEnum):
    """How loud a notice is."""

    INFO = "info"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True)
class Notice:
    """A bilingual message for the citizen."""

    zh: str
    en: str
    level: Level = Level.INFO

    def text(self, language: str) -> str:
        """The message in a language."""
        return self.zh if language == "zh" else self.en


class Spoken:
    """What a view says in its current language (shared by the kiosk's and the pad's)."""

    language: str

    def say(self, notice: Notice | None) -> str:
        """A notice in the current language ('' for none)."""
        return notice.text(self.language) if notice else ""

    def tr(self, text: m.Text | None) -> str:
        """A server text in the current language."""
        if text is None:
            return ""
        return text.zh if self.language == "zh" else text.en


HALL_NAME = m.Text(zh="政务服务中心", en="Government Service Hall")
PrintState = Literal["none", "printing", "printed", "failed", "no_printer"]


@dataclass(frozen=True)
class KioskView(Spoken):
    """One frame of the screen."""

    role: Literal["kiosk", "terminal"]
    page: Page = Page.HOME
    language: str = "zh"
    languages: tuple[str, ...] = ("zh", "en")
    elderly: bool = False  # large type, high contrast (适老化)
    hall_name: m.Text = HALL_NAME
    categories: tuple[m.CatalogCategory, ...] = ()
    waiting: Mapping[str, int] = field(default_factory=dict)
    full: frozenset[str] = frozenset()  # categories at their daily cap (限号)
    unserved: frozenset[str] = frozenset()  # categories nobody on today's roster serves
    category: m.CatalogCategory | None = None
    item: m.CatalogItem | None = None
    priority: bool = False  # 绿色通道 chosen for the next number
    accepting: bool = False  # may a number be taken right now
    paused: Notice | None = None  # why not
    ticket: m.TicketIssued | None = None
    qr_url: str | None = None  # of the ticket on screen (status page)
    reprint: bool = False  # the ticket on screen is a copy (补打)
    print_state: PrintState = "none"
    refusal: Notice | None = None
    printer_warning: Notice | None = None
    camera_online: bool = False
    code_input: str = ""  # the appointment code typed so far
    query_ticket: m.TicketView | None = None
    query_case: m.CaseView | None = None
    banner: Notice | None = None  # a transient line (e.g. "still connecting")
    has_printer: bool = True
