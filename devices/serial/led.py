"""Window LED display (窗口屏) driver: versioned content, resent in full after a reconnect."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from devices.serial.device import SerialDevice
from devices.serial.link import LinkConfig, Opener
from devices.serial.payloads import (
    LED_LINE_BYTES,
    LED_LINES,
    Cmd,
    DeviceKind,
    LedMode,
    LedShow,
    encode_text,
)

logger = logging.getLogger(__name__)

CHARSET = "gb18030"  # LED controllers take GB18030 (GB2312 text is byte-identical)


@dataclass(frozen=True)
class LedContent:
    """What the LED shows at a version: a mode and up to four lines."""

    version: int
    mode: LedMode
    lines: tuple[str, ...]


class LedDisplay(SerialDevice):
    """An LED controller: `show(content)` ignores content older than what it shows."""

    kind = DeviceKind.LED

    def __init__(self, config: LinkConfig, *, on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None,
                 opener: Opener | None = None) -> None:
        super().__init__(config, on_up=on_up, on_down=on_down, opener=opener)
        self.current: LedContent | None = None
        self._lock = threading.Lock()

    def show(self, content: LedContent) -> int | None:
        """Show `content` unless a newer version is shown; returns its generation or None."""
        if len(content.lines) > LED_LINES:
            raise ValueError(f"the LED has {LED_LINES} lines")
        with self._lock:
            if self.current is not None and content.version < self.current.version:
                logger.debug("led: version %d is older than %d; ignored", content.version,
                             self.current.version)
                return None
            self.current = content
            payload = LedShow(version=content.version, mode=content.mode, lines=tuple(
                encode_text(line, LED_LINE_BYTES, CHARSET) for line in content.lines)).encode()
            return self._show("content", Cmd.LED_SHOW, payload)
