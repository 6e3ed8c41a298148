"""`onewindow-agent`: run a serial window device (呼叫器 caller, 窗口屏 LED, 评价器 pad).

    onewindow-agent --config firmware_configs/demo/devices/led-1.yaml
    onewindow-agent --config firmware_configs/demo/devices/caller-1.yaml --serial /dev/ttyUSB0

The broker password comes from ONEWINDOW_SECRET_<ID> or the hall's secrets file (the demo
writes var/demo-secrets.yaml). The serial protocol is in docs/serial-protocol.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from devices.agent.runner import Agent, AgentConfigError
from devices.config.loader import load_device
from devices.config.models import Device
from devices.runtime.process import add_device_args, secret_source, setup_logging, stop_signals
from hallserver.config.loader import ConfigError

logger = logging.getLogger("onewindow-agent")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="onewindow-agent", description=__doc__.split("\n")[0])
    add_device_args(p, state_dir_help="where the outbox lives (default var/<id>)")
    p.add_argument("--serial", default=None, metavar="URL",
                   help="serial port or pyserial URL instead of the file's serial.url "
                   "(/dev/ttyUSB0, socket://host:port, loop://)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def load(args: argparse.Namespace) -> Device:
    """The device file, or SystemExit naming the file and line of the problem."""
    try:
        return load_device(args.config, secret_source(args))
    except ConfigError as exc:
        raise SystemExit(f"invalid device file:\n{exc}") from None
    except OSError as exc:
        raise SystemExit(f"{args.config}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM."""
    args = parser().parse_args(argv)
    setup_logging(verbose=args.verbose)
    device = load(args)
    try:
        agent = Agent(device, state_dir=args.state_dir or Path("var") / device.id,
                      serial_url=args.serial)
    except AgentConfigError as exc:
        raise SystemExit(f"{args.config}: {exc}") from None
    done = stop_signals()
    agent.start()
    try:
        done.wait()
    finally:
        agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
