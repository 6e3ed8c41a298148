"""Pad controllers driven into every page with fakes at their edges, for the screenshots."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from PIL import Image, ImageDraw

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, cmd, state
from kiosk.pad.controller import PadController, PadSettings
from kiosk.pad.photos import PhotoCache
from kiosk.testing import FakeLink, ManualClock, WallClock

HALL, PAD, WINDOW = "demo", "pad-5", 5
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PHOTO = "a1b2c3d4e5f60718"
TOKEN = "tok-render-00001"
_ids = count(1)


def staff_photo_jpeg() -> bytes:
    """A made-up ID photo: blue backdrop, head and shoulders."""
    image = Image.new("RGB", (240, 300), (70, 130, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((70, 50, 170, 170), fill=(238, 200, 170))
    draw.rectangle((40, 190, 200, 300), fill=(30, 40, 60))
    draw.ellipse((40, 170, 200, 250), fill=(30, 40, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@dataclass
class Rig:
    ctl: PadController
    link: FakeLink
    clock: ManualClock
    photos: Path
    sent: list[str] = field(default_factory=list)


def rig(photos: Path) -> Rig:
    """A controller with the demo photo cached under `photos`; nothing received yet."""
    cache = PhotoCache(photos)
    if cache.path(PHOTO) is None:
        cache.save(PHOTO, staff_photo_jpeg())
    link, clock = FakeLink(), ManualClock()
    ctl = PadController(PadSettings(device_id=PAD, window=WINDOW, idle_timeout_s=30), link,
                        photos=cache, clock=clock, wall=WallClock(clock, NOW),
                        new_id=lambda: f"req{next(_ids):029d}")
    return Rig(ctl, link, clock, photos)


def on_duty(*, b_role: bool = True, mode: m.WindowMode = m.WindowMode.OPEN,
            note: m.Text | None = None, version: int = 1) -> m.WindowDisplayState:
    people = [m.StaffOnDuty(role="A", staff_id="10005", name="李明", photo=PHOTO)]
    if b_role:
        people.append(m.StaffOnDuty(role="B", staff_id="10017", name="欧阳晓红"))
    return m.WindowDisplayState(version=version, window=WINDOW, mode=mode,
                                window_name=m.Text(zh="5号综合窗口", en="Window 5 (General)"),
                                number="A012", ticket_state="serving", staff=people, note=note)


def send_state(r: Rig, message: m.WindowDisplayState) -> None:
    r.ctl.on_message(state(HALL, DeviceType.PAD, PAD), message)


def arm(r: Rig, token: str = TOKEN, *, window: int = WINDOW, number: str = "A012") -> None:
    r.ctl.on_message(cmd(HALL, DeviceType.PAD, PAD, "arm"), m.PadArm(
        token=token, number=number, window=window,
        category_name=m.Text(zh="企业开办", en="Business registration"),
        staff=m.StaffOnDuty(role="A", staff_id="10005", name="李明", photo=PHOTO),
        expires_at=NOW + timedelta(minutes=5)))


def ack(r: Rig, code: str | None, token: str = TOKEN) -> None:
    r.ctl.on_message(cmd(HALL, DeviceType.PAD, PAD, "rating-ack"),
                     m.RatingAck(token=token, accepted=code is None, code=code))
