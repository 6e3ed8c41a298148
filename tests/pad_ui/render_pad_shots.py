"""Render every pad scenario headless to PNG, check the layout and simulate taps; write a
JSON report. Kivy allows one window per process, so pytest runs this as a subprocess:
    python tests/pad_ui/render_pad_shots.py OUT_DIR REPORT.json PHOTO_DIR [NAME-FILTER]
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.ui.app import configure_window

configure_window((1280, 1280))
sys.path.append(str(Path(__file__).resolve().parents[1] / "kiosk_ui"))  # shot_runner

from kivy.core.window import Window  # noqa: E402
from kivy.uix.image import Image  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from pad_scenarios import SHOTS, Shot, prepare  # noqa: E402
from pad_ui_support import PHOTO, arm, on_duty, rig, send_state  # noqa: E402
from shot_runner import ShotRunner, Step, run_and_report  # noqa: E402

from devices.protocol import messages as m  # noqa: E402
from kiosk.pad.model import PadPage  # noqa: E402
from kiosk.ui.pad.app import PadApp  # noqa: E402
from kiosk.ui.pad.kit import MIN_TOUCH  # noqa: E402


class Runner(ShotRunner):
    def __init__(self, app: Any, out: Path, photos: Path, shots: list[Shot]) -> None:
        self.photos = photos
        super().__init__(app, out, shots)

    def shoot(self, shot: Shot) -> None:
        self.screenshot(shot.file)
        faults, buttons = self.layout(min_touch=MIN_TOUCH)
        v = self.screen.drawn
        images = [w.source for w in self.screen.walk(restrict=True) if isinstance(w, Image)]
        self.report["shots"][shot.name] = {
            "file": shot.file, "size": list(Window.size), "page": v.page.value,
            "language": v.language, "elderly": v.elderly, "online": v.online,
            "faults": faults, "buttons": buttons, "images": images,
            "scrolls": self.scrolls()}

    def scrolls(self) -> bool:
        """Whether the page is taller than its scroll view (a pad page should fit)."""
        return any(isinstance(w, ScrollView) and w.children
                   and w.children[0].height > w.height + 1
                   for w in self.screen.walk(restrict=True))

    def run(self) -> Step:
        self.glyphs("满意")
        for shot in self.shots:
            r = prepare(shot, self.photos)
            yield from self.show(r, shot.size)
            self.shoot(shot)
        yield from self.taps()

    def taps(self) -> Step:
        r = rig(self.photos)
        send_state(r, on_duty())
        yield from self.show(r, (1280, 800))
        self.check("idle shows the cached photo", any(
            isinstance(w, Image) and w.source.endswith(f"{PHOTO}.jpg")
            for w in self.screen.walk(restrict=True)), "")
        # An arm arrives on the MQTT thread: the screen redraws on its own thread.
        worker = threading.Thread(target=arm, args=(r,))
        worker.start()
        worker.join()
        yield from self.settle(r)
        self.check("an arm from another thread is drawn", self.screen.drawn.page
                   is PadPage.ARMED, self.screen.drawn.page)
        levels = sorted(k for k in self.screen.buttons() if k.startswith("level:"))
        self.check("five level buttons", levels == [f"level:{n}" for n in range(1, 6)], levels)
        yield from self.tap(r, "level:2")
        self.check("不满意 opens the reasons", r.ctl.view.page is PadPage.REASONS, r.ctl.view.page)
        self.check("submit is off without a reason", not self.screen.tap("submit"),
                   r.link.names())
        yield from self.tap(r, "reason:attitude")
        yield from self.tap(r, "submit")
        sent = r.link.last("rating")
        self.check("提交 posts level 2 with its reason", isinstance(sent, m.Rating)
                   and sent.level == 2 and sent.reasons == ["attitude"], sent)
        self.check("thanks after submitting", r.ctl.view.page is PadPage.THANKS, "")
        for level in (5, 4, 3):
            good = rig(self.photos)
            arm(good, token=f"tok-tap-level-{level}")
            yield from self.show(good, (1280, 800))
            button = self.screen.buttons()[f"level:{level}"]
            button.trigger_action(duration=0)
            button.trigger_action(duration=0)  # a double tap
            yield from self.settle(good)
            ratings = [msg for n, msg in good.link.sent if n == "rating"]
            self.check(f"tapping level {level} posts level {level} once",
                       [getattr(x, "level", None) for x in ratings] == [level], ratings)
        yield from self.tap(good, "helper")
        self.check("呼叫工作人员 pages staff", good.link.names()[-1] == "helper-request",
                   good.link.names())
        yield from self.tap(good, "language")
        self.check("language switches to English", good.ctl.view.language == "en", "")
        yield from self.tap(good, "elderly")
        self.check("长辈模式 turns on large text", good.ctl.view.elderly, "")


def main(argv: list[str]) -> int:
    out, report_path, photos = Path(argv[1]), Path(argv[2]), Path(argv[3])
    wanted = [s for s in SHOTS if len(argv) < 5 or argv[4] in s.name]
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    first = rig(photos)
    app = PadApp(first.ctl, size=(1280, 1280))
    return run_and_report(app, Runner(app, out, photos, wanted), report_path, started)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
