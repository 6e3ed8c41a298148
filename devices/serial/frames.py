"""Serial frames of the window devices (docs/serial-protocol.md): encode, CRC, parser.

On the wire a frame is `STX body ETX` where the body `LEN ADDR SEQ CMD PAYLOAD CRC16` is
byte-stuffed: STX, ETX and DLE inside the body are sent as `DLE (byte ^ 0x20)`. So STX
only ever starts a frame, and the parser resynchronises on the next STX after garbage or a
partial frame without backtracking. Pure code: no I/O, no threads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

STX = 0x02
ETX = 0x03
DLE = 0x10
ESCAPE_XOR = 0x20
SPECIAL = frozenset({STX, ETX, DLE})

MAX_PAYLOAD = 255
HEADER = 4  # LEN ADDR SEQ CMD
CRC_SIZE = 2
MAX_BODY = HEADER + MAX_PAYLOAD + CRC_SIZE

FROM_DEVICE = 0x80  # bit 7 of CMD: set on every frame a device sends


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: poly 0x8005 reflected (0xA001), init 0xFFFF, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: device address, sequence number, command, payload."""

    addr: int
    seq: int
    cmd: int
    payload: bytes = b""

    def __post_init__(self) -> None:
        for name in ("addr", "seq", "cmd"):
            value = getattr(self, name)
            if not 0 <= value <= 0xFF:
                raise ValueError(f"{name} {value} is not a byte")
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes (max {MAX_PAYLOAD})")

    @property
    def from_device(self) -> bool:
        """Whether a device sent it (bit 7 of the command)."""
        return bool(self.cmd & FROM_DEVICE)

    @property
    def base_cmd(self) -> int:
        """The command without the direction bit."""
        return self.cmd & ~FROM_DEVICE & 0xFF


def body_of(frame: Frame) -> bytes:
    """The unstuffed body: LEN ADDR SEQ CMD PAYLOAD CRC (CRC low byte first)."""
    head = bytes((len(frame.payload), frame.addr, frame.seq, frame.cmd)) + frame.payload
    crc = crc16_modbus(head)
    return head + bytes((crc & 0xFF, crc >> 8))


def stuff(body: bytes) -> bytes:
    """Escape STX, ETX and DLE inside a body."""
    out = bytearray()
    for byte in body:
        if byte in SPECIAL:
            out += bytes((DLE, byte ^ ESCAPE_XOR))
        else:
            out.append(byte)
    return bytes(out)


def encode(frame: Frame) -> bytes:
    """The bytes of a frame on the wire."""
    return bytes((STX,)) + stuff(body_of(frame)) + bytes((ETX,))


def decode_body(body: bytes) -> Frame | None:
    """A frame from an unstuffed body, or None when its length or CRC is wrong."""
    if len(body) < HEADER + CRC_SIZE or body[0] != len(body) - HEADER - CRC_SIZE:
        return None
    crc = body[-2] | (body[-1] << 8)
    if crc16_modbus(body[:-2]) != crc:
        return None
    return Frame(addr=body[1], seq=body[2], cmd=body[3], payload=bytes(body[HEADER:-2]))


@dataclass
class ParserStats:
    """What the parser threw away, by reason."""

    frames: int = 0
    garbage_bytes: int = 0  # bytes outside any frame
    partial: int = 0  # a frame cut off by a new STX
    bad_escape: int = 0
    too_long: int = 0
    bad_frames: int = 0  # wrong length or CRC

    @property
    def errors(self) -> int:
        """Frames lost to damage (not counting stray bytes)."""
        return self.partial + self.bad_escape + self.too_long + self.bad_frames


@dataclass
class Parser:
    """Incremental frame parser: feed any chunks, get whole, valid frames back."""

    stats: ParserStats = field(default_factory=ParserStats)
    _body: bytearray = field(default_factory=bytearray)
    _in_frame: bool = False
    _escaped: bool = False

    def reset(self) -> None:
        """Forget a partial frame (after the port was reopened)."""
        if self._in_frame:
            self.stats.partial += 1
        self._body.clear()
        self._in_frame = self._escaped = False

    def feed(self, data: bytes) -> list[Frame]:
        """Consume bytes; return the frames they completed, oldest first."""
        frames: list[Frame] = []
        for byte in data:
            if byte == STX:
                if self._in_frame:
                    self.stats.partial += 1
                self._body.clear()
                self._in_frame, self._escaped = True, False
            elif not self._in_frame:
                self.stats.garbage_bytes += 1
            elif byte == ETX:
                self._in_frame = False
                if self._escaped:
                    self.stats.bad_escape += 1
                    continue
                frame = decode_body(bytes(self._body))
                if frame is None:
                    self.stats.bad_frames += 1
                else:
                    self.stats.frames += 1
                    frames.append(frame)
            elif self._escaped:
                self._escaped = False
                value = byte ^ ESCAPE_XOR
                if value not in SPECIAL:
                    self.stats.bad_escape += 1
                    self._in_frame = False
                    continue
                self._push(value)
            elif byte == DLE:
                self._escaped = True
            else:
                self._push(byte)
        return frames

    def _push(self, value: int) -> None:
        if len(self._body) >= MAX_BODY:
            self.stats.too_long += 1
            self._in_frame = False
            return
        self._body.append(value)
