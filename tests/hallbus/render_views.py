"""Render recorded kiosk views (a pickle of [(name, KioskView)]) to PNGs, headless.

Run by test_kiosk_runtime as a subprocess (Kivy allows one window per process):
    python tests/hallbus/render_views.py VIEWS.pickle OUT_DIR
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.ui.app import configure_window

configure_window((1080, 1920))

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402

from kiosk.ui.fonts import register_cjk_font  # noqa: E402
from kiosk.ui.screen import KioskScreen  # noqa: E402


class _Inert:
    """Taps do nothing: these are pictures of recorded views."""

    def __getattr__(self, _name: str) -> Any:
        return lambda *a, **k: None


class Shots(App):  # type: ignore[misc]
    def __init__(self, views: list[tuple[str, Any]], out: Path) -> None:
        super().__init__()
        self.views, self.out, self.i = views, out, 0

    def build(self) -> KioskScreen:
        register_cjk_font()
        self.screen = KioskScreen(_Inert(), self.views[0][1], tz=ZoneInfo("Asia/Shanghai"))
        Clock.schedule_once(self.step, 1.0)  # the first offscreen frames are black
        return self.screen

    def step(self, _dt: float) -> None:
        name, view = self.views[self.i]
        self.screen.draw(view)
        Clock.schedule_once(lambda _d: self.shoot(name), 0.4)

    def shoot(self, name: str) -> None:
        tmp = Window.screenshot(name=str(self.out / "_shot.png"))
        os.replace(tmp, self.out / f"{name}.png")
        self.i += 1
        if self.i < len(self.views):
            Clock.schedule_once(self.step, 0)
        else:
            self.stop()


if __name__ == "__main__":
    views = pickle.loads(Path(sys.argv[1]).read_bytes())
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    Shots(views, out).run()
