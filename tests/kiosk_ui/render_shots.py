"""Render every scenario headless to PNG and simulate taps; write a JSON report.

Kivy allows one window per process, so pytest runs this as a subprocess:
    python tests/kiosk_ui/render_shots.py OUT_DIR REPORT.json [NAME-FILTER]
The window opens at 1920x1920 and shrinks to each shot's size (an offscreen window
cannot grow past the size it was created with).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kiosk.ui.app import KioskApp, configure_window

configure_window((1920, 1920))

from kiosk_ui_support import TICKET_URL, TZ, issued, reply  # noqa: E402
from kivy.animation import Animation  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.text import Label as CoreLabel  # noqa: E402
from kivy.core.text import LabelBase  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.scrollview import ScrollView  # noqa: E402
from scenarios import SHOTS, Rig, Shot, prepare, rig  # noqa: E402

from devices.protocol import messages as m  # noqa: E402
from kiosk.model import Page  # noqa: E402
from kiosk.ui.pages.common import Spinner  # noqa: E402
from kiosk.ui.widgets import TapButton  # noqa: E402

Step = Generator[float, None, None]  # yields seconds to wait (0: the next frame)
FIRST_FRAME_S = 1.0  # an offscreen window's first frames are black


class Runner:
    """Drives the app through the shots and the tap checks, one frame step at a time."""

    def __init__(self, app: Any, out: Path, shots: list[Shot]) -> None:
        self.app = app
        self.out = out
        self.shots = shots
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
        except Exception:  # report it, never hang the test
            self.report["errors"].append(traceback.format_exc())
            self.app.stop()
            return
        Clock.schedule_once(self._next, wait)

    # ---- helpers ----------------------------------------------------------------------------

    @property
    def screen(self) -> Any:
        return self.app.screen

    def show(self, r: Rig, size: tuple[int, int]) -> Step:
        """Put a controller on screen at a size and wait until it is drawn."""
        if tuple(Window.size) != size:
            Window.size = size
        self.app.attach(r.ctl)
        yield from self.settle(r)

    def settle(self, r: Rig) -> Step:
        """Wait until the controller's newest view is drawn at the window's size and laid
        out: two frames in a row without a redraw (the app's tick may change the view)."""
        deadline = time.monotonic() + 5
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"view not drawn: {r.ctl.view.page}")
            if (self.screen.drawn is not r.ctl.view
                    or tuple(self.screen.size) != tuple(Window.size)):
                yield 0
                continue
            draws, frames = self.screen.draws, Clock.frames_displayed
            while Clock.frames_displayed < frames + 2:
                yield 0
            if self.screen.draws == draws and self.screen.drawn is r.ctl.view:
                return

    def check(self, name: str, ok: bool, detail: object = "") -> None:
        self.report["checks"].append({"name": name, "ok": bool(ok), "detail": str(detail)})

    def layout_faults(self) -> list[str]:
        """Text outside its button or the window, and buttons on top of each other."""
        faults = []
        win = (0.0, 0.0, float(Window.width), float(Window.height))
        buttons = []
        for w in self.screen.walk(restrict=True):
            if isinstance(w, TapButton):
                seen = visible(w)
                if seen is not None:
                    buttons.append((w, seen))
            if not isinstance(w, Label) or not w.text:
                continue
            box = rect(w)
            if w.texture_size[0] > w.width + 1 or w.texture_size[1] > w.height + 1:
                faults.append(f"text larger than its label {w.text[:20]!r}")
            if not inside(box, win, axis=0):
                faults.append(f"text outside the window {w.text[:20]!r}: {box}")
            holder = next((p for p in parents(w) if isinstance(p, TapButton)), None)
            if holder is not None and not inside(box, rect(holder)):
                faults.append(f"text outside its button {w.text[:20]!r} in {holder.tap}")
        for i, (a, ra) in enumerate(buttons):
            for b, rb in buttons[i + 1:]:
                if overlap(ra, rb):
                    faults.append(f"buttons overlap: {a.tap} and {b.tap}")
        return faults

    def shoot(self, shot: Shot, r: Rig) -> None:
        tmp = Window.screenshot(name=str(self.out / "_shot.png"))
        os.replace(tmp, self.out / shot.file)
        faults = self.layout_faults()
        v = self.screen.drawn
        self.report["shots"][shot.name] = {
            "file": shot.file, "size": list(Window.size), "page": v.page.value,
            "language": v.language, "elderly": v.elderly, "role": v.role,
            "expected_page": shot.page, "faults": faults,
            "qr_url": v.qr_url}

    # ---- the run ----------------------------------------------------------------------------

    def glyphs(self) -> None:
        """The default font is the CJK one and draws Chinese (Roboto draws identical boxes)."""
        regular = LabelBase._fonts.get("Roboto", ("",))[0]
        self.check("the default font is the CJK font", regular.endswith("wqy-zenhei.ttc"),
                   regular)
        pixels = []
        for ch in "政务":
            label = CoreLabel(text=ch, font_size=48)
            label.refresh()
            pixels.append(bytes(label.texture.pixels))
        self.check("two Chinese characters draw differently (no boxes)",
                   pixels[0] != pixels[1], "")

    def run(self) -> Step:
        self.glyphs()
        for shot in self.shots:
            began = time.monotonic()
            r = prepare(shot)
            yield from self.show(r, shot.size)
            drawn = time.monotonic()
            self.shoot(shot, r)
            self.report["shots"][shot.name]["seconds"] = [round(drawn - began, 3),
                                                          round(time.monotonic() - drawn, 3)]
        yield from self.taps()

    def tap(self, r: Rig, name: str) -> Step:
        """Tap a named button and wait for the redraw."""
        ok = self.screen.tap(name)
        self.check(f"tap {name} found and enabled", ok, sorted(self.screen.buttons()))
        yield from self.settle(r)

    def taps(self) -> Step:
        """Taps reach the controller; its answers come back to the screen."""
        r = rig("kiosk")
        prepare_ready(r)
        yield from self.show(r, (1080, 1920))
        yield from self.tap(r, "category:qiye")
        v = r.ctl.view
        self.check("category tile opens ITEMS", v.page is Page.ITEMS
                   and v.category is not None and v.category.code == "qiye", v.page)
        yield from self.tap(r, "item:QY-001")
        self.check("item opens GUIDE", r.ctl.view.page is Page.GUIDE, r.ctl.view.page)
        yield from self.tap(r, "priority")
        self.check("priority toggles on", r.ctl.view.priority, r.ctl.view.priority)
        yield from self.tap(r, "take-number")
        sent = r.link.last("ticket-request")
        self.check("取号 emits a ticket-request", isinstance(sent, m.TicketRequest)
                   and sent.category == "qiye" and sent.item == "QY-001" and sent.priority,
                   sent)
        self.check("issuing page has no back or home", not {"back", "home"}
                   & set(self.screen.buttons()), sorted(self.screen.buttons()))
        # The reply arrives on the MQTT thread; the screen must redraw on its own thread.
        assert isinstance(sent, m.TicketRequest)
        worker = threading.Thread(target=reply, args=(r.ctl, "ticket-issued",
                                                      issued(sent.request_id)))
        worker.start()
        worker.join()
        yield from self.settle(r)
        self.check("a reply from another thread is drawn", self.screen.drawn.page is Page.TICKET
                   and self.screen.drawn.qr_url == TICKET_URL, self.screen.drawn.page)
        spinning = [a for a in Animation._instances
                    if any(isinstance(d.get("widget"), Spinner) for d in a._widgets.values()
                           if isinstance(d, dict))]
        self.check("the issuing spinner stops when the page goes", not spinning, spinning)
        yield from self.tap(r, "language")
        self.check("language button switches to English", r.ctl.view.language == "en",
                   r.ctl.view.language)
        yield from self.tap(r, "elderly")
        self.check("elderly button turns on large type", r.ctl.view.elderly, r.ctl.view.elderly)
        yield from self.tap(r, "home")
        self.check("首页 goes home", r.ctl.view.page is Page.HOME, r.ctl.view.page)
        yield from self.tap(r, "helper")
        sent_help = r.link.last("helper-request")
        self.check("帮办 pages staff", r.ctl.view.page is Page.HELP_SENT
                   and isinstance(sent_help, m.HelperRequest), r.link.names())
        yield from self.tap(r, "back")
        yield from self.tap(r, "check-in")
        for key in "7K3M9Q2XH4TB8W6RZ":
            self.screen.tap(f"key:{key}")
        yield from self.settle(r)
        self.check("keypad types a grouped code", r.ctl.view.code_input
                   == "7K3M-9Q2X-H4TB-8W6R", r.ctl.view.code_input)
        self.check("keypad has the 32 Crockford keys", sorted(
            k[4:] for k in self.screen.buttons() if k.startswith("key:"))
            == sorted("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), "")
        yield from self.tap(r, "erase")
        self.check("删除 erases one", r.ctl.view.code_input == "7K3M-9Q2X-H4TB-8W6",
                   r.ctl.view.code_input)
        yield from self.tap(r, "key:R")
        yield from self.tap(r, "submit")
        sent_in = r.link.last("check-in")
        self.check("确认 emits a check-in", isinstance(sent_in, m.CheckIn)
                   and sent_in.code == "7K3M-9Q2X-H4TB-8W6R", sent_in)
        yield from self.paused_taps()
        yield from self.terminal_taps()

    def paused_taps(self) -> Step:
        r = rig("kiosk")
        prepare_ready(r, accepting=False)
        yield from self.show(r, (1080, 1920))
        self.check("check-in is off while paused", not self.screen.tap("check-in"), "")
        yield from self.tap(r, "category:qiye")
        yield from self.tap(r, "item:QY-001")
        before = len(r.link.sent)
        self.check("取号 is off while paused", not self.screen.tap("take-number")
                   and len(r.link.sent) == before, r.link.names())
        full = rig("kiosk")
        prepare_ready(full)
        yield from self.show(full, (1080, 1920))
        yield from self.tap(full, "category:churujing")
        self.check("取号 is off for a full category", not self.screen.tap("take-number"),
                   full.ctl.view.page)

    def terminal_taps(self) -> Step:
        r = rig("terminal")
        prepare_ready(r)
        yield from self.show(r, (1920, 1080))
        yield from self.tap(r, "scan-case")
        self.check("查询办件进度 opens SCAN", r.ctl.view.page is Page.SCAN, r.ctl.view.page)
        r.ctl.scanned("https://hall.example.gov.cn/c/Kp7Wm2Qx9ZrT4vLs")
        from kiosk_ui_support import case_view  # noqa: PLC0415

        reply(r.ctl, "query-result", m.QueryResult(
            request_id=r.request_id("query"), found=True, case=case_view()), "terminal")
        yield from self.settle(r)
        yield from self.tap(r, "reprint")
        sent = r.link.last("query")
        self.check("补打回执 asks for a reprint", isinstance(sent, m.Query)
                   and sent.purpose == "reprint" and sent.kind == "case", sent)


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in window pixels


def rect(w: Any) -> Rect:
    x0, y0 = w.to_window(w.x, w.y)
    x1, y1 = w.to_window(w.right, w.top)
    return (x0, y0, x1, y1)


def parents(w: Any) -> Generator[Any, None, None]:
    p = w.parent
    while p is not None and p is not p.parent:
        yield p
        p = p.parent


def inside(a: Rect, b: Rect, axis: int | None = None, slack: float = 1.5) -> bool:
    axes = (0, 1) if axis is None else (axis,)
    return all(a[i] >= b[i] - slack and a[i + 2] <= b[i + 2] + slack for i in axes)


def overlap(a: Rect, b: Rect, slack: float = 1.0) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > slack
            and min(a[3], b[3]) - max(a[1], b[1]) > slack)


def visible(w: Any) -> Rect | None:
    """The part of a widget a scroll view lets through (None: scrolled out of sight)."""
    x0, y0, x1, y1 = rect(w)
    for p in parents(w):
        if isinstance(p, ScrollView):
            px0, py0, px1, py1 = rect(p)
            x0, y0, x1, y1 = max(x0, px0), max(y0, py0), min(x1, px1), min(y1, py1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def prepare_ready(r: Rig, *, accepting: bool = True) -> None:
    from kiosk_ui_support import ready  # noqa: PLC0415

    ready(r.ctl, r.role, accepting=accepting)


def main(argv: list[str]) -> int:
    out, report_path = Path(argv[1]), Path(argv[2])
    wanted: Callable[[Shot], bool] = (lambda s: argv[3] in s.name) if len(argv) > 3 \
        else (lambda s: True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    first = rig("kiosk")
    app = KioskApp(first.ctl, size=(1920, 1920), tz=TZ)
    runner = Runner(app, out, [s for s in SHOTS if wanted(s)])
    app.bind(on_start=lambda *_: runner.start())
    app.run()
    runner.report["elapsed_s"] = round(time.monotonic() - started, 2)
    report_path.write_text(json.dumps(runner.report, ensure_ascii=False, indent=1),
                           encoding="utf-8")
    return 1 if runner.report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
