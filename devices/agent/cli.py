"""`onewindow-agent`: run a serial window device (呼叫器 caller, 窗口屏 LED, 评价器 pad).

    onewindow-agent --config firmware_configs/demo/devices/led-1.yaml
    onewindow-agent --config firmware_configs/demo/devices/caller-1.yaml --serial /dev/ttyUSB0

The broker password comes from ONEWINDOW_SECRET_<ID> or the hall's secrets file (the demo
writes var/demo-secrets.yaml). The serial protocol is in docs/serial-protocol.md.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from devices.agent.runner import Agent, AgentConfigError
from devices.config.loader import load_device
from devices.config.models import Device
from devices.config.secret import SecretSource
from hallserver.config.loader import ConfigError

logger = logging.getLogger("onewindow-agent")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="onewindow-agent", description=__doc__.split("\n")[0])
    p.add_argument("--config", type=Path, required=True, help="the device file (YAML)")
    p.add_argument("--secrets", type=Path, default=None,
                   help="secrets file (default: secrets.yaml of the hall directory, then "
                   "var/demo-secrets.yaml)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="where the outbox lives (default var/<id>)")
    p.add_argument("--serial", default=None, metavar="URL",
                   help="serial port or pyserial URL instead of the file's serial.url "
                   "(/dev/ttyUSB0, socket://host:port, loop://)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def _secrets(args: argparse.Namespace) -> SecretSource:
    if args.secrets is not None:
        return SecretSource(args.secrets)
    hall_file = args.config.resolve().parent.parent / "secrets.yaml"
    if hall_file.exists():
        return SecretSource(hall_file)
    return SecretSource(Path("var/demo-secrets.yaml"))


def load(args: argparse.Namespace) -> Device:
    """The device file, or SystemExit naming the file and line of the problem."""
    try:
        return load_device(args.config, _secrets(args))
    except ConfigError as exc:
        raise SystemExit(f"invalid device file:\n{exc}") from None
    except OSError as exc:
        raise SystemExit(f"{args.config}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    device = load(args)
    try:
        agent = Agent(device, state_dir=args.state_dir or Path("var") / device.id,
                      serial_url=args.serial)
    except AgentConfigError as exc:
        raise SystemExit(f"{args.config}: {exc}") from None
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    agent.start()
    try:
        done.wait()
    finally:
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
