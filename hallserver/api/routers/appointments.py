"""Appointments (预约) and cases (办件) over HTTP: booking for the booking system, check-in for
the help desk, and the public case status behind a receipt's QR code."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import AwareDatetime, Field

from hallserver.api.deps import ManagerUser, RowId, ServicesDep, StaffUser
from hallserver.api.problems import problems
from hallserver.services.appointments import Booking
from hallserver.services.views import IssuedTicket, Request

router = APIRouter(tags=["appointments"])


class BookRequest(Request):
    """A slot to book; times carry their offset (e.g. +08:00)."""

    category: str = Field(min_length=1, max_length=32)
    item_code: str | None = Field(default=None, max_length=32)
    slot_start: AwareDatetime
    slot_end: AwareDatetime
    priority: bool = False


class CheckInRequest(Request):
    """An appointment code as read or typed."""

    code: str = Field(min_length=1, max_length=80)


def _booking(b: Booking) -> dict[str, Any]:
    return asdict(b)


@router.post("/api/appointments", status_code=status.HTTP_201_CREATED, responses=problems(404))
def book(body: BookRequest, services: ServicesDep, user: ManagerUser) -> dict[str, Any]:
    """Book a slot; the answer carries the signed code to send to the citizen."""
    return _booking(services.appointments.book(
        body.category, body.slot_start, body.slot_end, item_code=body.item_code,
        priority=body.priority, source=f"api:{user.username}"))


@router.get("/api/appointments")
def list_appointments(start: datetime, end: datetime, services: ServicesDep,
                      _user: ManagerUser) -> list[dict[str, Any]]:
    """Bookings whose slot starts in [start, end)."""
    return [_booking(b) for b in services.appointments.list_day(start, end)]


@router.get("/api/appointments/{appointment_id}", responses=problems(404))
def get_appointment(appointment_id: RowId, services: ServicesDep,
                    _user: ManagerUser) -> dict[str, Any]:
    """One booking and its code."""
    return _booking(services.appointments.get(appointment_id))


@router.post("/api/appointments/{appointment_id}/cancel", responses=problems(404, 409))
def cancel_appointment(appointment_id: RowId, services: ServicesDep,
                       _user: ManagerUser) -> dict[str, Any]:
    """Cancel a booking not yet checked in."""
    return _booking(services.appointments.cancel(appointment_id))


@router.post("/api/appointments/check-in", responses=problems(404, 409))
def check_in(body: CheckInRequest, services: ServicesDep, user: StaffUser) -> IssuedTicket:
    """Check a citizen in at the help desk by code (the kiosk does it over MQTT)."""
    return services.appointments.check_in(body.code, channel=f"desk:{user.username}"[:16])


@router.get("/api/cases/public/{token}", responses=problems(404))
def case_status(token: str, services: ServicesDep) -> dict[str, Any]:
    """A case's progress and promised deadline, by the token in its receipt's QR code."""
    snap = asdict(services.cases.by_token(token))
    snap.pop("public_token")
    return snap
