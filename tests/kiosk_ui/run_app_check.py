"""Run `run_app` as the kiosk process would, until the controller has ticked twice, and print
what happened as JSON (window size, ticks, the page drawn). Started by the tests as a
subprocess (its time limit is the deadline)."""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

from kiosk_ui_support import make, ready
from kivy.app import App
from kivy.clock import Clock

from kiosk.ui.app import LANDSCAPE, run_app

TICKS = 2  # the controller ticks every 0.5 s: run until it has twice


def main() -> int:
    ctl, _link, _printer, _clock = make("terminal")
    ready(ctl, "terminal")
    ticks = 0
    tick = ctl.tick

    def counting_tick() -> None:
        nonlocal ticks
        ticks += 1
        tick()

    ctl.tick = counting_tick  # type: ignore[method-assign]
    seen: dict[str, object] = {}

    def look(_dt: float) -> None:
        from kivy.core.window import Window  # noqa: PLC0415

        app = App.get_running_app()
        seen.update(size=list(Window.size), page=app.screen.drawn.page.value,
                    buttons=sorted(app.screen.buttons()))
        app.stop()

    def enough(dt: float) -> None:  # two ticks, however slowly a loaded machine draws
        if ticks >= TICKS:
            look(dt)

    Clock.schedule_interval(enough, 0.1)
    run_app(ctl, size=LANDSCAPE)
    print(json.dumps({"ticks": ticks, **seen}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
