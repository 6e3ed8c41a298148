"""Pydantic models of every payload on the bus; each carries `v` and a unique `msg_id`.

Payloads are UTF-8 JSON objects. Unknown fields are refused (`extra="forbid"`), so a typo
in a third-party device shows up as an error instead of a silently ignored value.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

PROTOCOL_VERSION: Literal[1] = 1
MAX_PAYLOAD_BYTES = 64 * 1024

MsgId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


def new_id() -> str:
    """A fresh message or request id (32 hex digits)."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    """Aware UTC now, for `sent_at`."""
    return datetime.now(UTC)


class Text(BaseModel):
    """A text in Chinese first, English alongside."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: ShortText
    en: ShortText


class Message(BaseModel):
    """The envelope every payload shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = Field(default=PROTOCOL_VERSION, description="protocol version")
    msg_id: MsgId = Field(default_factory=new_id,
                          description="unique per message; a redelivery keeps it")
    sent_at: AwareDatetime = Field(default_factory=utc_now,
                                   description="sender's clock, ISO 8601 with offset")


# ---- presence ---------------------------------------------------------------------------

class Presence(StrEnum):
    """Birth / will value of a status topic."""

    ONLINE = "online"
    OFFLINE = "offline"


class DeviceStatus(Message):
    """`.../status` (retained): birth `online` on connect, will `offline` from the broker."""

    state: Presence
    epoch: int = Field(ge=0, le=2**63 - 1,
                       description="per-connection counter; a will from an older "
                       "epoch than the newest birth is stale and ignored")
    config_version: int | None = Field(default=None, ge=0, le=2**31 - 1,
                                       description="version of the config the device runs")
    software: ShortText | None = Field(default=None, description="app name and version")


class ServerStatus(Message):
    """`hall/{hall}/server/status` (retained): the server's birth / will."""

    state: Presence
    epoch: int = Field(ge=0, le=2**63 - 1,
                       description="server start counter (milliseconds since 1970)")


# ---- tickets ----------------------------------------------------------------------------

class TicketRequest(Message):
    """Kiosk -> server `evt/ticket-request`: take a number (reply is `cmd/ticket-issued`
    or `cmd/ticket-refused` with the same `request_id`; resending the same `request_id`
    returns the same ticket)."""

    request_id: RequestId
    category: Code = Field(description="category code, e.g. `qiye`, or its prefix letter")
    item: Code | None = Field(default=None, description="item code, if the citizen chose one")
    priority: bool = Field(default=False, description="绿色通道 priority lane")
    language: Literal["zh", "en"] = "zh"


class TicketIssued(Message):
    """Server -> kiosk `cmd/ticket-issued`: the committed ticket."""

    request_id: RequestId
    number: Annotated[str, StringConstraints(pattern=r"^[A-Z][0-9]{3,4}$")]
    category: Code
    category_name: Text
    item: Code | None = None
    priority: bool = False
    people_ahead: int = Field(ge=0)
    predicted_wait_min: int | None = Field(ge=0, description="None: no window serves it today")
    zone: Text
    windows: list[int] = Field(description="window numbers that serve this category")
    status_path: ShortText = Field(description="path of the phone status page, e.g. /t/<token>")
    status_url: ShortText | None = Field(
        default=None, description="the status page's full URL for the ticket's QR code "
        "(the server's public address + status_path)")
    issued_at: AwareDatetime
    replayed: bool = Field(default=False, description="a resent request got the same ticket")
    appointment_at: AwareDatetime | None = Field(
        default=None, description="slot of a checked-in appointment (预约)")


class CheckIn(Message):
    """Kiosk or terminal -> server `evt/check-in`: an appointment code read by the camera or
    typed; the server verifies its signature and expiry and replies like a ticket request
    (`cmd/ticket-issued` / `cmd/ticket-refused`). A second check-in returns the same ticket
    with `replayed: true`."""

    request_id: RequestId
    code: Annotated[str, StringConstraints(max_length=80)] = Field(
        description="the code as read (hyphens, spaces, prefix and case are tolerated)")
    language: Literal["zh", "en"] = "zh"


class TicketRefused(Message):
    """Server -> kiosk `cmd/ticket-refused`: no ticket (closed, cap reached, bad request)."""

    request_id: RequestId
    code: Code
    message: ShortText
    message_en: ShortText


# ---- printing ---------------------------------------------------------------------------

class PaperState(StrEnum):
    """Paper sensor of a printer."""

    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"


class TicketDocument(BaseModel):
    """What a ticket printout shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["ticket"] = "ticket"
    number: str
    category_name: Text
    people_ahead: int = Field(ge=0)
    predicted_wait_min: int = Field(ge=0)
    zone: Text
    windows: list[int]
    qr_url: ShortText
    issued_at: AwareDatetime


class ReceiptDocument(BaseModel):
    """What an acceptance receipt (收件回执) shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["receipt"] = "receipt"
    case_no: Code
    items: list[Text]
    materials: list[ShortText]
    promised_by: AwareDatetime = Field(description="限时办结 deadline")
    promised_provisional: bool = Field(
        default=False, description="the deadline reaches a year whose public holidays are not "
        "announced yet: printed as 暂定 (it may move)")
    window: int
    owner: ShortText = Field(description="首问负责人: name and 工号")
    qr_url: ShortText
    accepted_at: AwareDatetime


class PrintJob(Message):
    """Server -> printer `cmd/print`: print a document once (reprints say so)."""

    job_id: RequestId
    reprint: bool = Field(default=False, description="a copy: the printout is marked 补打")
    document: TicketDocument | ReceiptDocument = Field(discriminator="kind")


class PrintError(StrEnum):
    """Why a print failed."""

    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"  # started, then a crash: it may or may not be on paper
    OTHER = "other"


class PrintResult(Message):
    """Printer -> server `evt/print-result` for a `job_id`."""

    job_id: RequestId
    ok: bool
    error: PrintError | None = None


class PrinterStatus(Message):
    """Printer -> server `evt/printer-status`: sensors, sent on change and on connect."""

    paper: PaperState
    cover_open: bool = False
    online: bool = Field(default=True, description="false when the printer does not answer")


# ---- displays ---------------------------------------------------------------------------

class WindowMode(StrEnum):
    """What a window display shows about its window."""

    OPEN = "open"
    PAUSED = "paused"
    AWAY = "away"
    CLOSED = "closed"


class StaffOnDuty(BaseModel):
    """亮证: who serves at the window (name and 工号 are public at the window)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["A", "B"]
    staff_id: Code
    name: ShortText
    photo: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")] | None = Field(
        default=None, description="content hash of the staff photo (亮证): the first 16 hex "
        "digits of the JPEG's sha256; a pad without it "
        "asks for it with `evt/photo-request`; null = no photo on file")


class WindowDisplayState(Message):
    """Server -> LED, caller and pad `.../state` (retained, versioned)."""

    version: int = Field(ge=0, description="grows with every change; ignore older versions")
    window: int
    window_name: Text
    mode: WindowMode
    number: str | None = Field(default=None, description="ticket being called or served")
    ticket_state: Literal["called", "serving"] | None = None
    staff: list[StaffOnDuty] = Field(default_factory=list)
    note: Text | None = Field(default=None, description="pause reason or a notice")


class ScreenWindow(BaseModel):
    """One window on the hall call screen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window: int
    mode: WindowMode
    number: str | None = None


class ScreenQueue(BaseModel):
    """Waiting count of one category on the hall call screen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    category: Code
    name: Text
    waiting: int = Field(ge=0)


class CallAnnouncement(Message):
    """Server -> screen `cmd/announce`: a call to read aloud and highlight."""

    call_id: RequestId
    number: str
    window: int
    text: Text = Field(description="e.g. 请 A012 号到 5 号窗口办理")
    speech: ShortText = Field(description="the Chinese text spelled for speech (数字逐位读)")
    repeat: int = Field(default=2, ge=1, le=5)
    recall: bool = False


class ScreenState(Message):
    """Server -> screen `.../state` (retained, versioned)."""

    version: int = Field(ge=0)
    windows: list[ScreenWindow]
    queues: list[ScreenQueue]
    latest: CallAnnouncement | None = None
    notice: Text | None = None


class KioskState(Message):
    """Server -> kiosk and terminal `.../state` (retained, versioned): may it issue?"""

    version: int = Field(ge=0)
    accepting: bool
    reason: Text | None = Field(default=None, description="why not (outside hours ...)")
    waiting: dict[str, int] = Field(default_factory=dict, description="category -> waiting")
    catalog_version: int | None = Field(
        default=None, ge=0, description="layout version of the service catalog; a device "
        "holding another version asks for it again (`evt/catalog-request`)")
    full: list[Code] = Field(default_factory=list,
                             description="categories whose daily cap (限号) is reached")
    unserved: list[Code] = Field(default_factory=list,
                                 description="categories nobody on today's roster serves")


# ---- service catalog (一次性告知) -----------------------------------------------------------

class CatalogRequest(Message):
    """Kiosk or terminal -> server `evt/catalog-request`: send the service catalog."""

    request_id: RequestId
    have_version: int | None = Field(ge=0, description="catalog version the device holds "
                                     "(null: none); logged to spot devices left behind")


class CatalogMaterial(BaseModel):
    """One document the citizen brings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: ShortText
    original: bool = True
    copies: int = Field(default=0, ge=0)
    note: ShortText | None = None


LimitUnit = Literal["working_days", "natural_days", "hours"]


class CatalogItem(BaseModel):
    """One service item and its guide (一次性告知)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    name: Text
    promised_limit_days: int = Field(ge=0, description="承诺时限 in promised_unit; 0 = 即办件")
    legal_limit_days: int = Field(ge=0, description="法定时限 in legal_unit")
    promised_unit: LimitUnit = Field(default="working_days", description="what the promise "
                                     "counts")
    legal_unit: LimitUnit = Field(default="working_days", description="what the legal limit "
                                  "counts")
    materials: list[CatalogMaterial] = Field(default_factory=list)
    fee_yuan: float = Field(default=0, ge=0)
    fee_note: ShortText | None = None
    expected_minutes: float = Field(gt=0)


class CatalogCategory(BaseModel):
    """A category (one queue, one prefix letter), where it is served and its items."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    name: Text
    zone: Code
    zone_name: Text
    floor: int
    windows: list[int]
    items: list[CatalogItem] = Field(default_factory=list)


class ServiceCatalog(Message):
    """Server -> kiosk or terminal `cmd/catalog`: categories, items and service guides of the
    hall at layout `version` (the device caches it and shows it while the server is away)."""

    request_id: RequestId
    version: int = Field(ge=0)
    hall_name: Text
    categories: list[CatalogCategory]


# ---- queries of the self-service terminal -----------------------------------------------

class Query(Message):
    """Terminal or kiosk -> server `evt/query`: a ticket's or a case's status by the token in
    its QR code; `purpose: reprint` also returns the document to print again (marked 补打,
    logged by the server)."""

    request_id: RequestId
    kind: Literal["ticket", "case"]
    token: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    purpose: Literal["view", "reprint"] = "view"


class TicketView(BaseModel):
    """A ticket's live status (no personal data)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    number: str
    state: Code = Field(description="waiting, called, serving, done, no_show, cancelled ...")
    category_name: Text
    people_ahead: int | None = None
    predicted_wait_min: int | None = None
    window: int | None = None
    about_to_be_called: bool = False
    issued_at: AwareDatetime


class CaseView(BaseModel):
    """A case's progress (办件进度) and its promised deadline (限时办结)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case_no: Code
    status: Code = Field(description="accepted, in_progress, completed, returned")
    status_name: Text
    items: list[Text]
    accepted_at: AwareDatetime
    promised_by: AwareDatetime
    promised_provisional: bool = Field(default=False,
                                       description="the deadline may move (暂定): see receipts")
    working_days_left: int = Field(description="negative: overdue")
    window: int
    owner: ShortText = Field(description="首问负责人: name and 工号")


class QueryResult(Message):
    """Server -> terminal `cmd/query-result` for a `request_id`."""

    request_id: RequestId
    found: bool
    code: Code | None = None
    message: ShortText | None = None
    message_en: ShortText | None = None
    ticket: TicketView | None = None
    case: CaseView | None = None
    document: TicketDocument | ReceiptDocument | None = Field(
        default=None, discriminator="kind", description="with purpose reprint")


# ---- windows: caller keys and rating pads -----------------------------------------------

class CallerKeyName(StrEnum):
    """Keys of a staff caller (呼叫器)."""

    CALL = "call"
    RECALL = "recall"
    START = "start"
    COMPLETE = "complete"
    NO_SHOW = "no-show"
    PAUSE = "pause"
    RESUME = "resume"


class CallerKey(Message):
    """Caller -> server `evt/key`: a key press at the caller's window (from its config)."""

    request_id: RequestId
    key: CallerKeyName
    outcome: Literal["completed", "accepted", "returned"] | None = Field(
        default=None, description="with `complete`: 办结 / 受理 / 退回补正")
    reason: ShortText | None = Field(default=None, description="with `pause`")


class KeyResult(Message):
    """Server -> caller `cmd/key-result`: what a key press did."""

    request_id: RequestId
    ok: bool
    number: str | None = None
    code: Code | None = None
    message: ShortText | None = None
    message_en: ShortText | None = None


class PadArm(Message):
    """Server -> pad `cmd/arm`: ask the citizen to rate this transaction. The token is
    single-use and bound by the server to (ticket, window, expiry); a newer arm replaces an
    older one on the pad."""

    token: RequestId
    number: str = Field(description="the ticket number just served")
    window: int
    category_name: Text | None = None
    staff: StaffOnDuty | None = Field(default=None, description="who served (the one rated)")
    expires_at: AwareDatetime = Field(description="after this the server refuses the rating")


class Rating(Message):
    """Pad -> server `evt/rating`: the citizen's rating for an armed token. The window is the
    pad's own (from its topic); nothing in the payload names a window or a citizen."""

    token: RequestId
    level: int = Field(ge=1, le=5, description="5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意")
    reasons: list[Code] = Field(default_factory=list, max_length=10,
                                description="reason codes (devices.protocol.ratings), "
                                "asked for levels 1 and 2")
    comment: ShortText | None = Field(default=None, description="free text; masked on receipt")


class RatingAck(Message):
    """Server -> pad `cmd/rating-ack`: accepted (also for a redelivered copy) or refused
    with a code: unknown-token, expired, used, wrong-window, unknown-reason."""

    token: RequestId
    accepted: bool
    code: Code | None = None


class PhotoRequest(Message):
    """Pad -> server `evt/photo-request`: send the photo of a staff member on duty."""

    request_id: RequestId
    staff_id: Code


class StaffPhoto(Message):
    """Server -> pad `cmd/photo`: a staff photo (JPEG, base64), cached by its hash."""

    request_id: RequestId
    staff_id: Code
    found: bool = Field(description="false: no photo on file (the pad shows initials)")
    photo: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")] | None = Field(
        default=None, description="content hash")
    jpeg_b64: Annotated[str, StringConstraints(max_length=48 * 1024)] | None = None


class HardwareStatus(Message):
    """Agent -> server `evt/hardware`: whether the serial device behind a caller, LED or pad
    agent answers (an agent online on the bus with a dead cable is not a working device).
    Sent at start and on every change; the newest `sent_at` wins."""

    ok: bool
    detail: Code | None = Field(default=None, description="e.g. serial-down")


class HelperRequest(Message):
    """Kiosk, terminal or pad -> server `evt/helper-request`: page hall staff (帮办)."""

    request_id: RequestId
    reason: Literal["general", "elderly", "disabled", "materials", "device-fault"] = "general"
    note: ShortText | None = Field(default=None, description="free text; masked on receipt")


class ConfigPush(Message):
    """Server -> device `cmd/config`: run this configuration (report its version in status)."""

    config_version: int = Field(ge=0)
    config: dict[str, object]
