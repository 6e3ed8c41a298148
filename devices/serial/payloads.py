"""Commands, key codes and payloads of the serial window devices (docs/serial-protocol.md).

Pure code: payload bytes to values and back, and GB2312/GB18030 text that is cut to a
display's byte budget at a character boundary (never half a double-byte character).
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from enum import IntEnum

from devices.serial.frames import FROM_DEVICE

logger = logging.getLogger(__name__)

PROTOCOL_VERSION = 1


class Cmd(IntEnum):
    """Commands without the direction bit; a device's frames carry `cmd | 0x80`."""

    HELLO = 0x01  # both ways: I (re)started, forget my old sequence numbers
    PING = 0x02  # host -> device heartbeat; the ACK is the answer
    ACK = 0x06  # both ways: SEQ = the sequence number acknowledged
    NAK = 0x15  # both ways: SEQ = the refused frame's sequence (0: unknown), payload = reason
    TEXT = 0x20  # host -> caller / pad: one line of text on the LCD
    CLEAR = 0x21  # host -> caller / pad / LED: blank the display
    LED_SHOW = 0x30  # host -> LED: the whole content, versioned
    PAD_MODE = 0x40  # host -> pad: idle / armed / thanks, keys lit, timeout, text
    KEY = 0x50  # device -> host: a key press


UNRELIABLE = frozenset({Cmd.ACK, Cmd.NAK})  # never acknowledged, never deduplicated


def wire_cmd(cmd: Cmd, *, from_device: bool) -> int:
    """The CMD byte for a direction."""
    return int(cmd) | (FROM_DEVICE if from_device else 0)


class NakReason(IntEnum):
    """Why a receiver refused a frame."""

    BAD_FRAME = 0x01  # CRC or length wrong: resend now
    UNKNOWN_COMMAND = 0x02  # permanent: do not resend
    BAD_PAYLOAD = 0x03  # permanent: do not resend
    BUSY = 0x04  # resend after the ACK timeout


class DeviceKind(IntEnum):
    """Who says HELLO."""

    HOST = 0x00
    CALLER = 0x01
    LED = 0x02
    PAD = 0x03


DEFAULT_ADDRESS = {DeviceKind.CALLER: 0x01, DeviceKind.LED: 0x02, DeviceKind.PAD: 0x03}


class CallerKeyCode(IntEnum):
    """Keys of the staff keypad (呼叫器)."""

    CALL = 0x01  # 呼叫
    RECALL = 0x02  # 重呼
    START = 0x03  # 开始办理
    COMPLETE = 0x04  # 办结
    ACCEPT = 0x05  # 受理 (complete, outcome accepted: the case goes on)
    RETURN = 0x06  # 退回补正 (complete, outcome returned: materials missing)
    NO_SHOW = 0x07  # 过号
    PAUSE = 0x08  # 暂停
    RESUME = 0x09  # 恢复


class PadMode(IntEnum):
    """What the 5-key pad shows."""

    IDLE = 0x00
    ARMED = 0x01
    THANKS = 0x02


class LedMode(IntEnum):
    """What the window LED shows (colour and blinking are the controller's choice)."""

    OPEN = 0x00
    CALLED = 0x01
    SERVING = 0x02
    PAUSED = 0x03
    AWAY = 0x04
    CLOSED = 0x05


# Pad keys are numbered by position, left to right; the labels printed on them:
PAD_KEY_LEVEL = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}  # 非常满意 满意 基本满意 不满意 非常不满意
ALL_PAD_KEYS = 0x1F

# Display budgets in bytes (GB2312 / GB18030: two bytes per hanzi, one per ASCII char).
KEYPAD_LINES, KEYPAD_LINE_BYTES = 2, 16
PAD_LINES, PAD_LINE_BYTES = 2, 16
LED_LINES, LED_LINE_BYTES = 4, 48

TEXT_BLINK = 0x01
TEXT_CENTER = 0x02


class PayloadError(ValueError):
    """A payload that does not match its command."""


def encode_text(text: str, max_bytes: int, charset: str = "gb18030") -> bytes:
    """Text in `charset`, cut at a character boundary to `max_bytes`; unknown chars are '?'."""
    out = bytearray()
    for ch in text.replace("\n", " "):
        try:
            raw = ch.encode(charset)
        except UnicodeEncodeError:
            raw = b"?"
        if len(out) + len(raw) > max_bytes:
            break
        out += raw
    return bytes(out)


def decode_text(raw: bytes, charset: str = "gb18030") -> str:
    """Text from display bytes (undecodable bytes become U+FFFD)."""
    return raw.decode(charset, errors="replace")


@dataclass(frozen=True, slots=True)
class Hello:
    """HELLO: protocol version, who is speaking, firmware (ASCII)."""

    kind: DeviceKind
    firmware: str = ""
    version: int = PROTOCOL_VERSION

    def encode(self) -> bytes:
        """Payload bytes."""
        return bytes((self.version, self.kind)) + self.firmware.encode("ascii", "replace")[:16]

    @classmethod
    def decode(cls, payload: bytes) -> Hello:
        """From payload bytes."""
        if len(payload) < 2:
            raise PayloadError("HELLO needs version and kind")
        try:
            kind = DeviceKind(payload[1])
        except ValueError:
            raise PayloadError(f"unknown device kind {payload[1]}") from None
        return cls(kind=kind, firmware=payload[2:].decode("ascii", "replace"),
                   version=payload[0])


def text_payload(line: int, text: bytes, flags: int = 0) -> bytes:
    """TEXT: line number, flags, text bytes."""
    return bytes((line, flags)) + text


def parse_text(payload: bytes) -> tuple[int, int, bytes]:
    """(line, flags, text bytes) of a TEXT payload."""
    if len(payload) < 2:
        raise PayloadError("TEXT needs line and flags")
    return payload[0], payload[1], payload[2:]


def _lines(lines: list[bytes]) -> bytes:
    out = bytearray((len(lines),))
    for line in lines:
        out += bytes((len(line),)) + line
    return bytes(out)


def _parse_lines(data: bytes) -> list[bytes]:
    if not data:
        raise PayloadError("missing line count")
    count, pos, lines = data[0], 1, []
    for _ in range(count):
        if pos >= len(data) or pos + 1 + data[pos] > len(data):
            raise PayloadError("line runs past the payload")
        lines.append(data[pos + 1:pos + 1 + data[pos]])
        pos += 1 + data[pos]
    if pos != len(data):
        raise PayloadError("bytes after the last line")
    return lines


@dataclass(frozen=True, slots=True)
class LedShow:
    """LED_SHOW: the display's whole content at a version (u32, big-endian)."""

    version: int
    mode: LedMode
    lines: tuple[bytes, ...]

    def encode(self) -> bytes:
        """Payload bytes."""
        return struct.pack(">IB", self.version & 0xFFFFFFFF, self.mode) + _lines(
            list(self.lines))

    @classmethod
    def decode(cls, payload: bytes) -> LedShow:
        """From payload bytes."""
        if len(payload) < 6:
            raise PayloadError("LED_SHOW too short")
        version, mode = struct.unpack(">IB", payload[:5])
        try:
            led_mode = LedMode(mode)
        except ValueError:
            raise PayloadError(f"unknown LED mode {mode}") from None
        return cls(version=version, mode=led_mode, lines=tuple(_parse_lines(payload[5:])))


@dataclass(frozen=True, slots=True)
class PadShow:
    """PAD_MODE: mode, seconds until the pad goes idle by itself (0: never), lit keys, text."""

    mode: PadMode
    timeout_s: int
    key_mask: int
    lines: tuple[bytes, ...]

    def encode(self) -> bytes:
        """Payload bytes."""
        return bytes((self.mode, min(self.timeout_s, 255), self.key_mask)) + _lines(
            list(self.lines))

    @classmethod
    def decode(cls, payload: bytes) -> PadShow:
        """From payload bytes."""
        if len(payload) < 4:
            raise PayloadError("PAD_MODE too short")
        try:
            mode = PadMode(payload[0])
        except ValueError:
            raise PayloadError(f"unknown pad mode {payload[0]}") from None
        return cls(mode=mode, timeout_s=payload[1], key_mask=payload[2],
                   lines=tuple(_parse_lines(payload[3:])))


@dataclass(frozen=True, slots=True)
class KeyPress:
    """KEY: key code and flags (bit 0: long press)."""

    code: int
    flags: int = 0

    def encode(self) -> bytes:
        """Payload bytes."""
        return bytes((self.code, self.flags))

    @classmethod
    def decode(cls, payload: bytes) -> KeyPress:
        """From payload bytes."""
        if len(payload) != 2:
            raise PayloadError("KEY is key code and flags")
        return cls(code=payload[0], flags=payload[1])
