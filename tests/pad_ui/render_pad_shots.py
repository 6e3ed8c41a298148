"""Render every pad scenario headless to PNG, check the layout and simulate taps; write a
JSON report. Kivy allows one window per process, so pytest runs this as a subprocess:
    python tests/pad_ui/render_pad_shots.py OUT_DIR REPORT.json PHOTO_DIR [NAME-FILTER]
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.ui.app import configure_window

configure_window((1280, 1280))

from kivy.clock import Clock  # noqa: E402
from kivy.core.text import Label as CoreLabel  # noqa: E402
from kivy.core.text import LabelBase  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.image import Image  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from pad_scenarios import SHOTS, Shot, prepare  # noqa: E402
from pad_ui_support import PHOTO, Rig, arm, on_duty, rig, send_state  # noqa: E402

from devices.protocol import messages as m  # noqa: E402
from kiosk.pad.model import PadPage  # noqa: E402
from kiosk.ui.pad.app import PadApp  # noqa: E402
from kiosk.ui.pad.kit import MIN_TOUCH  # noqa: E402
from kiosk.ui.widgets import TapButton  # noqa: E402

Step = Generator[float, None, None]
Rect = tuple[float, float, float, float]
FIRST_FRAME_S = 1.0


def rect(w: Any) -> Rect:
    x0, y0 = w.to_window(w.x, w.y)
    x1, y1 = w.to_window(w.right, w.top)
    return (x0, y0, x1, y1)


def ancestors(w: Any) -> Generator[Any, None, None]:
    p = w.parent
    while p is not None and p is not p.parent:
        yield p
        p = p.parent


def clipped(w: Any) -> Rect | None:
    """What a scroll view lets through of a widget (None: out of sight)."""
    x0, y0, x1, y1 = rect(w)
    for p in ancestors(w):
        if isinstance(p, ScrollView):
            a = rect(p)
            x0, y0, x1, y1 = max(x0, a[0]), max(y0, a[1]), min(x1, a[2]), min(y1, a[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def within(a: Rect, b: Rect, slack: float = 1.5) -> bool:
    return all(a[i] >= b[i] - slack and a[i + 2] <= b[i + 2] + slack for i in (0, 1))


def overlapping(a: Rect, b: Rect) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


class Runner:
    def __init__(self, app: Any, out: Path, photos: Path, shots: list[Shot]) -> None:
        self.app, self.out, self.photos, self.shots = app, out, photos, shots
        self.report: dict[str, Any] = {"shots": {}, "checks": [], "errors": []}
        self._steps = self.run()

    def start(self) -> None:
        Clock.schedule_once(self._next, FIRST_FRAME_S)

    def _next(self, _dt: float = 0) -> None:
        try:
            wait = next(self._steps)
        except StopIteration:
            self.app.stop()
            return
        except Exception:
            self.report["errors"].append(traceback.format_exc())
            self.app.stop()
            return
        Clock.schedule_once(self._next, wait)

    @property
    def screen(self) -> Any:
        return self.app.screen

    def check(self, name: str, ok: bool, detail: object = "") -> None:
        self.report["checks"].append({"name": name, "ok": bool(ok), "detail": str(detail)})

    def show(self, r: Rig, size: tuple[int, int]) -> Step:
        if tuple(Window.size) != size:
            Window.size = size
        self.app.attach(r.ctl)
        yield from self.settle(r)

    def settle(self, r: Rig) -> Step:
        """Until the newest view is drawn at the window's size and two frames passed."""
        deadline = time.monotonic() + 5
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"view not drawn: {r.ctl.view.page}")
            if self.screen.drawn is not r.ctl.view or \
                    tuple(self.screen.size) != tuple(Window.size):
                yield 0
                continue
            draws, frames = self.screen.draws, Clock.frames_displayed
            while Clock.frames_displayed < frames + 2:
                yield 0
            if self.screen.draws == draws and self.screen.drawn is r.ctl.view:
                return

    def layout(self) -> tuple[list[str], dict[str, list[float]]]:
        """Faults (text outside its label, button or the window; buttons out of the window,
        overlapping or smaller than a finger) and the buttons' rectangles."""
        faults: list[str] = []
        win = (0.0, 0.0, float(Window.width), float(Window.height))
        buttons = []
        for w in self.screen.walk(restrict=True):
            if isinstance(w, TapButton):
                seen = clipped(w)
                if seen is None:
                    faults.append(f"button {w.tap} out of sight")
                    continue
                buttons.append((w, seen))
                if not within(seen, win):
                    faults.append(f"button {w.tap} outside the window: {seen}")
                if w.width < MIN_TOUCH or w.height < MIN_TOUCH:
                    faults.append(f"button {w.tap} smaller than {MIN_TOUCH}px: {w.size}")
            if not isinstance(w, Label) or not w.text:
                continue
            box = rect(w)
            if w.texture_size[0] > w.width + 1 or w.texture_size[1] > w.height + 1:
                faults.append(f"text larger than its label {w.text[:20]!r}")
            if not within(box, (win[0], -1e9, win[2], 1e9)):
                faults.append(f"text outside the window {w.text[:20]!r}: {box}")
            holder = next((p for p in ancestors(w) if isinstance(p, TapButton)), None)
            if holder is not None and not within(box, rect(holder)):
                faults.append(f"text outside its button {w.text[:20]!r} in {holder.tap}")
        for i, (a, ra) in enumerate(buttons):
            for b, rb in buttons[i + 1:]:
                if overlapping(ra, rb):
                    faults.append(f"buttons overlap: {a.tap} and {b.tap}")
        return faults, {b.tap: list(r) for b, r in buttons}

    def shoot(self, shot: Shot) -> None:
        tmp = Window.screenshot(name=str(self.out / "_shot.png"))
        os.replace(tmp, self.out / shot.file)
        faults, buttons = self.layout()
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

    def glyphs(self) -> None:
        regular = LabelBase._fonts.get("Roboto", ("",))[0]
        self.check("the default font is the CJK font", regular.endswith("wqy-zenhei.ttc"),
                   regular)
        drawn = []
        for ch in "满意":
            label = CoreLabel(text=ch, font_size=48)
            label.refresh()
            drawn.append(bytes(label.texture.pixels))
        self.check("two Chinese characters draw differently (no boxes)", drawn[0] != drawn[1])

    def run(self) -> Step:
        self.glyphs()
        for shot in self.shots:
            r = prepare(shot, self.photos)
            yield from self.show(r, shot.size)
            self.shoot(shot)
        yield from self.taps()

    def tap(self, r: Rig, name: str) -> Step:
        ok = self.screen.tap(name)
        self.check(f"tap {name} found and enabled", ok, sorted(self.screen.buttons()))
        yield from self.settle(r)

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
    runner = Runner(app, out, photos, wanted)
    app.bind(on_start=lambda *_: runner.start())
    app.run()
    runner.report["elapsed_s"] = round(time.monotonic() - started, 2)
    report_path.write_text(json.dumps(runner.report, ensure_ascii=False, indent=1),
                           encoding="utf-8")
    return 1 if runner.report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
