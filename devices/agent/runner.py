"""One serial window device on the bus: its MQTT client, its driver, the bridge between.

Runs a caller keypad, a window LED or a 5-key rating pad from its device config. The
device's own identity (user name = device id) is used on the bus; the outbox lives in the
state directory, so a rating given while the broker is away is delivered after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from devices.agent.bridges import CallerBridge, LedBridge, PadBridge
from devices.config.models import Caller, Device, Led, Pad
from devices.protocol import messages as m
from devices.protocol.topics import Topic
from devices.runtime.client import DeviceClient, DeviceIdentity
from devices.serial.caller import CallerKeypad
from devices.serial.device import SerialDevice, link_config
from devices.serial.led import LedDisplay
from devices.serial.link import LinkConfig, Opener
from devices.serial.pad import RatingPad
from devices.serial.payloads import DeviceKind

logger = logging.getLogger(__name__)

SOFTWARE = "onewindow-agent 0.1"
SerialDeviceConfig = Caller | Led | Pad
Bridge = CallerBridge | LedBridge | PadBridge


class AgentConfigError(ValueError):
    """A device file the agent cannot run (wrong type, no serial line)."""


def serial_device(device: Device, serial_url: str | None = None) -> tuple[
        SerialDeviceConfig, str, int]:
    """The device, the port URL and baud rate to run, or AgentConfigError saying why not."""
    if not isinstance(device, Caller | Led | Pad):
        raise AgentConfigError(
            f"{device.id} is a {device.type}: onewindow-agent runs the serial window devices "
            "(caller 呼叫器, led 窗口屏, pad 评价器); kiosks and terminals run with "
            "onewindow-kiosk, printers inside the kiosk")
    link = device.serial
    if link is None and serial_url is None:
        what = "the virtual web caller" if isinstance(device, Caller) else "the touch-screen pad"
        raise AgentConfigError(
            f"{device.id} has no `serial:` line in its file, so it is {what}: add "
            "`serial: {url: /dev/ttyUSB0}` or pass --serial URL")
    url = serial_url or (link.url if link is not None else "")
    return device, url, link.baudrate if link is not None else 9600


class Agent:
    """Bridge one serial device to the hall; `start()`/`stop()` or a `with` block."""

    def __init__(self, device: Device, *, state_dir: Path | None = None,
                 serial_url: str | None = None, timing: Mapping[str, float] | None = None,
                 opener: Opener | None = None) -> None:
        self.device, self.url, self.baudrate = serial_device(device, serial_url)
        self.state_dir = state_dir
        self.timing = dict(timing or {})
        self.opener = opener
        self.client: DeviceClient | None = None
        self.driver: SerialDevice | None = None
        self.bridge: Bridge | None = None

    def _outbox(self) -> Path | str:
        if self.state_dir is None:
            return ":memory:"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir / "outbox.sqlite"

    def start(self) -> None:
        """Open the serial line and connect to the broker (both keep retrying)."""
        d = self.device
        client = DeviceClient(DeviceIdentity.of(d), outbox=self._outbox(),
                              on_command=self._command, software=SOFTWARE,
                              config_version=d.config_version)
        self.client = client
        # The serial line starts down; every change is reported (`evt/hardware`).
        self._hardware(up=False)
        links = {"on_up": lambda: self._hardware(up=True),
                 "on_down": lambda: self._hardware(up=False), "opener": self.opener}
        if isinstance(d, Caller):
            keypad = CallerKeypad(self._link(DeviceKind.CALLER),
                                  on_key=lambda c, long: self._caller().on_key(c, long),
                                  **links)
            self.driver, self.bridge = keypad, CallerBridge(client, keypad)
        elif isinstance(d, Led):
            led = LedDisplay(self._link(DeviceKind.LED), **links)
            self.driver, self.bridge = led, LedBridge(client, led)
        else:
            pad = RatingPad(self._link(DeviceKind.PAD),
                            on_level=lambda level: self._pad().on_level(level), **links)
            self.driver = pad
            self.bridge = PadBridge(client, pad, idle_timeout_s=d.idle_timeout_s)
        self.driver.open()
        if isinstance(self.bridge, PadBridge):
            self.bridge.start()
        client.start()
        logger.info("%s: %s agent on %s", d.id, d.type, self.url)

    def _hardware(self, *, up: bool) -> None:
        if self.client is not None:
            self.client.emit("hardware", m.HardwareStatus(
                ok=up, detail=None if up else "serial-down"))
        logger.info("%s: serial device %s", self.device.id, "answers" if up else "down")

    def _link(self, kind: DeviceKind) -> LinkConfig:
        return link_config(kind, self.url, baudrate=self.baudrate, timing=self.timing)

    def _caller(self) -> CallerBridge:
        assert isinstance(self.bridge, CallerBridge)
        return self.bridge

    def _pad(self) -> PadBridge:
        assert isinstance(self.bridge, PadBridge)
        return self.bridge

    def _command(self, topic: Topic, message: m.Message) -> None:
        if self.bridge is not None:
            self.bridge.on_command(topic, message)

    def stop(self) -> None:
        """Say offline, stop the bridge, close the serial line."""
        if self.client is not None:
            self.client.stop(timeout=2.0)
        if isinstance(self.bridge, PadBridge):
            self.bridge.stop()
        if self.driver is not None:
            self.driver.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
