"""One MQTT identity per device config, TLS included (every device app uses it)."""

from __future__ import annotations

from pathlib import Path

from devices.config.links import MqttLink
from devices.config.models import Pad
from devices.protocol.topics import DeviceType
from devices.runtime.client import DeviceClient, DeviceIdentity


def pad(**mqtt: object) -> Pad:
    link = MqttLink.model_validate({"password": "a-long-enough-secret", **mqtt})
    return Pad.model_validate({"schema_version": 1, "type": "pad", "id": "pad-9",
                               "hall": "demo", "name": {"zh": "评价器", "en": "Pad"},
                               "mqtt": link, "window": 9})


def test_identity_follows_the_config() -> None:
    identity = DeviceIdentity.of(pad(host="broker.hall", port=8883, keepalive_s=20))
    assert (identity.hall, identity.type, identity.id) == ("demo", DeviceType.PAD, "pad-9")
    assert (identity.host, identity.port, identity.keepalive) == ("broker.hall", 8883, 20)
    assert identity.password == "a-long-enough-secret"
    assert not identity.tls
    assert "a-long-enough-secret" not in repr(identity)


def test_tls_is_honoured(tmp_path: Path) -> None:
    plain = DeviceClient(DeviceIdentity.of(pad()), outbox=":memory:")
    secure = DeviceClient(DeviceIdentity.of(pad(tls=True)), outbox=":memory:")
    try:
        assert plain.client._ssl_context is None
        assert secure.client._ssl_context is not None  # certificate verified by default
        assert DeviceIdentity.of(pad(tls=True, ca_file=str(tmp_path / "ca.pem"))).ca_file
    finally:
        plain.stop()
        secure.stop()
