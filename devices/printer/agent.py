"""A printer on the bus: its own MQTT identity, its driver, its journal.

The printer is a device in its own right (topics `hall/{hall}/printer/{id}/...`), whether
it runs as a separate agent process or inside the kiosk app that owns the paper path. So
jobs the server sends (`cmd/print`) and tickets the kiosk prints itself (`print_local`) go
through the same driver and journal, and the server hears every result
(`evt/print-result`) and every sensor change (`evt/printer-status`) either way.

Results and statuses go through the device outbox (`DeviceClient.emit`): stored first, so a
result reached while the broker is away is delivered when it is back. The status is sent
on start, on every change, and again after each reconnect (the server may have missed
changes while the link was down). Commands arrive on the client's dispatcher thread and
are only queued to the driver there: a stuck printer never stalls the MQTT client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from devices.config.models import Printer
from devices.printer.driver import PrinterDriver
from devices.printer.journal import INTERRUPTED, JobJournal
from devices.printer.status import SensorSource
from devices.protocol import messages as m
from devices.protocol.topics import Topic
from devices.runtime.client import DeviceClient, DeviceIdentity

logger = logging.getLogger(__name__)

SOFTWARE = "onewindow-printer 0.1"


class PrinterDevice:
    """Wires a `DeviceClient` (the printer's identity) to a `PrinterDriver`."""

    def __init__(self, config: Printer, *, tz: ZoneInfo, journal: Path | str,
                 hall_name: m.Text | None = None, outbox: Path | str = ":memory:",
                 poll_interval_s: float = 30.0, sensors: SensorSource | None = None,
                 clock: Callable[[], datetime] = m.utc_now) -> None:
        self.config = config
        self.tz = tz
        self.journal_path = journal
        self.hall_name = hall_name
        self.outbox_path = outbox
        self.poll_interval_s = poll_interval_s
        self.sensors = sensors
        self.clock = clock
        self.client: DeviceClient | None = None
        self.driver: PrinterDriver | None = None
        self._journal: JobJournal | None = None
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect, settle jobs a crash interrupted, report the sensors, take jobs."""
        self._stop.clear()
        self._journal = JobJournal(self.journal_path)
        self.client = DeviceClient(DeviceIdentity.of(self.config), outbox=self.outbox_path,
                                   on_command=self._on_command, software=SOFTWARE,
                                   config_version=self.config.config_version)
        self.driver = PrinterDriver(self.config, self._journal, self.tz, self.hall_name,
                                    on_status=self._on_status, sensors=self.sensors,
                                    clock=self.clock)
        self._journal.prune()  # a redelivery never comes a month late
        for job_id in self._journal.settle_interrupted():
            logger.warning("%s: job %s was interrupted by a restart; reported failed "
                           "(print it again as a reprint)", self.config.id, job_id)
            self.client.emit("print-result", m.PrintResult(job_id=job_id, ok=False,
                                                           error=INTERRUPTED))
        self.client.start()
        self.driver.start(poll_interval_s=self.poll_interval_s)
        self.driver.request_poll()
        self._watcher = threading.Thread(target=self._watch_connections, daemon=True,
                                         name=f"{self.config.id}-watch")
        self._watcher.start()

    def stop(self) -> None:
        """Finish the job in hand, say offline, close everything."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2)
            self._watcher = None
        if self.driver is not None:
            self.driver.close()
        if self.client is not None:
            self.client.stop()
        if self._journal is not None:
            self._journal.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ---- printing -------------------------------------------------------------------------

    def print_local(self, job: m.PrintJob,
                    on_done: Callable[[m.PrintResult], None] | None = None) -> None:
        """Print a job the kiosk made itself; the server hears the result. Never blocks."""
        if self.driver is None:
            raise RuntimeError("start() the printer device first")

        def done(result: m.PrintResult) -> None:
            self._emit_result(result)
            if on_done is not None:
                on_done(result)

        self.driver.submit(job, done)

    def _on_command(self, topic: Topic, message: m.Message) -> None:
        if isinstance(message, m.PrintJob) and self.driver is not None:
            self.driver.submit(message, self._emit_result)
        else:
            logger.debug("%s: ignored a %s command", self.config.id, topic.name)

    def _emit_result(self, result: m.PrintResult) -> None:
        if self.client is not None:
            self.client.emit("print-result", result)

    def _on_status(self, status: m.PrinterStatus) -> None:
        if self.client is not None:
            self.client.emit("printer-status", status)

    def _watch_connections(self) -> None:
        client, driver = self.client, self.driver
        assert client is not None
        assert driver is not None
        seen = 1  # the first connection gets the status of start()
        while not self._stop.wait(0.5):
            if client.connections > seen:
                seen = client.connections
                fresh = driver.status_message()
                if fresh is not None:
                    client.emit("printer-status", fresh)
