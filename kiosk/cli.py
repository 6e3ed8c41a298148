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
import signal
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from devices.config.loader import load_device
from devices.config.models import Device, Kiosk, Pad, Printer, Terminal
from devices.config.secret import SecretSource
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
    p.add_argument("--config", type=Path, required=True, help="the device file (YAML)")
    p.add_argument("--role", choices=["kiosk", "terminal", "pad"], default=None,
                   help="kiosk (取号机), terminal (自助服务终端) or pad (评价器); default: the "
                   "file's type")
    p.add_argument("--secrets", type=Path, default=None,
                   help="secrets file (default: secrets.yaml of the hall directory, then "
                   "var/demo-secrets.yaml)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="outboxes, print journal, catalog cache, staff photos (default "
                   "var/<id>)")
    p.add_argument("--tz", default="Asia/Shanghai", help="the hall's time zone for printouts")
    p.add_argument("--size", type=_size, default=None, help="window size, e.g. 1080x1920")
    p.add_argument("--fullscreen", action="store_true", help="full screen (production)")
    p.add_argument("--no-camera", action="store_true", help="do not open the camera")
    p.add_argument("--headless", action="store_true",
                   help="no window: log every screen change as a JSON line (for checks)")
    return p


def _secrets(args: argparse.Namespace) -> SecretSource:
    if args.secrets is not None:
        return SecretSource(args.secrets)
    hall_file = args.config.resolve().parent.parent / "secrets.yaml"
    if hall_file.exists():
        return SecretSource(hall_file)
    return SecretSource(Path("var/demo-secrets.yaml"))


def load_file(args: argparse.Namespace) -> tuple[Device, SecretSource]:
    """The device file for the role asked, or SystemExit with the file and line of the
    problem."""
    secrets = _secrets(args)
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


def _stop_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (installed before anything is printed)."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    return done


def run_pad(args: argparse.Namespace, device: Pad) -> int:
    """The rating pad (评价器): headless or in its window."""
    from kiosk.pad.runtime import PadRuntime  # noqa: PLC0415 - only the pad needs it
    from kiosk.pad.runtime import dumps as pad_dumps  # noqa: PLC0415

    state_dir = args.state_dir or Path("var") / device.id
    if args.headless:
        done = _stop_signals()
        rt = PadRuntime(device, state_dir=state_dir,
                        on_view=lambda v: print(pad_dumps(v), flush=True))
        print(pad_dumps(rt.controller.view), flush=True)  # then every change
        rt.start()
        logger.info("%s running headless (pad of window %d)", device.id, device.window)
        done.wait()
        rt.stop()
        return 0
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.ui.pad.app import LANDSCAPE  # noqa: PLC0415 - opens Kivy
    from kiosk.ui.pad.app import run_pad as run_window  # noqa: PLC0415

    rt = PadRuntime(device, state_dir=state_dir)
    rt.start(tick=False)  # the app ticks on its own thread
    try:
        run_window(rt.controller, size=args.size or LANDSCAPE, fullscreen=args.fullscreen)
    finally:
        rt.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run until the window closes or SIGINT/SIGTERM."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    device_file, _ = load_file(args)
    if isinstance(device_file, Pad):
        return run_pad(args, device_file)
    device, printer = load(args)
    tz = ZoneInfo(args.tz)
    state_dir = args.state_dir or Path("var") / device.id
    if args.headless:
        done = _stop_signals()
        rt = KioskRuntime(device, printer, state_dir=state_dir, tz=tz,
                          on_view=lambda v: print(dumps(v), flush=True),
                          camera=not args.no_camera)
        rt.start()
        logger.info("%s running headless (%s)", device.id, device.type)
        done.wait()
        rt.stop()
        return 0
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.ui.app import LANDSCAPE, PORTRAIT, run_app  # noqa: PLC0415 - opens Kivy

    rt = KioskRuntime(device, printer, state_dir=state_dir, tz=tz, camera=not args.no_camera)
    rt.start(tick=False)  # the app ticks on its own thread
    try:
        size = args.size or (PORTRAIT if device.type == "kiosk" else LANDSCAPE)
        run_app(rt.controller, size=size, fullscreen=args.fullscreen, tz=tz)
    finally:
        rt.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
