"""What the device commands (`onewindow-agent`, `onewindow-kiosk`) share on their way in:
the device-file arguments, the secrets file found beside the hall, logging, and the stop
signals."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path

from devices.config.secret import SecretSource

DEMO_SECRETS = Path("var/demo-secrets.yaml")


def add_device_args(p: argparse.ArgumentParser, *, state_dir_help: str) -> None:
    """--config (the device file), --secrets and --state-dir."""
    p.add_argument("--config", type=Path, required=True, help="the device file (YAML)")
    p.add_argument("--secrets", type=Path, default=None,
                   help="secrets file (default: secrets.yaml of the hall directory, then "
                   "var/demo-secrets.yaml)")
    p.add_argument("--state-dir", type=Path, default=None, help=state_dir_help)


def secret_source(args: argparse.Namespace) -> SecretSource:
    """--secrets, else secrets.yaml of the hall directory (the parent of the device file's
    folder), else the demo's secrets file."""
    if args.secrets is not None:
        return SecretSource(args.secrets)
    hall_file = args.config.resolve().parent.parent / "secrets.yaml"
    if hall_file.exists():
        return SecretSource(hall_file)
    return SecretSource(DEMO_SECRETS)


def setup_logging(*, verbose: bool = False) -> None:
    """Log lines with time, level and logger to stderr (debug when `verbose`)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def stop_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (install it before anything is printed)."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    return done
