"""The machine's address on the local network, for URLs when the server binds every
interface (0.0.0.0 is where a server listens, not an address a phone can open).

Read from the kernel (the default route's interface, then any interface), never by sending
a packet anywhere. Linux only; elsewhere it finds nothing and the caller asks for
HALL_PUBLIC_URL."""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import socket
import struct
from pathlib import Path
from typing import TypeGuard

logger = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names, not a bind)
_SIOCGIFADDR = 0x8915
_ROUTES = Path("/proc/net/route")


def is_wildcard(host: str) -> bool:
    """Whether `host` is a bind-everything address rather than one a client can reach."""
    return host.strip("[]") in WILDCARD_HOSTS


def _interface_address(name: str) -> str | None:
    """The IPv4 address of one interface, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR,
                                 struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def _usable(address: str | None) -> TypeGuard[str]:
    if address is None:
        return False
    ip = ipaddress.IPv4Address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def _default_route_interfaces(routes: Path) -> list[str]:
    """Interfaces with a default route, lowest metric first."""
    try:
        lines = routes.read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return []
    found = []
    for line in lines:
        fields = line.split()
        if len(fields) > 6 and fields[1] == "00000000" and fields[7] == "00000000":
            found.append((int(fields[6]), fields[0]))
    return [name for _metric, name in sorted(found)]


def lan_addresses(routes: Path = _ROUTES) -> list[str]:
    """This machine's IPv4 addresses other machines can reach it at, the default route's
    first (loopback and link-local left out); empty if none or not Linux."""
    try:
        names = [name for _index, name in socket.if_nameindex()]
    except OSError:
        return []
    ordered = _default_route_interfaces(routes)
    ordered += [n for n in names if n not in ordered]
    out: list[str] = []
    for name in ordered:
        address = _interface_address(name)
        if _usable(address) and address not in out:
            out.append(address)
    return out
