"""Appointment codes (预约码): short, typeable, signed by the server, checked only by it.

A code carries the appointment's id and its expiry, and a truncated HMAC-SHA256 over
(hall, id, expiry) under a key only the server holds. The kiosk reads the code (camera or
keypad) and hands it over as text: nothing in it is trusted until the server verified it,
and the server still checks the appointment row (cancelled, already checked in, too early).

Layout: 10 bytes = id (3) + expiry in minutes since 2024-01-01 UTC (3) + tag (4), written
as 16 Crockford base32 characters in four groups, e.g. `7K3M-0Q9T-XW2P-5RBA`. A 32-bit tag
is enough for a code that is only ever verified online, one guess per request, by a server
that counts refusals; it keeps the code short enough to type on a touch screen.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hallserver.domain.errors import InvalidRequest, Refused

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
CODE_CHARS = 16
MAX_ID = 2**24 - 1
PREFIXES = ("OWA:", "OWA1:", "APPT:")


@dataclass(frozen=True)
class CodeClaim:
    """What a verified code says: the appointment and until when the code is valid."""

    appointment_id: int
    expires_at: datetime


def _minutes(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("naive datetime: the domain works with aware datetimes only")
    return int((at - EPOCH).total_seconds() // 60)


def _tag(key: bytes, hall_id: str, body: bytes) -> bytes:
    return hmac.new(key, hall_id.encode() + b"|" + body, hashlib.sha256).digest()[:4]


def _b32(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = [ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_CHARS)]
    return "".join(reversed(chars))


def group(code: str) -> str:
    """`XXXXXXXXXXXXXXXX` as `XXXX-XXXX-XXXX-XXXX` (how it is printed and typed)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def sign_code(key: bytes, hall_id: str, appointment_id: int, expires_at: datetime) -> str:
    """The grouped code of an appointment, valid until `expires_at` (to the minute)."""
    if not 0 < appointment_id <= MAX_ID:
        raise ValueError(f"appointment id {appointment_id} out of range")
    minutes = _minutes(expires_at)
    if not 0 <= minutes < 2**24:
        raise ValueError("expiry out of the code's range")
    body = appointment_id.to_bytes(3, "big") + minutes.to_bytes(3, "big")
    return group(_b32(body + _tag(key, hall_id, body)))


def normalize(text: str) -> str:
    """The 16 code characters of what a camera read or a citizen typed, or InvalidRequest.

    Tolerates a prefix, spaces, hyphens, lower case and the look-alikes O/I/L."""
    raw = text.strip().upper()
    for prefix in PREFIXES:
        if raw.startswith(prefix):
            raw = raw[len(prefix):]
            break
    raw = "".join(ch for ch in raw if ch not in " -\t")
    if len(raw) != CODE_CHARS or any(ch not in _VALUE for ch in raw):
        raise InvalidRequest("预约码格式不正确，请核对后重新输入",
                             "this is not an appointment code: check it and try again")
    return "".join(ALPHABET[_VALUE[ch]] for ch in raw)


def verify_code(key: bytes, hall_id: str, text: str, now: datetime) -> CodeClaim:
    """Check a code's signature and expiry; raises InvalidRequest or Refused."""
    code = normalize(text)
    number = 0
    for ch in code:
        number = number * 32 + _VALUE[ch]
    data = number.to_bytes(10, "big")
    body, tag = data[:6], data[6:]
    if not hmac.compare_digest(tag, _tag(key, hall_id, body)):
        raise Refused("appointment_invalid", "预约码无效，请核对或到咨询台办理",
                      "this appointment code is not valid here: please ask at the help desk")
    appointment_id = int.from_bytes(body[:3], "big")
    expires_at = EPOCH + timedelta(minutes=int.from_bytes(body[3:], "big"))
    if now >= expires_at:
        raise Refused("appointment_expired", "预约已过期，请重新预约或现场取号",
                      "this appointment has expired: book again or take a number")
    return CodeClaim(appointment_id, expires_at)
