"""Keypad, LED and pad drivers against their fakes on a pty."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from serial_support import wait_until

from devices.serial.caller import CallerKeypad
from devices.serial.device import link_config
from devices.serial.fake import FakeCaller, FakeLed, FakePad, PtyEnd
from devices.serial.led import LedContent, LedDisplay
from devices.serial.pad import RatingPad
from devices.serial.payloads import (
    ALL_PAD_KEYS,
    CallerKeyCode,
    Cmd,
    DeviceKind,
    KeyPress,
    LedMode,
    PadMode,
)

FAST = {"ack_timeout_s": 0.1, "retries": 2, "heartbeat_s": 0.2, "reopen_s": 0.05}


@pytest.fixture
def fake_led(tmp_path: Path) -> Iterator[FakeLed]:
    with FakeLed(PtyEnd(tmp_path / "ttyLED"), ack_timeout_s=0.1) as f:
        yield f


def test_led_shows_newest_version_only(fake_led: FakeLed) -> None:
    with LedDisplay(link_config(DeviceKind.LED, fake_led.url, timing=FAST)) as led:
        g = led.show(LedContent(3, LedMode.CALLED, ("A012 请到1号窗口", "A012 to window 1")))
        assert g is not None and led.wait_shown(g)
        assert fake_led.text() == ["A012 请到1号窗口", "A012 to window 1"]
        assert fake_led.shown is not None and fake_led.shown.version == 3
        assert led.show(LedContent(2, LedMode.OPEN, ("old",))) is None
        g = led.show(LedContent(4, LedMode.PAUSED, ("暂停服务", "午休")))
        assert g is not None and led.wait_shown(g)
        assert fake_led.text() == ["暂停服务", "午休"]


def test_led_gets_the_full_state_again_after_a_drop_mid_frame(fake_led: FakeLed) -> None:
    with LedDisplay(link_config(DeviceKind.LED, fake_led.url, timing=FAST)) as led:
        g = led.show(LedContent(7, LedMode.SERVING, ("A013 正在办理", "张三 10001")))
        assert g is not None and led.wait_shown(g)
        shows = fake_led.shows
        # The cable is cut while a frame is on the wire: half of it arrives, then nothing.
        fake_led.send_partial(fake_led.frame(Cmd.KEY, KeyPress(1).encode()), 5)
        fake_led.mute()
        fake_led.forget()  # and the controller lost power: its screen is blank
        wait_until(lambda: not led.up, 3, "link down")
        led.show(LedContent(8, LedMode.CALLED, ("A014 请到1号窗口",)))  # while down
        fake_led.unmute()
        assert fake_led.wait_for(lambda: fake_led.shown is not None
                                 and fake_led.shown.version == 8, timeout=5)
        assert fake_led.text() == ["A014 请到1号窗口"]
        assert fake_led.shows == shows + 1  # the newest content, not every version missed
        # Reconnect without a change: the full content is sent again all the same.
        fake_led.mute()
        fake_led.forget()
        wait_until(lambda: not led.up, 3, "link down")
        fake_led.unmute()
        assert fake_led.wait_for(lambda: fake_led.text() == ["A014 请到1号窗口"], timeout=5)


def test_content_sent_as_the_link_comes_up_is_not_sent_twice(fake_led: FakeLed) -> None:
    # The link wakes the sender as soon as it is up and tells the driver on its events
    # thread; held here, so the sender surely sends before the driver hears of it.
    with LedDisplay(link_config(DeviceKind.LED, fake_led.url, timing=FAST)) as led:
        g = led.show(LedContent(1, LedMode.OPEN, ("1号窗口",)))
        assert g is not None and led.wait_shown(g)
        fake_led.mute()
        wait_until(lambda: not led.up, 3, "link down")
        shows = fake_led.shows
        release, held = threading.Event(), threading.Event()

        def hold() -> None:
            held.set()
            release.wait(5)

        led.in_order(hold)
        assert held.wait(3)
        g = led.show(LedContent(2, LedMode.CALLED, ("A001 请到1号窗口",)))
        assert g is not None
        fake_led.unmute()
        assert fake_led.wait_for(lambda: fake_led.shown is not None
                                 and fake_led.shown.version == 2, timeout=5)
        assert led.wait_shown(g)
        release.set()
        done = threading.Event()
        led.in_order(done.set)  # the driver has heard the link is up
        assert done.wait(3) and led.wait_shown(g)
        assert fake_led.shows == shows + 1


def test_keypad_keys_and_lcd(tmp_path: Path) -> None:
    keys: queue.Queue[tuple[CallerKeyCode, bool]] = queue.Queue()
    with FakeCaller(PtyEnd(tmp_path / "ttyK"), ack_timeout_s=0.1) as fake, \
            CallerKeypad(link_config(DeviceKind.CALLER, fake.url, timing=FAST),
                         on_key=lambda k, long: keys.put((k, long))) as pad:
        g = pad.show("A012 已呼叫", "A012 called")
        assert pad.wait_shown(g)
        assert fake.screen() == "A012 已呼叫 | A012 called"
        assert fake.key(CallerKeyCode.ACCEPT)
        assert fake.press(0x7E)  # no such key: dropped
        assert fake.press(CallerKeyCode.CALL, flags=1)
        assert keys.get(timeout=3) == (CallerKeyCode.ACCEPT, False)
        assert keys.get(timeout=3) == (CallerKeyCode.CALL, True)
        g = pad.show("窗口无人签到一二三四五")  # 22 bytes: cut to 16 at a character
        assert pad.wait_shown(g)
        assert fake.screen() == "窗口无人签到一二 | "


def test_pad_arm_key_levels_thanks(tmp_path: Path) -> None:
    levels: queue.Queue[int] = queue.Queue()
    with FakePad(PtyEnd(tmp_path / "ttyP"), ack_timeout_s=0.1) as fake, \
            RatingPad(link_config(DeviceKind.PAD, fake.url, timing=FAST),
                      on_level=levels.put) as pad:
        assert pad.wait_shown(pad.arm("请评价", "Please rate", timeout_s=30))
        assert fake.mode is not None
        assert (fake.pad_mode, fake.mode.key_mask, fake.mode.timeout_s) == (
            PadMode.ARMED, ALL_PAD_KEYS, 30)
        assert fake.text() == ["请评价", "Please rate"]
        for position in (1, 5, 3):
            assert fake.press(position)
        assert fake.press(9)  # not a pad key
        assert [levels.get(timeout=3) for _ in range(3)] == [5, 1, 3]
        assert levels.empty()
        assert pad.wait_shown(pad.thanks("谢谢您的评价", "Thank you"))
        assert fake.pad_mode is PadMode.THANKS and fake.mode.key_mask == 0
