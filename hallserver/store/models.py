"""SQLAlchemy tables: the hall server's system of record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime passed to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC datetimes."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; datetimes are always aware UTC."""

    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime}  # noqa: RUF012


class HallLayoutRow(Base):
    """A version of a hall's layout document (validated by HallConfig); newest wins."""

    __tablename__ = "hall_layouts"
    __table_args__ = (UniqueConstraint("hall_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64))


class UserRow(Base):
    """A login: admin, manager or staff (staff usernames are their 工号)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AuthSessionRow(Base):
    """A login session; only the SHA-256 of the bearer token is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]  # the idle timeout counts from here
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketCounterRow(Base):
    """Last issued sequence number per (hall, category, service day): gapless numbering."""

    __tablename__ = "ticket_counters"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class TicketRow(Base):
    """A ticket with its whole lifecycle."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("hall_id", "service_day", "number"),
        Index("ix_tickets_queue", "hall_id", "state", "category", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    service_day: Mapped[date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(8))
    issued_category: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    appointment_at: Mapped[datetime | None]
    item_code: Mapped[str | None] = mapped_column(String(32))
    expected_minutes: Mapped[float | None] = mapped_column(Float)
    window: Mapped[int | None] = mapped_column(Integer)
    target_window: Mapped[int | None] = mapped_column(Integer)
    staff_id: Mapped[str | None] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    first_called_at: Mapped[datetime | None]  # kept through requeue / transfer / rejoin
    serving_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    public_token: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    people_ahead_at_issue: Mapped[int] = mapped_column(Integer)
    predicted_wait_min: Mapped[float | None] = mapped_column(Float)
    call_reason: Mapped[str | None] = mapped_column(Text)


class TicketEventRow(Base):
    """Audit trail of every ticket action: who, when, where, why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    window: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class IdempotencyKeyRow(Base):
    """An idempotency key seen on ticket issue, bound to its request body and ticket. One
    namespace per channel: `http:<Idempotency-Key header>`, `mqtt:<device>:<request id>`."""

    __tablename__ = "idempotency_keys"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime]


class WindowStateRow(Base):
    """Working state of a window (who is signed in, open/paused/away/closed)."""

    __tablename__ = "window_states"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    pause_reason: Mapped[str | None] = mapped_column(String(200))  # staff's words: staff only
    pause_code: Mapped[str | None] = mapped_column(String(16))  # PauseCode: public words
    staff_id: Mapped[str | None] = mapped_column(String(16))
    staff_role: Mapped[str | None] = mapped_column(String(1))
    signed_in_at: Mapped[datetime | None]
    current_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    idle_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class DeviceRow(Base):
    """A configured device and what the bus last told about it (the device registry)."""

    __tablename__ = "devices"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_type: Mapped[str] = mapped_column(String(16))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    epoch: Mapped[int] = mapped_column(BigInteger, default=0)
    status_at: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    config_version: Mapped[int | None] = mapped_column(Integer)
    software: Mapped[str | None] = mapped_column(String(200))
    paper: Mapped[str | None] = mapped_column(String(16))
    cover_open: Mapped[bool | None] = mapped_column(Boolean)
    printer_online: Mapped[bool | None] = mapped_column(Boolean)
    printer_at: Mapped[datetime | None]
    last_print_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_print_error: Mapped[str | None] = mapped_column(String(16))
    hardware_ok: Mapped[bool | None] = mapped_column(Boolean)  # serial device behind an agent
    hardware_detail: Mapped[str | None] = mapped_column(String(40))
    hardware_at: Mapped[datetime | None]


class InboxRow(Base):
    """A device message whose effect is committed: its id is stored with the effect, so a
    redelivered copy finds it here and only gets the stored reply again."""

    __tablename__ = "inbox"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    reply: Mapped[str | None] = mapped_column(Text)


class HelperRequestRow(Base):
    """A citizen pressed 帮办 on a device: hall staff should come."""

    __tablename__ = "helper_requests"
    __table_args__ = (UniqueConstraint("hall_id", "device_id", "request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    device_id: Mapped[str] = mapped_column(String(32))
    device_type: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(64))


class HallKeyRow(Base):
    """A server-side secret of a hall (e.g. the appointment-code key), made once at random:
    every server process of the hall signs and verifies with the same key."""

    __tablename__ = "hall_keys"

    hall_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class AppointmentRow(Base):
    """A booked slot (预约). No personal data: who booked is the booking system's business;
    the hall only needs the code to check the citizen in."""

    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_slot", "hall_id", "slot_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    item_code: Mapped[str | None] = mapped_column(String(32))
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    expires_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # booked, checked_in, cancelled
    priority: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class CaseRow(Base):
    """An accepted application (受理) and its promised deadline (限时办结); the member of
    staff who accepted it is its first-contact owner (首问负责)."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("hall_id", "case_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    case_no: Mapped[str] = mapped_column(String(40))
    public_token: Mapped[str] = mapped_column(String(32), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    items: Mapped[list[str]] = mapped_column(JSON)
    materials: Mapped[list[str]] = mapped_column(JSON)
    window: Mapped[int] = mapped_column(Integer)
    owner_staff_id: Mapped[str] = mapped_column(String(16))
    owner_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # accepted, in_progress, completed, returned
    accepted_at: Mapped[datetime]
    promised_by: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    receipt: Mapped[str | None] = mapped_column(String(16))  # queued, printed, failed, ...
    receipt_job_id: Mapped[str | None] = mapped_column(String(64))


class CaseEventRow(Base):
    """Audit trail of a case: acceptance, progress, receipt prints and reprints (补打)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class RatingArmRow(Base):
    """A pad armed after a completed ticket: a single-use token for one rating."""

    __tablename__ = "rating_arms"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    window: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str | None] = mapped_column(String(16))
    armed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RatingRow(Base):
    """One rating per transaction (the UNIQUE ticket). Never linked to a citizen: the ticket
    holds no personal data, and dashboards show windows and staff only."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    service_day: Mapped[date] = mapped_column(Date, index=True)
    window: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str | None] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32))
    item_code: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # pad, default
    pad_id: Mapped[str | None] = mapped_column(String(32))
    rated_at: Mapped[datetime]
    flags: Mapped[list[str]] = mapped_column(JSON)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)  # appeal upheld


class RatingRefusalRow(Base):
    """A refused rating message, counted for managers (forged, replayed, expired ...)."""

    __tablename__ = "rating_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    pad_id: Mapped[str] = mapped_column(String(32))
    window: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class RatingReviewRow(Base):
    """A suspicious pattern for a manager to review: a rating (fast, burst) or a member of
    staff (uniform); resolved with who, when and what was decided."""

    __tablename__ = "rating_reviews"
    __table_args__ = (UniqueConstraint("hall_id", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))  # rating id, or staff id + month
    rating_id: Mapped[int | None] = mapped_column(ForeignKey("ratings.id"))
    staff_id: Mapped[str | None] = mapped_column(String(16))
    window: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)


class FollowUpRow(Base):
    """差评整改: the rectification case a bad rating opens."""

    __tablename__ = "followups"
    __table_args__ = (UniqueConstraint("hall_id", "case_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    case_no: Mapped[str] = mapped_column(String(40))
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    window: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime]
    callback_by: Mapped[date] = mapped_column(Date)
    answer_by: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    citizen_answer: Mapped[str | None] = mapped_column(String(16))


class FollowUpEventRow(Base):
    """Audit trail of a rectification case: who did what, when."""

    __tablename__ = "followup_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id"), index=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    citizen_answer: Mapped[str | None] = mapped_column(String(16))


class AlertRow(Base):
    """Something a manager must see (a bad rating, an overdue case ...) until acknowledged."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("hall_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(64))  # what it is about (deduplicates)
    level: Mapped[str] = mapped_column(String(8))  # info, warn, alarm
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))


class AdminAuditRow(Base):
    """An administration change (layout version, account): who, when, what."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
