"""The printer agent on a real broker: `cmd/print` in, one `evt/print-result` out, bytes on
paper (the file transport), `evt/printer-status` on start and on every change.

The hall server's side is a bare paho peer with the server's account: it publishes exactly
what the server would and records what the printer sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.brokers import HALL, BrokerEndpoint, Peer, Received, connect
from printer_support import (
    PRINTER,
    SERVER,
    TIMEOUT,
    TZ,
    Results,
    file_bytes,
    job,
    printer_config,
    ticket,
    wait_until,
)

from devices.printer.agent import PrinterDevice
from devices.printer.decode import Command, parse, qr_urls, text_of
from devices.printer.journal import INTERRUPTED, JobJournal
from devices.printer.status import FixedSensors, Sensors
from devices.protocol import messages as m
from devices.protocol import topics
from devices.protocol.catalog import encode
from devices.protocol.topics import DeviceType

PREFIX = f"hall/{HALL}/printer/{PRINTER.username}"
CMD_PRINT = str(topics.cmd(HALL, DeviceType.PRINTER, PRINTER.username, "print"))
RESULT = f"{PREFIX}/evt/print-result"
STATUS_EVT = f"{PREFIX}/evt/printer-status"


def _payload(r: Received) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(r.payload)
    return data


def _cuts(data: bytes) -> int:
    return sum(1 for s in parse(data) if isinstance(s, Command) and s.name == "cut")


class Rig:
    """The server's peer and a started printer device."""

    def __init__(self, server: Peer, device: PrinterDevice, paper: Path) -> None:
        self.server = server
        self.device = device
        self.paper = paper

    def results(self, job_id: str) -> list[dict[str, Any]]:
        return [_payload(r) for r in self.server.received(RESULT)
                if _payload(r)["job_id"] == job_id]

    def wait_result(self, job_id: str, count: int = 1) -> dict[str, Any]:
        wait_until(lambda: len(self.results(job_id)) >= count, f"{count} result(s) of {job_id}")
        return self.results(job_id)[count - 1]

    def statuses(self) -> list[dict[str, Any]]:
        return [_payload(r) for r in self.server.received(STATUS_EVT)]

    def send(self, print_job: m.PrintJob) -> None:
        self.server.publish(CMD_PRINT, encode(print_job))


@pytest.fixture
def rig_factory(broker: BrokerEndpoint, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    started: list[tuple[Peer, PrinterDevice]] = []

    def make(*, sensors: FixedSensors | None = None, before_start: Callable[[Path], None]
             | None = None) -> Rig:
        server = connect(broker, SERVER)
        server.subscribe(f"{PREFIX}/#")
        paper = tmp_path / "var" / "printer-t1.bin"
        config = printer_config({"kind": "file", "path": str(paper)}, mqtt_port=broker.port,
                                password=PRINTER.password, device_id=PRINTER.username)
        journal = tmp_path / "printer-t1.jobs.db"
        if before_start is not None:
            before_start(journal)
        device = PrinterDevice(config, tz=TZ, journal=journal,
                               outbox=tmp_path / "printer-t1.outbox.db", sensors=sensors)
        device.start()
        started.append((server, device))
        # the birth goes out after the device subscribed: commands sent now are heard
        server.wait_for(lambda r: r.topic == f"{PREFIX}/status"
                        and _payload(r)["state"] == "online", "the printer's birth", TIMEOUT)
        return Rig(server, device, paper)

    yield make
    for server, device in started:
        device.stop()
        server.close()


def test_a_print_job_gets_exactly_one_result_and_lands_on_paper(
        rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    first = job(ticket("A101", "https://hall.example.gov.cn/t/first-101"))
    sentinel = job(ticket("A102", "https://hall.example.gov.cn/t/sentinel-102"))
    rig.send(first)
    assert rig.wait_result(first.job_id)["ok"] is True
    rig.send(sentinel)
    assert rig.wait_result(sentinel.job_id)["ok"] is True
    # the broker keeps one publisher's order: anything more for `first` would be in by now
    assert len(rig.results(first.job_id)) == 1
    data = file_bytes(rig.paper)
    assert qr_urls(data) == ["https://hall.example.gov.cn/t/first-101",
                             "https://hall.example.gov.cn/t/sentinel-102"]
    assert "A101" in text_of(data) and "A102" in text_of(data)
    assert _cuts(data) == 2


def test_the_printer_reports_its_status_on_start(rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    wait_until(rig.statuses, "a printer-status")
    first = rig.statuses()[0]
    assert (first["paper"], first["cover_open"], first["online"]) == ("ok", False, True)


def test_a_redelivered_job_is_answered_again_but_printed_once(
        rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    same = job()
    payload = encode(same)
    rig.server.publish(CMD_PRINT, payload)
    rig.server.publish(CMD_PRINT, payload)  # QoS 1 redelivery: same bytes, same msg_id
    rig.wait_result(same.job_id, count=2)
    assert all(r["ok"] for r in rig.results(same.job_id))
    assert _cuts(file_bytes(rig.paper)) == 1


def test_status_changes_reach_the_server_and_refuse_jobs(
        rig_factory: Callable[..., Rig]) -> None:
    sensors = FixedSensors()
    rig = rig_factory(sensors=sensors)
    wait_until(rig.statuses, "the first printer-status")
    sensors.set(Sensors(True, m.PaperState.OUT))
    rig.device.driver.request_poll()  # type: ignore[union-attr]
    wait_until(lambda: rig.statuses()[-1]["paper"] == "out", "paper out on the bus")
    refused = job()
    rig.send(refused)
    assert rig.wait_result(refused.job_id)["error"] == "paper_out"
    assert file_bytes(rig.paper) == b""
    sensors.set(Sensors(True, m.PaperState.NEAR_END))
    again = job()
    rig.send(again)
    assert rig.wait_result(again.job_id)["ok"] is True
    wait_until(lambda: rig.statuses()[-1]["paper"] == "near_end", "near end on the bus")
    assert [s["paper"] for s in rig.statuses()] == ["ok", "out", "near_end"]


def test_the_kiosk_prints_its_own_ticket_and_the_server_hears_it(
        rig_factory: Callable[..., Rig]) -> None:
    rig = rig_factory()
    local = job(ticket("B007", "https://hall.example.gov.cn/t/local-b007"))
    done = Results()
    rig.device.print_local(local, done)
    assert done.wait()[0].ok
    assert rig.wait_result(local.job_id)["ok"] is True
    assert qr_urls(file_bytes(rig.paper)) == ["https://hall.example.gov.cn/t/local-b007"]


def test_a_job_interrupted_by_a_crash_is_reported_failed_at_start_and_not_printed(
        rig_factory: Callable[..., Rig]) -> None:
    crashed = job(job_id="job-crashed-01")
    rig = rig_factory(before_start=lambda path: JobJournal(path).start(crashed))
    result = rig.wait_result(crashed.job_id)
    assert result["ok"] is False and result["error"] == INTERRUPTED.value
    rig.send(crashed)  # the server, not knowing, sends it again
    assert rig.wait_result(crashed.job_id, count=2)["error"] == INTERRUPTED.value
    assert file_bytes(rig.paper) == b""
    reprint = m.PrintJob(job_id=m.new_id(), reprint=True, document=crashed.document)
    rig.send(reprint)
    assert rig.wait_result(reprint.job_id)["ok"] is True
    assert "补打 REPRINT" in text_of(file_bytes(rig.paper))
