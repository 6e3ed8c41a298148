"""What the rating pad's screen shows, as plain immutable data (no widgets).

The controller produces a new `PadView` after every event; the Kivy layer only draws it and
forwards taps. Words that come from the server are bilingual (`Text`); the pad's own fixed
words live in `kiosk.pad.texts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from devices.protocol import messages as m
from kiosk.model import Notice, Spoken


class PadPage(StrEnum):
    """The screens of the rating pad."""

    IDLE = "idle"  # window, who is on duty (亮证), open / paused / away / closed
    ARMED = "armed"  # 请您对本次服务进行评价: five levels and a countdown
    REASONS = "reasons"  # levels 1 and 2: why (at least one reason)
    THANKS = "thanks"  # the rating is sent (or waiting in the outbox)
    REFUSED = "refused"  # the server refused the rating (expired, used ...)


@dataclass(frozen=True)
class StaffCard:
    """One staff member as the pad shows them (亮证): photo file or initials."""

    role: str  # "A" or "B"
    staff_id: str  # 工号
    name: str
    initials: str  # drawn in a circle when there is no photo
    photo_path: str | None = None  # a cached JPEG on disk


@dataclass(frozen=True)
class PadView(Spoken):
    """One frame of the pad's screen."""

    window: int
    page: PadPage = PadPage.IDLE
    language: str = "zh"
    languages: tuple[str, ...] = ("zh", "en")
    elderly: bool = False  # large type, high contrast (长辈模式)
    online: bool = False  # broker link and server both up (else the offline badge)
    window_name: m.Text | None = None
    mode: m.WindowMode | None = None  # None: no state from the server yet
    note: m.Text | None = None  # pause reason or a notice from the server
    staff: tuple[StaffCard, ...] = ()  # A first, then B
    number: str | None = None  # the ticket being rated
    category_name: m.Text | None = None
    served_by: StaffCard | None = None
    seconds_left: int = 0  # of the rating prompt
    level: int | None = None  # chosen level (on the reasons page)
    reasons: frozenset[str] = frozenset()  # chosen reason codes
    refusal: Notice | None = None  # why the server refused the rating
    banner: Notice | None = None  # transient line (staff called)
