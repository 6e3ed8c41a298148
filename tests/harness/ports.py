"""Ports for test servers that restart on the same port.

A port the kernel hands out for binding to port 0 lies in the ephemeral range, the same range
it picks outgoing connections' local ports from. A client that keeps reconnecting to a server
that is down can then be given the server's own port as its local port and connect to itself
(TCP simultaneous open): it holds the port, and the server's restart fails with "address
already in use" (seen in CI under load). Ports below the ephemeral range are never handed to
outgoing connections, so a restart there always finds its port free of clients.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

HOST = "127.0.0.1"
_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000  # below this, well-known services (postgres 5432, mqtt 1883, ...)
_ATTEMPTS = 200


def ephemeral_low() -> int:
    """The lowest port the kernel uses for outgoing connections (32768 if unknown)."""
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def stable_port(host: str = HOST) -> int:
    """A TCP port on `host`, free a moment ago, below the ephemeral range."""
    high = ephemeral_low()
    rng = random.SystemRandom()
    for _ in range(_ATTEMPTS):
        port = rng.randrange(_LOWEST, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_LOWEST}..{high - 1} after {_ATTEMPTS} tries")
