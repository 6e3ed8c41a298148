"""5-key hardware rating pad (评价器) driver: light the keys, key position to level.

Keys are numbered 1..5 by position, left to right, and labelled 非常满意 满意 基本满意
不满意 非常不满意: position p means level 6 - p (`PAD_KEY_LEVEL`). The LCD takes GB2312.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from devices.serial.device import SerialDevice
from devices.serial.link import LinkConfig, Opener
from devices.serial.payloads import (
    ALL_PAD_KEYS,
    PAD_KEY_LEVEL,
    PAD_LINE_BYTES,
    PAD_LINES,
    Cmd,
    DeviceKind,
    KeyPress,
    PadMode,
    PadShow,
    encode_text,
)

logger = logging.getLogger(__name__)

CHARSET = "gb2312"


class RatingPad(SerialDevice):
    """A rating pad: `on_level(level)` for every key press (armed or not: the app decides)."""

    kind = DeviceKind.PAD

    def __init__(self, config: LinkConfig, *, on_level: Callable[[int], None],
                 on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None,
                 opener: Opener | None = None) -> None:
        super().__init__(config, on_up=on_up, on_down=on_down, opener=opener)
        self.on_level = on_level
        self.mode = PadMode.IDLE

    def key(self, press: KeyPress) -> None:
        """Map a key position to a level; other codes are logged and dropped."""
        level = PAD_KEY_LEVEL.get(press.code)
        if level is None:
            logger.warning("rating pad: unknown key code 0x%02x", press.code)
            return
        self.on_level(level)

    def _mode(self, mode: PadMode, lines: tuple[str, ...], timeout_s: int, keys: int) -> int:
        if len(lines) > PAD_LINES:
            raise ValueError(f"the pad LCD has {PAD_LINES} lines")
        self.mode = mode
        raw = tuple(encode_text(line, PAD_LINE_BYTES, CHARSET) for line in lines)
        return self._show("mode", Cmd.PAD_MODE, PadShow(mode, timeout_s, keys, raw).encode())

    def arm(self, *lines: str, timeout_s: int) -> int:
        """Light the five keys and show the prompt; the pad goes idle by itself after
        `timeout_s` (so it never waits forever if the host dies)."""
        return self._mode(PadMode.ARMED, lines, max(1, min(timeout_s, 255)), ALL_PAD_KEYS)

    def thanks(self, *lines: str, timeout_s: int = 5) -> int:
        """Keys dark, show thanks for `timeout_s` seconds, then idle."""
        return self._mode(PadMode.THANKS, lines, timeout_s, 0)

    def idle(self, *lines: str) -> int:
        """Keys dark, idle text."""
        return self._mode(PadMode.IDLE, lines, 0, 0)
