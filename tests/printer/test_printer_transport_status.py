"""Deadlines, transports and the status bytes, each on its own."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from printer_support import TIMEOUT, wait_until

from devices.config.links import FileTransport, NetworkTransport, SerialTransport
from devices.printer.fake import FakeNetworkPrinter, FakeState
from devices.printer.status import QUERY, FixedSensors, QuerySensors, Sensors, interpret
from devices.printer.transport import (
    Deadlines,
    PrinterBusy,
    PrinterTimeout,
    PrinterUnavailable,
    open_link,
    read_exact,
    with_deadline,
    write_budget,
)
from devices.protocol.messages import PaperState, PrintError

# ---- deadlines -----------------------------------------------------------------------------


def test_with_deadline_returns_the_value_and_passes_errors_on() -> None:
    assert with_deadline(lambda: 42, 1.0) == 42
    with pytest.raises(ZeroDivisionError):
        with_deadline(lambda: 1 / 0, 1.0)


def test_a_stuck_call_does_not_hold_the_caller() -> None:
    release = threading.Event()
    finished = threading.Event()

    def stuck() -> None:
        release.wait(TIMEOUT)
        finished.set()

    with pytest.raises(PrinterTimeout):
        with_deadline(stuck, 0.05, what="stuck")
    assert not finished.is_set()  # the caller is back while the call is still stuck
    release.set()
    assert finished.wait(TIMEOUT)


def test_a_link_with_a_stuck_call_refuses_the_next_one_until_it_ends() -> None:
    deadlines = Deadlines()
    release = threading.Event()
    late: list[str] = []
    with pytest.raises(PrinterTimeout):
        deadlines.run(lambda: release.wait(TIMEOUT) and "conn", 0.05, what="open",
                      late=late.append)
    calls: list[int] = []
    with pytest.raises(PrinterBusy):
        deadlines.run(lambda: calls.append(1), 1.0, what="write")
    assert calls == [] and deadlines.stuck
    release.set()
    wait_until(lambda: not deadlines.stuck, "the stuck call to end")
    assert late == ["conn"]  # the late result went to the clean-up, not to a caller
    assert deadlines.run(lambda: calls.append(2) or "ok", 1.0, what="write") == "ok"
    assert calls == [2]


# ---- transports ----------------------------------------------------------------------------


def test_the_file_transport_appends_and_has_no_sensors(tmp_path: Path) -> None:
    path = tmp_path / "var" / "printer.bin"
    for chunk in (b"first\n", b"second\n"):
        link = open_link(FileTransport(kind="file", path=str(path)))
        assert not link.has_sensors
        link.write(chunk)
        link.close()
    assert path.read_bytes() == b"first\nsecond\n"  # python-escpos' File would truncate


def test_a_loop_url_opens_through_serial_for_url() -> None:
    link = open_link(SerialTransport(kind="serial", url="loop://"), timeout=0.5)
    try:
        link.write(b"\x10\x04\x01")
        assert read_exact(link, 3, 1.0) == b"\x10\x04\x01"  # a loop echoes, a printer answers
    finally:
        link.close()


def test_a_refused_network_printer_is_unavailable() -> None:
    with FakeNetworkPrinter() as fake:
        port = fake.port
    with pytest.raises(PrinterUnavailable):
        open_link(NetworkTransport(kind="network", host="127.0.0.1", port=port), timeout=1.0)


def test_a_serial_write_gets_its_wire_time() -> None:
    slow = SerialTransport(kind="serial", url="loop://", baudrate=9600)
    net = NetworkTransport(kind="network", host="127.0.0.1")
    assert write_budget(slow, 96_000, 5.0) == pytest.approx(105.0)
    assert write_budget(net, 96_000, 5.0) == 5.0


# ---- status bytes --------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "expected"), [
    (b"\x12\x12\x12", Sensors(True, PaperState.OK)),
    (b"\x12\x12\x1e", Sensors(True, PaperState.NEAR_END)),
    (b"\x1a\x32\x72", Sensors(True, PaperState.OUT)),
    (b"\x1a\x16\x12", Sensors(True, PaperState.OK, cover_open=True)),
    (b"\x1a\x12\x12", Sensors(True, PaperState.OK, fault=True)),  # offline, no reason given
    (b"\x12\x52\x12", Sensors(True, PaperState.OK, fault=True)),  # error bit
])
def test_status_answers_are_interpreted(answer: bytes, expected: Sensors) -> None:
    assert interpret(answer) == expected


@pytest.mark.parametrize("answer", [b"", b"\x12\x12", QUERY[:3], b"\x00\x00\x00", b"\xff\x12\x12"])
def test_what_is_not_an_answer_is_no_answer(answer: bytes) -> None:
    assert interpret(answer) is None


def test_what_blocks_a_job() -> None:
    assert Sensors(True).blocking() is None
    assert Sensors(True, PaperState.NEAR_END).blocking() is None
    assert Sensors(False, PaperState.OUT).blocking() is PrintError.OFFLINE
    assert Sensors(True, PaperState.OUT).blocking() is PrintError.PAPER_OUT
    assert Sensors(True, cover_open=True).blocking() is PrintError.COVER_OPEN
    assert Sensors(True, fault=True).blocking() is PrintError.OFFLINE
    message = Sensors(False, PaperState.NEAR_END).message()
    assert (message.online, message.paper) == (False, PaperState.NEAR_END)


@pytest.mark.parametrize(("state", "expected"), [
    (FakeState(), Sensors(True)),
    (FakeState(paper=PaperState.NEAR_END), Sensors(True, PaperState.NEAR_END)),
    (FakeState(paper=PaperState.OUT), Sensors(True, PaperState.OUT)),
    (FakeState(cover_open=True), Sensors(True, cover_open=True)),
    (FakeState(offline=True), Sensors(False)),
])
def test_sensors_of_a_network_printer(state: FakeState, expected: Sensors) -> None:
    with FakeNetworkPrinter(state) as fake:
        link = open_link(NetworkTransport(kind="network", host=fake.host, port=fake.port),
                         timeout=1.0)
        try:
            assert QuerySensors().read(link, Deadlines(), 0.3) == expected
        finally:
            link.close()
        assert fake.queries == [QUERY[0:3], QUERY[3:6], QUERY[6:9]]
        assert fake.printed == b""


def test_an_echoing_line_is_no_printer() -> None:
    link = open_link(SerialTransport(kind="serial", url="loop://"), timeout=0.5)
    try:
        assert QuerySensors().read(link, Deadlines(), 0.3) == Sensors(False)
    finally:
        link.close()


def test_fixed_sensors_return_what_was_set(tmp_path: Path) -> None:
    source = FixedSensors()
    link = open_link(FileTransport(kind="file", path=str(tmp_path / "p.bin")))
    assert source.read(link, Deadlines(), 1.0) == Sensors(True)
    source.set(Sensors(True, PaperState.OUT))
    assert source.read(link, Deadlines(), 1.0).blocking() is PrintError.PAPER_OUT
    link.close()
