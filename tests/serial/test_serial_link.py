"""The host link against fake devices on a pty, a TCP socket and `loop://`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.serial.fake import FakeCaller, PtyEnd, SocketEnd
from devices.serial.frames import Frame
from devices.serial.link import Link, LinkConfig, LinkDown
from devices.serial.payloads import (
    CallerKeyCode,
    Cmd,
    DeviceKind,
    KeyPress,
    encode_text,
    text_payload,
)


class Recorder:
    """Key frames and up/down transitions the link reported."""

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.events: list[str] = []
        self._cond = threading.Condition()

    def on_frame(self, frame: Frame) -> None:
        with self._cond:
            self.keys.append(KeyPress.decode(frame.payload).code)
            self._cond.notify_all()

    def on_up(self) -> None:
        with self._cond:
            self.events.append("up")
            self._cond.notify_all()

    def on_down(self) -> None:
        with self._cond:
            self.events.append("down")
            self._cond.notify_all()

    def wait(self, predicate: object, timeout: float = 30.0) -> None:
        """Wait until `predicate` holds (a deadline for a failure, not a timing: a reopen
        backs off up to 5 s, longer on a loaded machine)."""
        with self._cond:
            assert self._cond.wait_for(predicate, timeout), (self.keys, self.events)  # type: ignore[arg-type]


def config(url: str, **kw: float) -> LinkConfig:
    return LinkConfig(url=url, kind=DeviceKind.CALLER, address=0x01, ack_timeout_s=0.1,
                      retries=2, heartbeat_s=0.2, reopen_s=0.05, **kw)  # type: ignore[arg-type]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeCaller]:
    with FakeCaller(PtyEnd(tmp_path / "ttyCALLER"), ack_timeout_s=0.1) as f:
        yield f


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def link(fake: FakeCaller, rec: Recorder) -> Iterator[Link]:
    with Link(config(fake.url), on_frame=rec.on_frame, on_up=rec.on_up,
              on_down=rec.on_down) as lk:
        assert lk.wait_up(3), lk.stats
        yield lk


def test_loop_url_hears_only_its_own_echo_and_never_comes_up(rec: Recorder) -> None:
    # A 2-wire RS-485 adapter echoes what the host sends, as loop:// does: the host must not
    # take its own HELLO or PING for an answer.
    with Link(config("loop://"), on_frame=rec.on_frame) as lk:
        assert lk.wait_open(2)
        began = time.monotonic()
        with pytest.raises(LinkDown):
            lk.send(Cmd.PING, timeout=1.0)
        assert time.monotonic() - began < 1.2  # the deadline holds
        assert not lk.up
        assert lk.stats.echoes >= 1
        assert lk.stats.received == 0


def test_text_reaches_the_keypad_and_a_key_comes_back(link: Link, fake: FakeCaller,
                                                      rec: Recorder) -> None:
    link.send(Cmd.TEXT, text_payload(0, encode_text("A012 已呼叫", 16, "gb2312")))
    assert fake.screen() == "A012 已呼叫"  # the ACK came after the fake applied it
    assert fake.key(CallerKeyCode.CALL)
    rec.wait(lambda: rec.keys == [CallerKeyCode.CALL])


def test_retransmitted_key_counts_once(link: Link, fake: FakeCaller, rec: Recorder) -> None:
    fake.lose_acks = 2  # the device misses two ACKs: it sends the same SEQ three times
    assert fake.key(CallerKeyCode.CALL)
    assert fake.retransmits == 2
    assert fake.key(CallerKeyCode.RECALL)
    rec.wait(lambda: len(rec.keys) == 2)
    assert rec.keys == [CallerKeyCode.CALL, CallerKeyCode.RECALL]
    assert link.stats.duplicates == 2


def test_half_a_frame_never_becomes_a_key(link: Link, fake: FakeCaller, rec: Recorder) -> None:
    cut = fake.frame(Cmd.KEY, KeyPress(CallerKeyCode.NO_SHOW).encode())
    fake.send_partial(cut, 6)  # the cable is cut mid-frame, after the command byte
    fake.write_raw(b"\xff\x00noise")
    assert fake.key(CallerKeyCode.CALL)
    rec.wait(lambda: len(rec.keys) == 1)
    assert rec.keys == [CallerKeyCode.CALL]
    assert link.parser.stats.partial == 1


def test_corrupted_key_is_refused_then_resent(link: Link, fake: FakeCaller,
                                             rec: Recorder) -> None:
    fake.corrupt_next = True
    assert fake.key(CallerKeyCode.PAUSE)
    rec.wait(lambda: len(rec.keys) == 1)
    assert rec.keys == [CallerKeyCode.PAUSE]
    assert link.stats.naks_sent >= 1
    assert fake.retransmits >= 1


def test_device_restart_resets_deduplication(link: Link, fake: FakeCaller,
                                             rec: Recorder) -> None:
    assert fake.key(CallerKeyCode.CALL) and fake.key(CallerKeyCode.START)  # SEQ 1, 2
    rec.wait(lambda: len(rec.keys) == 2)
    ups = rec.events.count("up")
    assert fake.hello()  # restarted: HELLO is SEQ 1, the next key SEQ 2 again
    assert fake.key(CallerKeyCode.COMPLETE)
    rec.wait(lambda: len(rec.keys) == 3)
    assert rec.keys[-1] == CallerKeyCode.COMPLETE
    rec.wait(lambda: rec.events.count("up") == ups + 1)  # "send your full state again"


def test_silent_device_goes_down_and_comes_back(link: Link, fake: FakeCaller,
                                               rec: Recorder) -> None:
    fake.mute()
    began = time.monotonic()
    rec.wait(lambda: "down" in rec.events)
    # heartbeat 0.2 s + 3 tries of 0.1 s, with slack for a loaded machine
    assert time.monotonic() - began < 2.0
    with pytest.raises(LinkDown):
        link.send(Cmd.CLEAR, timeout=0.5)
    fake.unmute()
    rec.wait(lambda: rec.events[-1:] == ["up"])
    link.send(Cmd.CLEAR)
    assert fake.count(Cmd.CLEAR) == 1


def test_port_that_vanishes_is_reopened(link: Link, fake: FakeCaller, rec: Recorder) -> None:
    fake.vanish()
    rec.wait(lambda: "down" in rec.events)
    fake.reappear()  # a new pty behind the same path
    rec.wait(lambda: rec.events[-1:] == ["up"])
    assert link.stats.opens == 2
    assert fake.key(CallerKeyCode.RESUME)
    rec.wait(lambda: rec.keys == [CallerKeyCode.RESUME])


def test_socket_url_reconnects_after_a_hang_up(rec: Recorder) -> None:
    end = SocketEnd()
    with FakeCaller(end, ack_timeout_s=0.1) as fake, \
            Link(config(fake.url), on_frame=rec.on_frame, on_up=rec.on_up,
                 on_down=rec.on_down) as lk:
        assert lk.wait_up(3)
        end.hang_up()
        rec.wait(lambda: "down" in rec.events)
        rec.wait(lambda: rec.events[-1:] == ["up"])
        assert fake.key(CallerKeyCode.CALL)
        rec.wait(lambda: rec.keys == [CallerKeyCode.CALL])
        assert lk.stats.opens == 2


class _BrokenPort:
    """A port whose writes fail, as when the cable is pulled mid-write."""

    in_waiting = 0

    def read(self, _n: int) -> bytes:
        time.sleep(0.01)
        return b""

    def write(self, _raw: bytes) -> int:
        raise OSError("device vanished")

    def close(self) -> None:
        pass


def test_a_failed_write_drops_the_port_without_deadlock() -> None:
    """Regression: the writer held its lock while dropping the port, which takes the same
    lock: the writer, the reader and close() all hung (seen in CI under load)."""
    opened = threading.Event()

    def opener(*_a: object, **_kw: object) -> _BrokenPort:
        opened.set()
        return _BrokenPort()

    link = Link(LinkConfig(url="broken://", kind=DeviceKind.CALLER, address=0x01,
                           ack_timeout_s=0.05, retries=1, heartbeat_s=10.0, reopen_s=0.05),
                on_frame=lambda _f: None, opener=opener)
    link.open()
    try:
        assert opened.wait(2)
        with pytest.raises(LinkDown):
            link.send(Cmd.PING, timeout=1.0)
    finally:
        closer = threading.Thread(target=link.close, daemon=True)
        closer.start()
        closer.join(5)
    assert not closer.is_alive(), "close() hung"
    assert link.stats.last_error is not None
