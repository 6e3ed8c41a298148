"""Device config files: models, `!secret` resolution, loading, schema export, provisioning."""

from devices.config.links import MqttLink
from devices.config.loader import DeviceSet, broker_credentials, load_device, load_devices
from devices.config.models import (
    MODELS,
    Caller,
    Device,
    DeviceUnion,
    Kiosk,
    Led,
    Pad,
    Printer,
    Screen,
    Terminal,
)
from devices.config.secret import SERVER_SECRET, SecretSource, env_name, required_secrets

__all__ = [
    "MODELS",
    "SERVER_SECRET",
    "Caller",
    "Device",
    "DeviceSet",
    "DeviceUnion",
    "Kiosk",
    "Led",
    "MqttLink",
    "Pad",
    "Printer",
    "Screen",
    "SecretSource",
    "Terminal",
    "broker_credentials",
    "env_name",
    "load_device",
    "load_devices",
    "required_secrets",
]
