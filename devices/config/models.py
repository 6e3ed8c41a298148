"""Pydantic models of device config files (`firmware_configs/<hall>/devices/<id>.yaml`).

One file per device, one model per device type, selected by `type`. The schema is the
documentation: every field has a description, and the JSON Schema exported from these
models (`firmware_configs/schema/`) is what installers and editors read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from devices.config.base import SERVER_ACCOUNT, ConfigBase, Id, Language, Text, WindowNumber
from devices.config.links import Camera, MqttLink, SerialLink, Transport
from devices.protocol.topics import DeviceType


class DeviceBase(ConfigBase):
    """What every device file carries."""

    schema_version: Literal[1] = Field(description="schema version of this file")
    type: str = Field(description="device type; selects the model of the file")
    id: Id = Field(description="device id, equal to the file name; also the device's MQTT "
                   "user name and its segment in topics")
    hall: Id = Field(description="id of the hall this device belongs to (hall.yaml hall.id)")
    name: Text = Field(description="label shown on the dashboard")
    config_version: int = Field(
        default=1, ge=0,
        description="raise it on every change: the device reports it, so the dashboard "
        "shows devices running an older config",
    )
    mqtt: MqttLink = Field(description="broker connection; the user name is the device id")

    @field_validator("id")
    @classmethod
    def _not_the_server(cls, value: str) -> str:
        if value == SERVER_ACCOUNT:
            raise ValueError(f"{SERVER_ACCOUNT!r} is the hall server's broker account")
        return value

    @property
    def device_type(self) -> DeviceType:
        """The type as the protocol's enum."""
        return DeviceType(self.type)


def _unique(values: list[Any] | None, what: str) -> None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"a {what} is listed twice")


class Kiosk(DeviceBase):
    """Queue-number kiosk (取号机): citizens pick a category and get a printed ticket."""

    type: Literal["kiosk"] = Field(description="device type")
    printer: Id = Field(description="id of the printer device that prints this kiosk's tickets")
    zone: Id | None = Field(default=None, description="zone whose categories the kiosk offers; "
                            "null = every zone of the hall")
    categories: list[Id] | None = Field(
        default=None, min_length=1,
        description="category codes offered, in screen order; null = every category of the "
        "zone (or of the hall)",
    )
    idle_return_s: int = Field(
        default=30, ge=10, le=600,
        description="seconds without a touch before the screen returns home (the next "
        "citizen must not see the previous one's choices)",
    )
    languages: list[Language] = Field(
        default=["zh", "en"], min_length=1,
        description="interface languages offered; the first is the default",
    )
    camera: Camera | None = Field(default=None, description="QR camera for appointment "
                                  "check-in; null = no camera")

    @model_validator(mode="after")
    def _no_repeats(self) -> Kiosk:
        _unique(self.categories, "category")
        _unique(self.languages, "language")
        return self


class Terminal(DeviceBase):
    """Self-service terminal (自助服务终端): service guide, queue status, check-in."""

    type: Literal["terminal"] = Field(description="device type")
    zone: Id | None = Field(default=None, description="zone where the terminal stands (for "
                            "directions); null = the hall entrance")
    printer: Id | None = Field(default=None, description="id of the printer device for "
                               "printouts; null = the terminal cannot print")
    camera: Camera | None = Field(default=None, description="QR camera; null = no camera")
    idle_return_s: int = Field(default=60, ge=10, le=600,
                               description="seconds without a touch before the screen returns "
                               "home and forgets the session")
    languages: list[Language] = Field(
        default=["zh", "en"], min_length=1,
        description="interface languages offered; the first is the default",
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> Terminal:
        _unique(self.languages, "language")
        return self


class Pad(DeviceBase):
    """Rating pad (评价器) at a window: 好差评 after each service."""

    type: Literal["pad"] = Field(description="device type")
    window: WindowNumber = Field(description="number of the window the pad stands at "
                                 "(one pad per window)")
    idle_timeout_s: int = Field(
        default=30, ge=5, le=300,
        description="seconds the rating prompt waits; then it closes and no rating is recorded",
    )
    serial: SerialLink | None = Field(
        default=None,
        description="5-key hardware pad on a serial line; null = the touch-screen pad app",
    )


class Printer(DeviceBase):
    """ESC/POS receipt printer, driven by python-escpos."""

    type: Literal["printer"] = Field(description="device type")
    transport: Transport = Field(description="how bytes reach the printer, chosen by `kind`")
    profile: str = Field(
        default="default", pattern=r"^[A-Za-z0-9._ -]{1,64}$",
        description="python-escpos capability profile of the model (e.g. TM-T88III); "
        "capabilities come from the profile, never from the model name",
    )
    chinese: Literal["gb18030", "image"] = Field(
        default="gb18030",
        description="how Chinese is printed: gb18030 = text in the printer's own Chinese "
        "font; image = rendered to a raster image (printers without a Chinese font)",
    )
    paper_width_mm: Literal[58, 80] = Field(default=80, description="paper roll width in mm")
    timeout_s: float = Field(default=5.0, gt=0, le=60,
                             description="seconds to wait for the printer before reporting "
                             "the job failed and the printer offline")
    window: WindowNumber | None = Field(
        default=None, description="window whose acceptance receipts (收件回执) this printer "
        "prints; null = a kiosk's or terminal's printer")


class Led(DeviceBase):
    """Window LED display (窗口屏) above a window."""

    type: Literal["led"] = Field(description="device type")
    window: WindowNumber = Field(description="number of the window the display belongs to")
    serial: SerialLink = Field(description="serial line of the LED controller")


class Caller(DeviceBase):
    """Staff caller (呼叫器): call, recall, no-show, pause at a window."""

    type: Literal["caller"] = Field(description="device type")
    window: WindowNumber = Field(description="number of the window the caller serves")
    serial: SerialLink | None = Field(
        default=None,
        description="hardware keypad on a serial line; null = the virtual web caller",
    )


class Screen(DeviceBase):
    """Call screen (综合屏) showing and announcing calls."""

    type: Literal["screen"] = Field(description="device type")
    zone: Id | None = Field(default=None, description="zone whose calls the screen shows; "
                            "null = the whole hall")
    announce_repeat: int = Field(default=2, ge=1, le=5,
                                 description="how many times each call is announced")
    voice: Literal["browser", "espeak", "none"] = Field(
        default="browser",
        description="speech engine: browser = Web Speech API of the page, espeak = espeak-ng "
        "on the screen's computer, none = silent",
    )
    announce_languages: list[Language] = Field(
        default=["zh"], min_length=1, description="languages of each announcement, in order",
    )

    @model_validator(mode="after")
    def _no_repeats(self) -> Screen:
        _unique(self.announce_languages, "language")
        return self


# `Device` for type hints; `DeviceUnion` validates any device file, chosen by `type`.
Device = Kiosk | Terminal | Pad | Printer | Led | Caller | Screen
DeviceUnion = Annotated[Device, Field(discriminator="type")]

MODELS: dict[DeviceType, type[Device]] = {
    DeviceType.KIOSK: Kiosk,
    DeviceType.TERMINAL: Terminal,
    DeviceType.PAD: Pad,
    DeviceType.PRINTER: Printer,
    DeviceType.LED: Led,
    DeviceType.CALLER: Caller,
    DeviceType.SCREEN: Screen,
}
