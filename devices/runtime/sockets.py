"""Socket options every MQTT client here uses."""

from __future__ import annotations

import socket
from typing import Any


def no_delay(_client: Any, _userdata: Any, sock: Any) -> None:
    """paho `on_socket_open`: disable Nagle, so a request does not wait ~40 ms behind the
    PUBACK sent just before it (Nagle's algorithm against the peer's delayed ACK)."""
    if isinstance(sock, socket.socket) and sock.family in {socket.AF_INET, socket.AF_INET6}:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
