"""Staff caller keypad (呼叫器) driver: keys to callbacks, two lines on its LCD (GB2312)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from devices.serial.device import SerialDevice
from devices.serial.link import LinkConfig, Opener
from devices.serial.payloads import (
    KEYPAD_LINE_BYTES,
    KEYPAD_LINES,
    CallerKeyCode,
    Cmd,
    DeviceKind,
    KeyPress,
    encode_text,
    text_payload,
)

logger = logging.getLogger(__name__)

CHARSET = "gb2312"  # keypad LCD controllers carry a GB2312 font only
LONG_PRESS = 0x01


class CallerKeypad(SerialDevice):
    """A keypad on a serial line: `on_key(code, long_press)` for every press, once."""

    kind = DeviceKind.CALLER

    def __init__(self, config: LinkConfig, *, on_key: Callable[[CallerKeyCode, bool], None],
                 on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None,
                 opener: Opener | None = None) -> None:
        super().__init__(config, on_up=on_up, on_down=on_down, opener=opener)
        self.on_key = on_key

    def key(self, press: KeyPress) -> None:
        """Map a key code to a keypad key; unknown codes are logged and dropped."""
        try:
            code = CallerKeyCode(press.code)
        except ValueError:
            logger.warning("caller keypad: unknown key code 0x%02x", press.code)
            return
        self.on_key(code, bool(press.flags & LONG_PRESS))

    def show(self, *lines: str, blink: bool = False) -> int:
        """Show up to two lines (16 bytes each, cut at a character); returns a generation."""
        if len(lines) > KEYPAD_LINES:
            raise ValueError(f"the keypad LCD has {KEYPAD_LINES} lines")
        padded = [*lines, *[""] * (KEYPAD_LINES - len(lines))]
        generation = 0
        for i, line in enumerate(padded):
            generation = self.show_line(i, line, blink=blink and i == 0)
        return generation

    def show_line(self, index: int, text: str, *, blink: bool = False) -> int:
        """Show one line (0 or 1), leaving the other as it is; returns a generation."""
        if not 0 <= index < KEYPAD_LINES:
            raise ValueError(f"the keypad LCD has {KEYPAD_LINES} lines")
        raw = encode_text(text, KEYPAD_LINE_BYTES, CHARSET)
        return self._show(f"line{index}", Cmd.TEXT, text_payload(index, raw, 0x01 if blink else 0))
