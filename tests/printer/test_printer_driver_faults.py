"""The driver against fake printers on real transports: TCP, a serial pty, `loop://`.

What a printer fault must do: nothing goes on paper when it would be lost (paper out,
cover open, no answer), the result says why, the status is reported, the caller of
`submit` is never held, and a job prints at most once, across redeliveries and crashes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from printer_support import (
    RECEIPT,
    REPRINT_AT,
    TICKET,
    TZ,
    Results,
    file_bytes,
    job,
    printer_config,
    ticket,
)

from devices.printer.decode import Command, parse, qr_urls, text_of
from devices.printer.driver import PrinterDriver
from devices.printer.fake import FakeNetworkPrinter, FakeSerialPrinter, FakeState
from devices.printer.journal import INTERRUPTED, JobJournal
from devices.printer.render import PrintProfile
from devices.printer.status import FixedSensors, Sensors
from devices.protocol import messages as m

Make = Callable[..., PrinterDriver]


def _cuts(data: bytes) -> int:
    return sum(1 for s in parse(data) if isinstance(s, Command) and s.name == "cut")


@pytest.fixture
def fake() -> Iterator[FakeNetworkPrinter]:
    with FakeNetworkPrinter() as printer:
        yield printer


@pytest.fixture
def statuses() -> list[m.PrinterStatus]:
    return []


@pytest.fixture
def make(tmp_path: Path, statuses: list[m.PrinterStatus]) -> Iterator[Make]:
    """Builds drivers (journal in tmp_path unless given); closes them at teardown."""
    built: list[PrinterDriver] = []

    def make_driver(transport: dict[str, Any], *, timeout_s: float = 2.0,
                    journal: JobJournal | None = None, **kwargs: Any) -> PrinterDriver:
        driver = PrinterDriver(printer_config(transport, timeout_s=timeout_s),
                               journal or JobJournal(tmp_path / "jobs.db"), TZ,
                               on_status=statuses.append, clock=lambda: REPRINT_AT, **kwargs)
        built.append(driver)
        return driver

    yield make_driver
    for driver in built:
        driver.close()


def _net(fake: FakeNetworkPrinter) -> dict[str, Any]:
    return {"kind": "network", "host": fake.host, "port": fake.port}


# ---- the network printer -------------------------------------------------------------------


def test_a_job_prints_and_reads_back(fake: FakeNetworkPrinter, make: Make,
                                     statuses: list[m.PrinterStatus]) -> None:
    driver = make(_net(fake))
    result = driver.print_job(job(TICKET, job_id="job-ok-0001"))
    assert result.ok and result.error is None and result.job_id == "job-ok-0001"
    printed = bytes(fake.printed)
    assert "A012" in text_of(printed) and qr_urls(printed) == [TICKET.qr_url]
    assert _cuts(printed) == 1
    assert len(fake.queries) == 6  # three before, three after
    assert [(s.paper, s.online) for s in statuses] == [(m.PaperState.OK, True)]


def test_out_of_paper_sends_nothing_and_reports_it(fake: FakeNetworkPrinter, make: Make,
                                                   statuses: list[m.PrinterStatus]) -> None:
    fake.set_state(paper=m.PaperState.OUT)
    driver = make(_net(fake))
    result = driver.print_job(job())
    assert not result.ok and result.error is m.PrintError.PAPER_OUT
    assert fake.printed == b""
    assert len(fake.queries) == 3
    assert statuses[-1].paper is m.PaperState.OUT and statuses[-1].online


def test_a_job_refused_for_paper_prints_once_when_delivered_again_after_a_refill(
        fake: FakeNetworkPrinter, make: Make) -> None:
    fake.set_state(paper=m.PaperState.OUT)
    driver = make(_net(fake))
    same = job()
    assert driver.print_job(same).error is m.PrintError.PAPER_OUT
    fake.set_state(paper=m.PaperState.OK)
    assert driver.print_job(same).ok
    assert driver.print_job(same).ok  # a third delivery is a replay
    assert _cuts(bytes(fake.printed)) == 1


def test_near_end_still_prints_and_reports_near_end(fake: FakeNetworkPrinter, make: Make,
                                                    statuses: list[m.PrinterStatus]) -> None:
    fake.set_state(paper=m.PaperState.NEAR_END)
    result = make(_net(fake)).print_job(job())
    assert result.ok
    assert _cuts(bytes(fake.printed)) == 1
    assert [s.paper for s in statuses] == [m.PaperState.NEAR_END]


def test_paper_running_out_during_a_job_counts_as_printed_and_is_reported(
        fake: FakeNetworkPrinter, make: Make, statuses: list[m.PrinterStatus]) -> None:
    fake.set_state(cuts_left=1)
    driver = make(_net(fake))
    assert driver.print_job(job()).ok
    assert [s.paper for s in statuses] == [m.PaperState.OK, m.PaperState.OUT]
    assert driver.print_job(job()).error is m.PrintError.PAPER_OUT
    assert _cuts(bytes(fake.printed)) == 1


def test_an_open_cover_sends_nothing(fake: FakeNetworkPrinter, make: Make,
                                     statuses: list[m.PrinterStatus]) -> None:
    fake.set_state(cover_open=True)
    result = make(_net(fake)).print_job(job())
    assert result.error is m.PrintError.COVER_OPEN
    assert fake.printed == b""
    assert statuses[-1].cover_open


def test_a_printer_that_never_answers_is_offline(fake: FakeNetworkPrinter, make: Make,
                                                 statuses: list[m.PrinterStatus]) -> None:
    fake.set_state(offline=True)
    driver = make(_net(fake), timeout_s=0.3)
    result = driver.print_job(job())
    assert result.error is m.PrintError.OFFLINE
    assert fake.printed == b""
    assert statuses[-1].online is False
    fake.set_state(offline=False)  # it comes back: the next job reconnects and prints
    assert driver.print_job(job()).ok
    assert statuses[-1].online is True
    assert fake.connections == 2


def test_a_late_answer_within_the_timeout_prints_and_a_later_one_is_offline(
        fake: FakeNetworkPrinter, make: Make) -> None:
    fake.set_state(delay_s=0.05)
    assert make(_net(fake), timeout_s=2.0).print_job(job()).ok
    fake.set_state(delay_s=1.0)
    assert make(_net(fake), timeout_s=0.2).print_job(job()).error is m.PrintError.OFFLINE
    assert _cuts(bytes(fake.printed)) == 1


def test_a_connection_the_printer_closed_while_idle_is_reopened(
        fake: FakeNetworkPrinter, make: Make, statuses: list[m.PrinterStatus]) -> None:
    driver = make(_net(fake))
    assert driver.print_job(job()).ok
    fake.drop_connections()
    assert driver.print_job(job()).ok
    assert _cuts(bytes(fake.printed)) == 2
    assert fake.connections == 2
    assert all(s.online for s in statuses)


def test_no_printer_listening_is_offline(make: Make, statuses: list[m.PrinterStatus]) -> None:
    with FakeNetworkPrinter() as gone:
        transport = _net(gone)
    result = make(transport, timeout_s=0.5).print_job(job())
    assert result.error is m.PrintError.OFFLINE
    assert statuses[-1].online is False


def test_submit_returns_while_the_printer_is_stuck(fake: FakeNetworkPrinter,
                                                   make: Make) -> None:
    fake.hold_answers()
    driver = make(_net(fake), timeout_s=30.0)
    driver.start()
    results = Results()
    driver.submit(job(), results)
    # The worker is now inside the status query, which cannot finish while answers are
    # held (30 s timeout): submit() came back regardless.
    assert fake.wait_queries(3)
    assert results.items == []
    fake.release_answers()
    assert results.wait()[0].ok


def test_submit_reports_offline_through_the_callback(fake: FakeNetworkPrinter,
                                                     make: Make) -> None:
    fake.set_state(offline=True)
    driver = make(_net(fake), timeout_s=0.3)
    driver.start()
    results = Results()
    driver.submit(job(job_id="job-off-0001"), results)
    (result,) = results.wait()
    assert result.job_id == "job-off-0001" and result.error is m.PrintError.OFFLINE


def test_the_same_job_delivered_twice_prints_once(fake: FakeNetworkPrinter,
                                                  make: Make) -> None:
    driver = make(_net(fake))
    driver.start()
    results = Results()
    same = job(RECEIPT)
    driver.submit(same, results)
    driver.submit(same, results)
    first, second = results.wait(2)
    assert first.ok and second.ok and first.job_id == second.job_id == same.job_id
    assert _cuts(bytes(fake.printed)) == 1
    assert qr_urls(bytes(fake.printed)) == [RECEIPT.qr_url]


def test_a_job_started_before_a_crash_is_not_printed_again_but_a_reprint_is(
        fake: FakeNetworkPrinter, make: Make, tmp_path: Path) -> None:
    original = job(ticket("A031", "https://hall.example.gov.cn/t/crash1"))
    JobJournal(tmp_path / "jobs.db").start(original)  # the process died mid-print
    driver = make(_net(fake))  # the restarted driver, same journal file
    redelivered = driver.print_job(original)
    assert not redelivered.ok and redelivered.error is INTERRUPTED
    assert fake.printed == b""
    copy = m.PrintJob(job_id=m.new_id(), reprint=True, document=original.document)
    assert driver.print_job(copy).ok
    text = text_of(bytes(fake.printed))
    assert "补打 REPRINT" in text and "A031" in text
    assert "2024-03-04 10:40" in text  # the driver's clock, in the hall's time
    assert qr_urls(bytes(fake.printed)) == ["https://hall.example.gov.cn/t/crash1"]


def test_polling_reports_changes_only(fake: FakeNetworkPrinter, make: Make,
                                      statuses: list[m.PrinterStatus]) -> None:
    driver = make(_net(fake))
    driver.poll()
    driver.poll()
    fake.set_state(paper=m.PaperState.NEAR_END)
    assert driver.poll().paper is m.PaperState.NEAR_END
    driver.poll()
    fake.set_state(cover_open=True)
    driver.poll()
    assert [(s.paper, s.cover_open) for s in statuses] == [
        (m.PaperState.OK, False), (m.PaperState.NEAR_END, False),
        (m.PaperState.NEAR_END, True)]
    assert fake.printed == b""


def test_the_worker_polls_on_its_own_when_idle(fake: FakeNetworkPrinter, make: Make) -> None:
    driver = make(_net(fake))
    driver.start(poll_interval_s=0.05)
    assert fake.wait_queries(9)  # three polls, nobody asked


# ---- serial ---------------------------------------------------------------------------------


def test_a_serial_printer_on_a_pty(make: Make, statuses: list[m.PrinterStatus]) -> None:
    with FakeSerialPrinter(FakeState(paper=m.PaperState.OUT)) as fake:
        driver = make({"kind": "serial", "url": fake.path, "baudrate": 115200})
        assert driver.print_job(job()).error is m.PrintError.PAPER_OUT
        assert fake.printed == b""
        fake.set_state(paper=m.PaperState.NEAR_END)
        assert driver.print_job(job()).ok
        assert qr_urls(bytes(fake.printed)) == [TICKET.qr_url]
        assert [s.paper for s in statuses] == [m.PaperState.OUT, m.PaperState.NEAR_END]


def test_a_write_that_overruns_its_deadline_is_a_timeout_and_never_retried(
        make: Make) -> None:
    # A receipt in image mode (~37 kB) into a printer that stops reading after the first
    # bytes: the pty fills up (about 14 kB) and the write blocks until its deadline (the
    # timeout plus the wire time at 115200 baud, about 3.5 s).
    with FakeSerialPrinter(FakeState(stall_after_bytes=1)) as fake:
        driver = make({"kind": "serial", "url": fake.path, "baudrate": 115200},
                      timeout_s=0.3, profile=PrintProfile(chinese="image"))
        stuck = job(RECEIPT)
        assert len(driver.render(stuck)) > 30_000
        driver.start()
        results = Results()
        driver.submit(stuck, results)
        (result,) = results.wait()
        assert result.error is m.PrintError.TIMEOUT
        assert driver.journal.state(stuck.job_id) == "done"
        fake.set_state(stall_after_bytes=None)
        replay = Results()
        driver.submit(stuck, replay)  # redelivered: the outcome is unknown, never print again
        assert replay.wait()[0].error is m.PrintError.TIMEOUT
        assert _cuts(bytes(fake.printed)) == 0


def test_a_serial_printer_that_stops_answering(make: Make) -> None:
    with FakeSerialPrinter(FakeState(offline=True)) as fake:
        driver = make({"kind": "serial", "url": fake.path}, timeout_s=0.3)
        assert driver.print_job(job()).error is m.PrintError.OFFLINE
        assert fake.printed == b""


def test_a_loop_url_is_a_line_without_a_printer(make: Make,
                                                statuses: list[m.PrinterStatus]) -> None:
    # loop:// echoes the status query back; an echo is not an answer
    result = make({"kind": "serial", "url": "loop://"}, timeout_s=0.3).print_job(job())
    assert result.error is m.PrintError.OFFLINE
    assert statuses[-1].online is False


def test_a_socket_url_reaches_a_network_printer_through_pyserial(
        fake: FakeNetworkPrinter, make: Make) -> None:
    driver = make({"kind": "serial", "url": f"socket://{fake.host}:{fake.port}"})
    assert driver.print_job(job()).ok
    assert qr_urls(bytes(fake.printed)) == [TICKET.qr_url]


# ---- file ------------------------------------------------------------------------------------


def test_the_file_transport_is_always_ready_unless_a_fake_says_otherwise(
        tmp_path: Path, make: Make, statuses: list[m.PrinterStatus]) -> None:
    path = tmp_path / "printer.bin"
    sensors = FixedSensors()
    driver = make({"kind": "file", "path": str(path)}, sensors=sensors)
    assert driver.print_job(job()).ok
    sensors.set(Sensors(True, m.PaperState.OUT))
    assert driver.print_job(job()).error is m.PrintError.PAPER_OUT
    assert _cuts(file_bytes(path)) == 1
    assert [s.paper for s in statuses] == [m.PaperState.OK, m.PaperState.OUT]


def test_a_document_that_cannot_render_fails_without_printing(
        tmp_path: Path, make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "printer.bin"
    driver = make({"kind": "file", "path": str(path)})

    def broken(_job: m.PrintJob) -> bytes:
        raise OSError("font missing")

    monkeypatch.setattr(driver, "render", broken)
    assert driver.print_job(job()).error is m.PrintError.OTHER
    assert file_bytes(path) == b""
