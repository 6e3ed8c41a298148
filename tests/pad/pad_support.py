"""A pad controller with fakes at its edges (link, clocks) and the server's messages."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, state
from kiosk.pad.controller import PadController, PadSettings
from kiosk.pad.photos import PhotoCache
from kiosk.testing import FakeLink, ManualClock, WallClock

HALL = "demo"
PAD = "pad-5"
WINDOW = 5
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"  # enough for the magic check
PHOTO_A = hashlib.sha256(JPEG).hexdigest()[:16]  # the server's content hash
PHOTO_B = "fedcba9876543210"

_ids = count(1)


def make(tmp_path: Path | None = None, *, idle_timeout_s: float = 30,
         window: int = WINDOW) -> tuple[PadController, FakeLink, ManualClock]:
    """A controller with nothing received yet (photos cached under tmp_path if given)."""
    link, clock = FakeLink(), ManualClock()
    ctl = PadController(
        PadSettings(device_id=PAD, window=window, idle_timeout_s=idle_timeout_s), link,
        photos=PhotoCache(tmp_path / "photos") if tmp_path is not None else None,
        clock=clock, wall=WallClock(clock, NOW), new_id=lambda: f"req{next(_ids):029d}")
    return ctl, link, clock


def staff(role: str = "A", staff_id: str = "10005", name: str = "李明",
          photo: str | None = PHOTO_A) -> m.StaffOnDuty:
    return m.StaffOnDuty.model_validate({"role": role, "staff_id": staff_id, "name": name,
                                         "photo": photo})


def window_state(version: int = 1, *, mode: m.WindowMode = m.WindowMode.OPEN,
                 people: list[m.StaffOnDuty] | None = None,
                 note: m.Text | None = None) -> m.WindowDisplayState:
    return m.WindowDisplayState(
        version=version, window=WINDOW, mode=mode,
        window_name=m.Text(zh="5号综合窗口", en="Window 5"), number="A012",
        ticket_state="serving", staff=[staff()] if people is None else people, note=note)


def send_state(ctl: PadController, message: m.WindowDisplayState) -> None:
    ctl.on_message(state(HALL, DeviceType.PAD, PAD), message)


def command(ctl: PadController, name: str, message: m.Message) -> None:
    ctl.on_message(cmd(HALL, DeviceType.PAD, PAD, name), message)


def arm(token: str = "tok-0000000001", *, number: str = "A012", window: int = WINDOW,
        expires_in_s: float = 120, served: m.StaffOnDuty | None = None) -> m.PadArm:
    return m.PadArm(token=token, number=number, window=window,
                    category_name=m.Text(zh="企业开办", en="Business registration"),
                    staff=served or staff(), expires_at=NOW + timedelta(seconds=expires_in_s))


def photo_reply(request_id: str, photo: str = PHOTO_A, *, found: bool = True,
                staff_id: str = "10005") -> m.StaffPhoto:
    return m.StaffPhoto(request_id=request_id, staff_id=staff_id, found=found,
                        photo=photo if found else None,
                        jpeg_b64=base64.b64encode(JPEG).decode() if found else None)
