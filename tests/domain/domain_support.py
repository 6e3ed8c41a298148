"""Shared helpers of the pure domain tests: a small hall built in code, clocks, tickets.

The hall has four categories served by a chain of windows (each window's secondary skill
is the next window's primary), a priority-lane (绿色通道) window, an express (快办) window
and an A/B roster. Kept out of conftest.py so test modules can import it by a unique name.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hallserver.config.models import (
    Category,
    HallConfig,
    HallInfo,
    I18nText,
    Item,
    OpeningHours,
    RoutingConfig,
    ServiceDays,
    Session,
    StaffSeed,
    Window,
    Zone,
)
from hallserver.domain.tickets import Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")

# 2024-05-06 is a Monday. 2024-05-01..05 were the 劳动节 holidays, 2024-05-11 (Sat) a make-up day.
MONDAY = date(2024, 5, 6)
HOLIDAY = date(2024, 5, 1)  # a Wednesday
MAKEUP_SATURDAY = date(2024, 5, 11)
PLAIN_SATURDAY = date(2024, 5, 18)


def at(day: date, hhmm: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """An aware datetime at a local wall-clock time of a day."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tz)


def _text(zh: str, en: str) -> I18nText:
    return I18nText(zh=zh, en=en)


def build_hall(routing: RoutingConfig | None = None, *, issue_during_lunch: bool = True,
               issue_opens_before_min: int = 15,
               daily_caps: dict[str, int] | None = None) -> HallConfig:
    """A four-category, five-window hall (see the module docstring)."""
    caps = {"social": 300, "medical": 200, "housing": 100, "business": 50, **(daily_caps or {})}
    return HallConfig(
        schema_version=1,
        hall=HallInfo(id="test-hall", name=_text("测试政务服务大厅", "Test service hall")),
        service_days=ServiceDays(
            open_weekdays=[1, 2, 3, 4, 5],
            holidays=[date(2024, 5, d) for d in range(1, 6)],
            makeup_workdays=[MAKEUP_SATURDAY],
        ),
        opening_hours=OpeningHours(
            sessions=[Session(start=time(9, 0), end=time(12, 0)),
                      Session(start=time(13, 30), end=time(17, 0))],
            issue_opens_before_min=issue_opens_before_min,
            issue_stops_before_close_min=30,
            issue_during_lunch=issue_during_lunch,
        ),
        routing=routing or RoutingConfig(),
        zones=[Zone(id="z1", name=_text("一楼", "Floor 1"))],
        categories=[
            Category(code="social", prefix="A", name=_text("社保", "Social insurance"),
                     zone="z1", daily_cap=caps["social"]),
            Category(code="medical", prefix="B", name=_text("医保", "Medical insurance"),
                     zone="z1", daily_cap=caps["medical"]),
            Category(code="housing", prefix="C", name=_text("公积金", "Housing fund"),
                     zone="z1", daily_cap=caps["housing"]),
            Category(code="business", prefix="D", name=_text("企业开办", "Business setup"),
                     zone="z1", daily_cap=caps["business"]),
        ],
        items=[
            Item(code="A-01", name=_text("社保卡补办", "Replace social card"), category="social",
                 legal_limit_days=5, promised_limit_days=0, expected_minutes=4),
            Item(code="D-01", name=_text("企业设立登记", "Register a company"),
                 category="business", legal_limit_days=20, promised_limit_days=3,
                 expected_minutes=30),
        ],
        windows=[
            Window(number=1, name=_text("1号窗口", "Window 1"), zone="z1",
                   primary="social", secondary=["medical"]),
            Window(number=2, name=_text("2号窗口", "Window 2"), zone="z1",
                   primary="medical", secondary=["housing"]),
            Window(number=3, name=_text("3号窗口", "Window 3"), zone="z1",
                   primary="housing", secondary=["business"]),
            Window(number=4, name=_text("4号窗口（绿色通道）", "Window 4 (priority lane)"),
                   zone="z1", primary="business", secondary=["social"], priority_lane=True),
            Window(number=5, name=_text("5号窗口（快办）", "Window 5 (express)"), zone="z1",
                   primary="social", secondary=["medical", "housing"], express=True),
        ],
        staff=[
            StaffSeed(id="1001", name="张三", role_a=[1], role_b=[2]),
            StaffSeed(id="1002", name="李四", role_a=[2], role_b=[1, 3]),
            StaffSeed(id="1003", name="王五", role_a=[3, 4], role_b=[5]),
            StaffSeed(id="1004", name="赵六", role_a=[5], role_b=[4]),
        ],
    )


class TicketFactory:
    """Makes tickets with gapless numbers per prefix; ages are minutes before `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._seq: dict[str, int] = {}

    def __call__(self, category: str = "social", age_min: float = 0.0, *,
                 prefix: str | None = None, **kwargs: object) -> Ticket:
        pfx = prefix or category[0].upper()
        self._seq[pfx] = self._seq.get(pfx, 0) + 1
        issued = self.now - timedelta(minutes=age_min)
        return Ticket(number=f"{pfx}{self._seq[pfx]:03d}", category=category,
                      service_day=self.now.date(), issued_at=issued, queued_at=issued,
                      **kwargs)  # type: ignore[arg-type]
