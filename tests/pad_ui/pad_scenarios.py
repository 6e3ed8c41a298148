"""Every pad page as a named screenshot: how to get the controller there, at which size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pad_ui_support import Rig, ack, arm, on_duty, rig, send_state

from devices.protocol import messages as m

LANDSCAPE = (1280, 800)
PORTRAIT = (800, 1280)


def _idle(r: Rig) -> None:
    send_state(r, on_duty())


def _idle_one(r: Rig) -> None:
    send_state(r, on_duty(b_role=False))


def _paused(r: Rig) -> None:
    send_state(r, on_duty(mode=m.WindowMode.PAUSED,
                          note=m.Text(zh="暂停服务：业务培训，10:30恢复",
                                      en="Paused: staff training until 10:30")))


def _offline(r: Rig) -> None:
    send_state(r, on_duty(mode=m.WindowMode.AWAY))
    r.link.connected = False
    r.ctl.tick()


def _armed(r: Rig) -> None:
    _idle(r)
    arm(r)
    r.clock.now += 4
    r.ctl.tick()


def _help(r: Rig) -> None:
    _armed(r)
    r.ctl.call_helper()


def _reasons(r: Rig) -> None:
    _armed(r)
    r.ctl.rate(1)
    r.ctl.toggle_reason("wait-too-long")
    r.ctl.toggle_reason("multiple-trips")


def _reasons_empty(r: Rig) -> None:
    _armed(r)
    r.ctl.rate(2)


def _thanks(r: Rig) -> None:
    _armed(r)
    r.ctl.rate(5)


def _thanks_offline(r: Rig) -> None:
    _reasons(r)
    r.link.connected = False
    r.ctl.tick()
    r.ctl.submit_reasons()


def _refused(r: Rig) -> None:
    _thanks(r)
    ack(r, "expired")


@dataclass(frozen=True)
class Shot:
    name: str
    page: str
    size: tuple[int, int]
    language: str
    elderly: bool
    setup: Callable[[Rig], None]

    @property
    def file(self) -> str:
        return f"{self.name}.png"


def _shots() -> list[Shot]:
    shots = []
    pages = [("idle", "idle", _idle), ("idle-one", "idle", _idle_one),
             ("idle-paused", "idle", _paused), ("idle-offline", "idle", _offline),
             ("armed", "armed", _armed), ("armed-help", "armed", _help),
             ("reasons", "reasons", _reasons), ("reasons-empty", "reasons", _reasons_empty),
             ("thanks", "thanks", _thanks), ("thanks-offline", "thanks", _thanks_offline),
             ("refused", "refused", _refused)]
    everywhere = {"idle", "armed", "reasons", "thanks", "refused", "idle-offline"}
    for base, page, setup in pages:
        shots.append(Shot(f"{base}-zh", page, LANDSCAPE, "zh", False, setup))
        if base in everywhere:
            shots.append(Shot(f"{base}-en", page, LANDSCAPE, "en", False, setup))
            shots.append(Shot(f"{base}-elderly", page, LANDSCAPE, "zh", True, setup))
            shots.append(Shot(f"{base}-portrait-zh", page, PORTRAIT, "zh", False, setup))
    shots.append(Shot("armed-portrait-elderly", "armed", PORTRAIT, "zh", True, _armed))
    return shots


SHOTS = _shots()


def prepare(shot: Shot, photos: Path) -> Rig:
    """A controller on the shot's page, language and mode."""
    r = rig(photos)
    shot.setup(r)
    if shot.language != r.ctl.view.language:
        r.ctl.toggle_language()
    if shot.elderly != r.ctl.view.elderly:
        r.ctl.toggle_elderly()
    return r
