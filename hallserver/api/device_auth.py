"""Hall devices calling the HTTP API: HTTP Basic with the device id and its bus secret.

A kiosk or self-service terminal that takes numbers over HTTP instead of MQTT (a vendor's
kiosk software, a test rig) proves itself with the same secret its broker account uses.
Secrets are random tokens from the secrets file, so a SHA-256 digest compared in constant
time is enough (no slow hash per ticket); the secrets themselves are not kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from devices.protocol.catalog import ISSUERS
from devices.protocol.topics import DeviceType


@dataclass(frozen=True)
class DeviceLogin:
    """A device that proved itself."""

    id: str
    type: DeviceType


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class DeviceCredentials:
    """The devices that may issue tickets over HTTP, by id: type and secret digest."""

    def __init__(self, devices: Iterable[tuple[str, DeviceType, str]] = ()) -> None:
        self._devices = {device_id: (kind, _digest(secret))
                         for device_id, kind, secret in devices if kind in ISSUERS}

    def verify(self, authorization: str) -> DeviceLogin | None:
        """The device an `Authorization: Basic ...` header proves, or None."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            device_id, sep, secret = base64.b64decode(encoded.strip(), validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        known = self._devices.get(device_id)
        # Compare against something either way: timing says nothing about which ids exist.
        kind, digest = known or (DeviceType.KIOSK, _digest(device_id + "\0unknown"))
        if not (hmac.compare_digest(_digest(secret), digest) and sep and known):
            return None
        return DeviceLogin(device_id, kind)
