"""`onewindow-kiosk`: run a queue-number kiosk, a self-service terminal or a rating pad from
its device file.

    onewindow-kiosk --config firmware_configs/demo/devices/kiosk-a1.yaml
    onewindow-kiosk --role terminal --config firmware_configs/demo/devices/terminal-a1.yaml
    onewindow-kiosk --role pad --config firmware_configs/demo/devices/pad-1.yaml

The broker password comes from ONEWINDOW_SECRET_<ID> or the hall's secrets file (the demo
writes var/demo-secrets.yaml). The kiosk's printer is read from the file beside it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from devices.config.loader import load_device
from devices.config.models import Device, Kiosk, Pad, Printer, Terminal
from devices.config.secret import SecretSource
from devices.runtime.process import add_device_args, secret_source, setup_logging, stop_signals
from hallserver.config.loader import ConfigError
from kiosk.runtime import KioskRuntime, dumps

logger = logging.getLogger("onewindow-kiosk")
ROLES = {"kiosk": Kiosk, "terminal": Terminal, "pad": Pad}


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 1080x1920") from None
    return w, h


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="onewindow-kiosk", description=__doc__.split("\n")[0])
    add_device_args(p, state_dir_help="outboxes, print journal, catalog cache, staff photos "
                    "(default var/<id>)")
    p.add_argument("--role", choices=["kiosk", "terminal", "pad"], default=None,
                   help="kiosk (取号机), terminal (自助服务终端) or pad (评价器); default: the "
                   "file's type")
    p.add_argument("--tz", default="Asia/Shanghai", help="the hall's time zone for printouts")
    p.add_argument("--size", type=_size, default=None, help="window size, e.g. 1080x1920")
    p.add_argument("--fullscreen", action="store_true", help="full screen (production)")
    p.add_argument("--no-camera", action="store_true", help="do not open the camera")
    p.add_argument("--headless", action="store_true",
                   help="no window: log every screen change as a JSON line (for checks)")
    return p


def load_file(args: argparse.Namespace) -> tuple[Device, SecretSource]:
    """The device file for the role asked, or SystemExit with the file and line of the
    problem."""
    secrets = secret_source(args)
    try:
        device = load_device(args.config, secrets)
    except ConfigError as exc:
        raise SystemExit(f"invalid device file:\n{exc}") from None
    role = args.role or device.type
    if not isinstance(device, ROLES.get(role, ())):
        raise SystemExit(f"{args.config}: a {device.type} file cannot run as --role {role}")
    if isinstance(device, Pad) and device.serial is not None:
        raise SystemExit(f"{device.id} is a 5-key hardware pad on {device.serial.url}: it is "
                         "run by onewindow-agent, not by this app (remove `serial` from the "
                         "file for the touch-screen pad)")
    return device, secrets


def load(args: argparse.Namespace) -> tuple[Kiosk | Terminal, Printer | None]:
    """The kiosk or terminal and its printer, or SystemExit naming the problem."""
    device, secrets = load_file(args)
    if not isinstance(device, Kiosk | Terminal):
        raise SystemExit(f"{args.config}: a {device.type} file is not a kiosk or terminal")
    printer = None
    if device.printer is not None:
        path = args.config.parent / f"{device.printer}.yaml"
        try:
            loaded = load_device(path, secrets)
        except (ConfigError, OSError) as exc:
            raise SystemExit(f"printer {device.printer} of {device.id}: {exc}") from None
        if not isinstance(loaded, Printer):
            raise SystemExit(f"{path}: {device.printer} is a {loaded.type}, not a printer")
        printer = loaded
    return device, printer


class _Runtime(Protocol):
    def start(self, *, tick: bool = True) -> None: ...
    def stop(self) -> None: ...


def _headless(rt: _Runtime, done: threading.Event, running: str, *args: object) -> int:
    """Run `rt` with its own ticker until SIGINT/SIGTERM (`done`); log `running`."""
    rt.start()
    logger.info(running, *args)
    done.wait()
    rt.stop()
    return 0


def _windowed(rt: _Runtime, window: Callable[[], None]) -> int:
    """Run `rt` while `window` runs the app (which ticks on its own thread)."""
    rt.start(tick=False)
    try:
        window()
    finally:
        rt.stop()
    return 0


def run_pad(args: argparse.Namespace, device: Pad) -> int:
    """The rating pad (评价器): headless or in its window."""
    from kiosk.pad.runtime import PadRuntime  # noqa: PLC0415 - only the pad needs it
    from kiosk.pad.runtime import dumps as pad_dumps  # noqa: PLC0415

    state_dir = args.state_dir or Path("var") / device.id
    if args.headless:
        done = stop_signals()
        rt = PadRuntime(device, state_dir=state_dir,
                        on_view=lambda v: print(pad_dumps(v), flush=True))
        print(pad_dumps(rt.controller.view), flush=True)  # then every change
        return _headless(rt, done, "%s running headless (pad of window %d)", device.id,
                         device.window)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.ui.pad.app import LANDSCAPE  # noqa: PLC0415 - opens Kivy
    from kiosk.ui.pad.app import run_pad as run_window  # noqa: PLC0415

    pad = PadRuntime(device, state_dir=state_dir)
    return _windowed(pad, lambda: run_window(pad.controller, size=args.size or LANDSCAPE,
                                             fullscreen=args.fullscreen))


def main(argv: list[str] | None = None) -> int:
    """Run until the window closes or SIGINT/SIGTERM."""
    args = parser().parse_args(argv)
    setup_logging()
    device_file, _ = load_file(args)
    if isinstance(device_file, Pad):
        return run_pad(args, device_file)
    device, printer = load(args)
    tz = ZoneInfo(args.tz)
    state_dir = args.state_dir or Path("var") / device.id
    if args.headless:
        done = stop_signals()
        rt = KioskRuntime(device, printer, state_dir=state_dir, tz=tz,
                          on_view=lambda v: print(dumps(v), flush=True),
                          camera=not args.no_camera)
        return _headless(rt, done, "%s running headless (%s)", device.id, device.type)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.ui.app import LANDSCAPE, PORTRAIT, run_app  # noqa: PLC0415 - opens Kivy

    kiosk = KioskRuntime(device, printer, state_dir=state_dir, tz=tz,
                         camera=not args.no_camera)
    size = args.size or (PORTRAIT if device.type == "kiosk" else LANDSCAPE)
    return _windowed(kiosk, lambda: run_app(kiosk.controller, size=size,
                                            fullscreen=args.fullscreen, tz=tz))


if __name__ == "__main__":
    sys.exit(main())
