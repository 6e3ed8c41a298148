"""Bridges between a serial window device and the bus: caller keypad, LED, rating pad.

Each bridge is given a started `DeviceClient` and an open driver. Key presses arrive on
the link's event thread, commands and state on the client's dispatcher thread; neither
touches the other's thread, and the drivers never block on the serial line (their mirror
sends in the background).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from devices.agent import render
from devices.protocol import messages as m
from devices.protocol.topics import Kind, Topic
from devices.runtime.client import DeviceClient, RequestTimeout
from devices.serial.caller import CallerKeypad
from devices.serial.led import LedDisplay
from devices.serial.pad import RatingPad
from devices.serial.payloads import CallerKeyCode

logger = logging.getLogger(__name__)

KEY_TIMEOUT_S = 4.0
KEY_ATTEMPTS = 2  # the same message again (same msg_id): the server answers it once
THANKS_S = 5
SENDING_S = 10


class CallerBridge:
    """Keypad keys -> `evt/key` requests; the result and the window's state on the LCD."""

    def __init__(self, client: DeviceClient, keypad: CallerKeypad) -> None:
        self.client = client
        self.keypad = keypad
        self.results: list[m.KeyResult | None] = []

    def on_key(self, code: CallerKeyCode, long_press: bool) -> None:
        """A key press (link event thread): ask the server, show what it did."""
        message = render.caller_key(code, m.new_id())
        self.keypad.show_line(1, "处理中 working")
        result: m.KeyResult | None = None
        for attempt in range(KEY_ATTEMPTS):
            try:
                reply = self.client.request("key", message, timeout=KEY_TIMEOUT_S)
            except RequestTimeout:
                logger.warning("caller key %s: no reply (attempt %d)", code.name, attempt + 1)
                continue
            if isinstance(reply, m.KeyResult):
                result = reply
                break
        self.results.append(result)
        self.keypad.show_line(1, render.key_result_line(code, result))
        if result is not None and result.ok and result.number is not None:
            self.keypad.show_line(0, f"{result.number} "
                                  f"{render.CALLER_KEYS[code][2]}")

    def on_command(self, topic: Topic, message: m.Message) -> None:
        """The window's state (dispatcher thread): its first LCD line."""
        if topic.kind is Kind.STATE and isinstance(message, m.WindowDisplayState):
            self.keypad.show_line(0, render.caller_status_line(message))

    def resync(self) -> None:
        """Show the newest state again (at start)."""
        state = self.client.state()
        if isinstance(state, m.WindowDisplayState):
            self.keypad.show_line(0, render.caller_status_line(state))


class LedBridge:
    """The window's retained, versioned state -> the LED."""

    def __init__(self, client: DeviceClient, led: LedDisplay) -> None:
        self.client = client
        self.led = led

    def on_command(self, topic: Topic, message: m.Message) -> None:
        """A new state (older versions were dropped by the client and again by the LED)."""
        if topic.kind is Kind.STATE and isinstance(message, m.WindowDisplayState):
            self.led.show(render.led_content(message))

    def resync(self) -> None:
        """Show the newest state the client holds (at start)."""
        state = self.client.state()
        if isinstance(state, m.WindowDisplayState):
            self.led.show(render.led_content(state))


@dataclass(frozen=True)
class _Armed:
    token: str
    expires_at: datetime


class PadBridge:
    """`cmd/arm` -> lit keys; one key -> one `evt/rating` (outbox); `cmd/rating-ack` -> thanks.

    The token is forgotten the moment a key uses it (one rating per arm) and at expiry; a
    key with no token does nothing. A newer arm replaces an older one.
    """

    def __init__(self, client: DeviceClient, pad: RatingPad, *, idle_timeout_s: int) -> None:
        self.client = client
        self.pad = pad
        self.idle_timeout_s = idle_timeout_s
        self.sent: list[m.Rating] = []
        self._armed: _Armed | None = None
        self._last_sent: str | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def start(self) -> None:
        """Show the idle screen."""
        self.pad.idle(*render.PAD_IDLE)

    def stop(self) -> None:
        """Cancel the expiry timer."""
        with self._lock:
            self._cancel_timer()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def on_command(self, topic: Topic, message: m.Message) -> None:
        """Arms (after the key presses already received: a key pressed before a prompt
        reached the agent never rates it, however late its handling) and acks."""
        if isinstance(message, m.PadArm):
            self.pad.in_order(lambda: self._arm(message))
        elif isinstance(message, m.RatingAck):
            self._ack(message)

    def _arm(self, arm: m.PadArm) -> None:
        left = (arm.expires_at - m.utc_now()).total_seconds()
        if left <= 0:
            logger.info("pad: an arm that already expired was ignored")
            return
        seconds = min(left, float(self.idle_timeout_s))
        with self._lock:
            self._cancel_timer()
            self._armed = _Armed(arm.token, arm.expires_at)
            self._timer = threading.Timer(seconds, self._expire, args=(arm.token,))
            self._timer.daemon = True
            self._timer.start()
        self.pad.arm(*render.pad_prompt(arm), timeout_s=max(1, int(seconds)))

    def _expire(self, token: str) -> None:
        with self._lock:
            if self._armed is None or self._armed.token != token:
                return
            self._armed = None
            self._timer = None
        logger.info("pad: the rating prompt timed out")
        self.pad.idle(*render.PAD_IDLE)

    def on_level(self, level: int) -> None:
        """A key press (link event thread): rate once if armed, else nothing."""
        with self._lock:
            armed, self._armed = self._armed, None
            if armed is None or armed.expires_at <= m.utc_now():
                logger.debug("pad: key with no rating asked for; ignored")
                return
            self._cancel_timer()
            self._last_sent = armed.token
        rating = m.Rating(token=armed.token, level=level)
        self.sent.append(rating)
        self.client.emit("rating", rating)  # stored first: delivered when the broker is back
        self.pad.thanks(*render.PAD_SENDING, timeout_s=SENDING_S)
        self._idle_later(SENDING_S)

    def _idle_later(self, seconds: float) -> None:
        """Back to idle after `seconds` unless armed again (the pad does so by itself too;
        this keeps the host's copy right for a resend after a reconnect)."""
        with self._lock:
            self._cancel_timer()
            self._timer = threading.Timer(seconds, self._idle_if_unarmed)
            self._timer.daemon = True
            self._timer.start()

    def _idle_if_unarmed(self) -> None:
        with self._lock:
            if self._armed is not None:
                return
            self._timer = None
        self.pad.idle(*render.PAD_IDLE)

    def _ack(self, ack: m.RatingAck) -> None:
        with self._lock:
            if ack.token != self._last_sent or self._armed is not None:
                return  # an old ack, or a new prompt already on screen
        if ack.accepted:
            self.pad.thanks(*render.PAD_THANKS, timeout_s=THANKS_S)
        else:
            logger.info("pad: rating refused (%s)", ack.code)
            self.pad.thanks(*render.PAD_REFUSED, timeout_s=THANKS_S)
        self._idle_later(THANKS_S)
