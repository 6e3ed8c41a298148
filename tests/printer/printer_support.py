"""Sample documents, printer configs and waits for the printer tests (importable by name)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from devices.config.models import Printer
from devices.protocol import messages as m
from hallserver.bus.accounts import BrokerAccount

SERVER = BrokerAccount("hallserver", "server-pw-printer-1", "server")
PRINTER = BrokerAccount("printer-t1", "printer-pw-1", "device")
BROKER_ACCOUNTS = (SERVER, PRINTER)

TZ = ZoneInfo("Asia/Shanghai")
HALL_NAME = m.Text(zh="某市政务服务中心", en="City Government Service Center")
REPRINT_AT = datetime(2024, 3, 4, 2, 40, tzinfo=UTC)  # 10:40 in the hall
TIMEOUT = 10.0
"""How long to wait for something that normally takes milliseconds."""

TICKET = m.TicketDocument(
    number="A012",
    category_name=m.Text(zh="企业开办", en="Business registration"),
    people_ahead=7,
    predicted_wait_min=18,
    zone=m.Text(zh="一楼综合受理A区", en="Floor 1, Zone A"),
    windows=[1, 2, 3, 5],
    qr_url="https://hall.example.gov.cn/t/Zx8Qm2Lr9KpT4vWc",
    issued_at=datetime(2024, 3, 4, 1, 15, tzinfo=UTC),  # 09:15 in the hall
)

RECEIPT = m.ReceiptDocument(
    case_no="GS2024030400017",
    items=[m.Text(zh="食品经营许可证新办", en="New food business licence"),
           m.Text(zh="营业执照变更登记", en="Business licence change")],
    materials=["营业执照副本（复印件）１份", "法定代表人身份证明", "经营场所使用证明"],
    # 16:30 UTC is 00:30 the next day in the hall: the printed date must be the local one.
    promised_by=datetime(2024, 3, 15, 16, 30, tzinfo=UTC),
    window=5,
    owner="李明 10005",
    qr_url="https://hall.example.gov.cn/c/GS2024030400017",
    accepted_at=datetime(2024, 3, 4, 1, 30, tzinfo=UTC),  # 09:30 in the hall
)


def printer_config(transport: dict[str, Any], *, timeout_s: float = 2.0,
                   chinese: str = "gb18030", paper_width_mm: int = 80,
                   mqtt_port: int = 1883, password: str = "printer-pw-1",
                   device_id: str = "printer-t1") -> Printer:
    """A printer device config as a file would give it."""
    return Printer.model_validate({
        "schema_version": 1, "type": "printer", "id": device_id, "hall": "demo",
        "name": {"zh": "测试打印机", "en": "Test printer"},
        "mqtt": {"host": "127.0.0.1", "port": mqtt_port, "password": password},
        "transport": transport, "chinese": chinese, "paper_width_mm": paper_width_mm,
        "timeout_s": timeout_s,
    })


def job(document: m.TicketDocument | m.ReceiptDocument = TICKET, *, job_id: str | None = None,
        reprint: bool = False) -> m.PrintJob:
    """A print job (a fresh id unless given)."""
    return m.PrintJob(job_id=job_id or m.new_id(), reprint=reprint, document=document)


def ticket(number: str, url: str) -> m.TicketDocument:
    """The sample ticket with another number and QR URL."""
    return TICKET.model_copy(update={"number": number, "qr_url": url})


class Results:
    """Collects results handed to an `on_done` callback; tests wait on them."""

    def __init__(self) -> None:
        self.items: list[m.PrintResult] = []
        self._cond = threading.Condition()

    def __call__(self, result: m.PrintResult) -> None:
        with self._cond:
            self.items.append(result)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = TIMEOUT) -> list[m.PrintResult]:
        """At least `count` results (fails at the deadline)."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.items) >= count, timeout):
                raise AssertionError(f"{len(self.items)} of {count} results in {timeout}s")
            return list(self.items)


def wait_until(predicate: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    """Poll until `predicate()` is truthy (fails at the deadline)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(0.01)


def file_bytes(path: Path) -> bytes:
    """What a file transport received so far (empty when nothing was written)."""
    return path.read_bytes() if path.exists() else b""
