"""Use-case inputs and outputs, shared by the HTTP API and (later) the MQTT bus adapter."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hallserver.config.models import I18nText, StaffRole
from hallserver.domain.tickets import Outcome, TicketState
from hallserver.domain.windows import PauseCode, WindowFlag, WindowStatus

# What str.strip() removes, as a JSON-schema (ECMA 262) class, and what it keeps.
_SPACE = r"[\s\x1c-\x1f\x85]"
_TEXT = r"[^\s\x1c-\x1f\x85]"
# The largest integer a browser's JavaScript holds exactly: ids, versions and counts in
# requests stay within it (a page could not even send a larger one correctly).
MAX_ID = 2**53 - 1


def _stripped_lengths(schema: dict[str, Any]) -> None:
    """Request strings are stripped before their length is checked: a string field with a
    minimum length says so in the schema (a pattern on the text between the spaces), so
    what the OpenAPI document calls valid is what the server accepts."""
    for prop in schema.get("properties", {}).values():
        for s in (prop, *prop.get("anyOf", ())):
            n = s.get("minLength", 0)
            if s.get("type") != "string" or n < 1 or "pattern" in s:
                continue
            s["pattern"] = (_TEXT if n == 1 else
                            f"^{_SPACE}*{_TEXT}[\\s\\S]{{{n - 2},}}{_TEXT}{_SPACE}*$")


class Request(BaseModel):
    """Base of input models: unknown fields are errors; text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              json_schema_extra=_stripped_lengths)


class View(BaseModel):
    """Base of output models."""

    model_config = ConfigDict(from_attributes=True)


# ---- inputs -------------------------------------------------------------------------


def one_of_required(*names: str) -> ConfigDict:
    """A request model's config whose JSON schema requires at least one of `names` (the
    service refuses a request without any; the OpenAPI document says so)."""
    def extra(schema: dict[str, Any]) -> None:
        _stripped_lengths(schema)
        schema["anyOf"] = [{"required": [n]} for n in names]
    return ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=extra)


class IssueTicketRequest(Request):
    """Take a number: for a category (code or prefix letter) or for an item."""

    model_config = one_of_required("category", "item_code")

    category: str | None = Field(default=None, min_length=1, max_length=32,
                                 description="category code or letter")
    item_code: str | None = Field(default=None, min_length=1, max_length=32,
                                  description="item (事项) code")
    priority: bool = Field(default=False, description="绿色通道: elderly, disabled, pregnant")


class SignInRequest(Request):
    """Sign in at a window in role A or B."""

    role: StaffRole


class CompleteRequest(Request):
    """Finish the service with an outcome and notes (personal data is masked on save)."""

    outcome: Outcome = Outcome.COMPLETED
    notes: str | None = Field(default=None, max_length=500)


class TransferRequest(Request):
    """Send the current ticket to another category and/or window (一票到底)."""

    model_config = one_of_required("category", "window")

    category: str | None = Field(default=None, min_length=1, max_length=32)
    window: int | None = Field(default=None, ge=1, le=999)


class PauseRequest(Request):
    """Pause a window with a reason managers can read and a code the public may see."""

    reason: str = Field(min_length=1, max_length=200)
    code: PauseCode = Field(default=PauseCode.OTHER,
                            description="public words (other: only 暂停服务 is shown)")


class LoginRequest(Request):
    """Username (工号 for staff) and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


# ---- outputs ------------------------------------------------------------------------


class ZoneView(View):
    """Where to go."""

    id: str
    name: I18nText
    floor: int


class IssuedTicket(View):
    """What the kiosk shows and prints once the ticket is committed."""

    number: str
    category: str
    category_name: I18nText
    item_code: str | None
    item_name: I18nText | None
    priority: bool
    issued_at: datetime
    service_day: date
    people_ahead: int
    predicted_wait_min: int | None = Field(description="None when no window serves it today")
    zone: ZoneView
    windows: list[int]
    public_token: str
    status_path: str
    replayed: bool = Field(default=False, description="same Idempotency-Key seen before")
    appointment_at: datetime | None = Field(default=None,
                                            description="slot of a checked-in appointment")


class TicketStatus(View):
    """Live status of one ticket for the citizen's phone (no personal data)."""

    number: str
    state: TicketState
    category: str
    category_name: I18nText
    issued_at: datetime
    people_ahead: int | None
    predicted_wait_min: int | None
    window: int | None
    called_at: datetime | None
    about_to_be_called: bool
    may_rejoin_until: datetime | None
    now: datetime = Field(description="the hall server's time of this answer: the page counts "
                                      "from it, not from the phone's own clock")


class StaffOnDuty(View):
    """Who is at the window (亮证: name and 工号 are shown publicly)."""

    id: str
    name: str
    role: StaffRole
    photo: str | None = None  # content hash of the photo on file (GET /api/staff/{id}/photo)


class LastCase(View):
    """The newest case (办件) accepted at a window today, and its receipt (收件回执)."""

    case_no: str
    public_path: str
    receipt: str  # queued, printed, failed, no-printer, not-sent
    accepted_at: datetime


class CurrentTicket(View):
    """The ticket now called or served at a window."""

    number: str
    state: TicketState
    category: str
    item_code: str | None
    priority: bool
    called_at: datetime | None
    serving_at: datetime | None
    recalls: int
    waited_min: float
    call_reason: str | None


class WindowInfo(View):
    """A window's layout and working state."""

    number: int
    name: I18nText
    zone: str
    primary: str
    secondary: list[str]
    priority_lane: bool
    express: bool
    status: WindowStatus
    pause_reason: str | None = Field(description="the staff member's words: staff only "
                                     "(None in the public view)")
    pause_code: PauseCode | None = Field(default=None, description="why, in public words")
    staff: StaffOnDuty | None
    current: CurrentTicket | None
    idle_since: datetime | None
    flags: list[WindowFlag]
    last_case: LastCase | None = None


class CallResult(View):
    """Outcome of "call next": the ticket and why it was chosen, or nothing to call."""

    window: WindowInfo
    called: CurrentTicket | None
    reason: str | None
    message: str
    message_en: str = ""


QueueWarning = Literal["waiting_over_threshold", "wait_over_threshold", "no_open_window"]


class QueueInfo(View):
    """One category's queue at a glance."""

    category: str
    prefix: str
    name: I18nText
    zone: str
    waiting: int
    longest_wait_min: float
    predicted_wait_min: int | None
    open_windows: list[int]
    issued_today: int
    daily_cap: int
    warnings: list[QueueWarning]


class QueueEntry(View):
    """A waiting ticket in call order."""

    position: int
    number: str
    waited_min: float
    priority: bool
    appointment: bool
    target_window: int | None


class Principal(View):
    """The logged-in user."""

    username: str
    display_name: str
    role: Literal["admin", "manager", "staff"]


class LoginResult(View):
    """A bearer token (also set as an HttpOnly cookie)."""

    token: str
    expires_at: datetime
    user: Principal
