"""A rating pad process without its screen: the MQTT client, the photo cache and the
controller. State lives under `state_dir`: the outbox (ratings wait there while the broker
is away) and the staff photos (`photos/<hash>.jpg`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from devices.config.models import Pad
from devices.runtime.client import DeviceClient, DeviceIdentity
from kiosk.pad.controller import PadController, PadSettings
from kiosk.pad.model import PadView
from kiosk.pad.photos import PhotoCache
from kiosk.runtime import ClientLink, Ticker

SOFTWARE = "onewindow-pad 0.1"


def settings_of(config: Pad) -> PadSettings:
    """What the controller takes from a pad's device config."""
    return PadSettings(device_id=config.id, window=config.window,
                       idle_timeout_s=float(config.idle_timeout_s))


class PadRuntime:
    """Everything a rating pad process runs besides its screen."""

    def __init__(self, config: Pad, *, state_dir: Path,
                 on_view: Callable[[PadView], None] | None = None) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.client = DeviceClient(DeviceIdentity.of(config),
                                   outbox=state_dir / f"{config.id}.outbox.db",
                                   software=SOFTWARE, config_version=config.config_version)
        self.controller = PadController(settings_of(config), ClientLink(self.client),
                                        photos=PhotoCache(state_dir / "photos"),
                                        on_view=on_view)
        self.client.on_command = self.controller.on_message
        self.ticker = Ticker(self.controller.tick, name=f"{config.id}-tick", what="pad")

    def start(self, *, tick: bool = True) -> None:
        """Start the MQTT client and (without a UI, which ticks itself) the ticker."""
        self.client.start()
        if tick:
            self.ticker.start()

    def stop(self) -> None:
        """Stop (ratings not yet delivered stay in the outbox for the next start)."""
        self.ticker.stop()
        self.client.stop()


def describe(view: PadView) -> dict[str, object]:
    """A short JSON-able summary of a view (logs and the headless runner)."""
    return {"page": view.page.value, "window": view.window, "online": view.online,
            "mode": view.mode.value if view.mode else None,
            "staff": [f"{s.role}:{s.staff_id}" for s in view.staff], "number": view.number,
            "seconds_left": view.seconds_left, "level": view.level,
            "reasons": sorted(view.reasons),
            "refusal": view.refusal.zh if view.refusal else None}


def dumps(view: PadView) -> str:
    """`describe` as one JSON line."""
    return json.dumps(describe(view), ensure_ascii=False)
