"""Links of a device to the outside: the MQTT broker, serial lines, cameras, printer transports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from devices.config.base import MIN_PASSWORD, ConfigBase

Baudrate = Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]

# pyserial URL handlers an installer may use besides a device path.
SERIAL_SCHEMES = ("loop", "socket", "rfc2217", "spy", "alt", "hwgrep")
_SERIAL_URL = re.compile(
    rf"^(/[^\s]+|COM[1-9][0-9]*|(?:{'|'.join(SERIAL_SCHEMES)})://[^\s]*)$"
)


class MqttLink(ConfigBase):
    """How the device reaches the hall's MQTT broker.

    The broker user name of a device is its `id`: broker ACLs let a device publish only
    under `hall/<hall>/<type>/<id>/`, so there is no separate user name to get wrong.
    """

    removed_keys: ClassVar[Mapping[str, str]] = {
        "username": "a device logs in to the broker with its id as the user name",
    }

    # A password is taken as written: no whitespace stripping.
    model_config = ConfigDict(str_strip_whitespace=False)

    host: str = Field(default="127.0.0.1", pattern=r"^\S+$",
                      description="broker host name or IP address")
    port: int = Field(default=1883, ge=1, le=65535,
                      description="broker TCP port (1883 plain, usually 8883 with TLS)")
    password: SecretStr = Field(
        json_schema_extra={"minLength": MIN_PASSWORD},
        description="broker password of this device; write it as `!secret <device id>` so "
        "it stays out of the committed file. The user name is the device id (broker ACLs "
        "rely on it).",
    )
    keepalive_s: int = Field(default=15, ge=5, le=120,
                             description="MQTT keepalive in seconds; the broker publishes the "
                             "device's offline will after 1.5 times this without traffic")
    tls: bool = Field(default=False, description="connect with TLS")
    ca_file: str | None = Field(
        default=None, min_length=1,
        description="CA bundle (PEM) that signs the broker certificate; null = the system "
        "CAs. Only with tls.",
    )

    @field_validator("password")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if len(secret) < MIN_PASSWORD:
            raise ValueError(f"the password is shorter than {MIN_PASSWORD} characters")
        if any(ch in secret for ch in "\r\n\x00"):
            raise ValueError("the password contains a line break or NUL character")
        return value

    @model_validator(mode="after")
    def _ca_needs_tls(self) -> MqttLink:
        if self.ca_file is not None and not self.tls:
            raise ValueError("ca_file is set but tls is false")
        return self


class SerialLink(ConfigBase):
    """A serial line opened with pyserial."""

    url: str = Field(
        description="a device path like /dev/ttyUSB0 (COM3 on Windows) or a pyserial URL "
        "such as loop:// (tests) or socket://host:port",
    )
    baudrate: Baudrate = Field(default=9600, description="line speed in baud (8N1)")

    @field_validator("url")
    @classmethod
    def _serial_url(cls, value: str) -> str:
        if not _SERIAL_URL.fullmatch(value):
            raise ValueError(
                "expected an absolute device path (/dev/ttyUSB0), COMn, or a pyserial URL "
                f"({', '.join(s + '://' for s in SERIAL_SCHEMES)})"
            )
        return value


class Camera(ConfigBase):
    """A camera that reads QR codes (appointment check-in, e-licence)."""

    device: int | str = Field(
        default=0,
        description="OpenCV VideoCapture source: a camera index (0 = first camera) or a "
        "device path / stream URL",
    )
    width: int = Field(default=640, ge=160, le=3840, description="capture width in pixels")
    height: int = Field(default=480, ge=120, le=2160, description="capture height in pixels")

    @field_validator("device")
    @classmethod
    def _source(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 0:
            raise ValueError("a camera index is 0 or more")
        if isinstance(value, str) and not value:
            raise ValueError("an empty camera path")
        return value


# ---- printer transports -------------------------------------------------------------------

def _usb_id(value: Any) -> Any:
    if isinstance(value, str):
        text = value.lower().removeprefix("0x")
        if not re.fullmatch(r"[0-9a-f]{4}", text):
            raise ValueError("a USB id is 4 hex digits, e.g. '0x0416'")
        return int(text, 16)
    return value


UsbId = Annotated[
    int, BeforeValidator(_usb_id), Field(ge=0, le=0xFFFF),
    WithJsonSchema({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 0xFFFF},
        {"type": "string", "pattern": "^(0x)?[0-9a-fA-F]{4}$"},
    ]}),
]


class FileTransport(ConfigBase):
    """ESC/POS bytes appended to a file (demos, tests, a printer exposed as /dev/usb/lp0)."""

    kind: Literal["file"] = Field(description="transport kind")
    path: str = Field(min_length=1, description="file that receives the raw ESC/POS bytes, "
                      "relative to the working directory of the agent")


class UsbTransport(ConfigBase):
    """A USB printer driven through libusb."""

    kind: Literal["usb"] = Field(description="transport kind")
    vendor_id: UsbId = Field(description="USB vendor id, an integer or a hex string '0x0416'")
    product_id: UsbId = Field(description="USB product id, an integer or a hex string '0x5011'")
    in_ep: UsbId = Field(default=0x82, description="bulk IN endpoint")
    out_ep: UsbId = Field(default=0x01, description="bulk OUT endpoint")


class SerialTransport(SerialLink):
    """A printer on a serial line."""

    kind: Literal["serial"] = Field(description="transport kind")


class NetworkTransport(ConfigBase):
    """A network printer on its raw port (JetDirect)."""

    kind: Literal["network"] = Field(description="transport kind")
    host: str = Field(min_length=1, description="printer host name or IP address")
    port: int = Field(default=9100, ge=1, le=65535, description="raw printing TCP port")


Transport = Annotated[
    FileTransport | UsbTransport | SerialTransport | NetworkTransport,
    Field(discriminator="kind"),
]
