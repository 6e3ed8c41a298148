"""One printer, driven job by job: check, claim, write, check again, report.

Why the order matters:

- Sensors are read before a job: paper out, cover open or no answer means nothing is sent,
  and the job is reported failed with that reason (a printer that buffers a ticket while
  out of paper would print it minutes later for someone else).
- The journal marks the job started, durably, after the check and before the first byte;
  a crash between the two can then never cause a second copy.
- Sensors are read again after the write: paper that ran out or came near its end is
  reported, while the job that went out counts as printed.
- Every printer call has a deadline (`config.timeout_s`; a serial write gets its wire time
  on top). A call that overruns closes the link (which also frees the stuck thread where
  the OS allows) and the next job or poll opens it again.
- `submit` hands a job to the driver's own worker thread and returns at once: a kiosk
  screen must never wait on a printer fault. The same thread runs periodic polls, so the
  printer is only ever used by one thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

from devices.config.models import Printer
from devices.printer.journal import JobJournal
from devices.printer.render import PrintProfile, render_receipt, render_ticket
from devices.printer.status import READY, FixedSensors, QuerySensors, Sensors, SensorSource
from devices.printer.transport import (
    Deadlines,
    PrinterLink,
    PrinterTimeout,
    open_link,
    with_deadline,
    write_budget,
)
from devices.protocol.messages import (
    PrintError,
    PrinterStatus,
    PrintJob,
    PrintResult,
    Text,
    TicketDocument,
    utc_now,
)

logger = logging.getLogger(__name__)

StatusCallback = Callable[[PrinterStatus], None]
ResultCallback = Callable[[PrintResult], None]
_Item = tuple[PrintJob, ResultCallback] | str | None  # a job, "poll", or stop


class PrinterDriver:
    """Prints jobs on one printer, at most once each, and reports its sensors."""

    def __init__(self, config: Printer, journal: JobJournal, tz: ZoneInfo,
                 hall_name: Text | None = None, *, on_status: StatusCallback | None = None,
                 profile: PrintProfile | None = None, sensors: SensorSource | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 opener: Callable[[], PrinterLink] | None = None) -> None:
        self.config = config
        self.journal = journal
        self.tz = tz
        self.hall_name = hall_name
        self.on_status = on_status
        self.profile = profile or PrintProfile.from_config(config)
        self.clock = clock
        self.timeout = config.timeout_s
        self._sensor_source = sensors
        self._opener = opener or (lambda: open_link(config.transport, profile=config.profile,
                                                    timeout=config.timeout_s))
        self._deadlines = Deadlines()
        self._lock = threading.RLock()
        self._link: PrinterLink | None = None
        self._sensors: Sensors | None = None
        self._reported: tuple[object, ...] | None = None
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._poll_interval: float | None = None

    # ---- worker thread ------------------------------------------------------------------

    def start(self, *, poll_interval_s: float | None = None) -> None:
        """Start the worker thread; with an interval it also polls the sensors when idle."""
        if self._worker is not None:
            return
        self._poll_interval = poll_interval_s
        self._worker = threading.Thread(target=self._run, daemon=True,
                                        name=f"printer-{self.config.id}")
        self._worker.start()

    def submit(self, job: PrintJob, on_done: ResultCallback) -> None:
        """Print on the worker thread; `on_done(result)` is called there. Never blocks."""
        if self._worker is None:
            raise RuntimeError("start() the driver before submitting jobs")
        self._queue.put((job, on_done))

    def request_poll(self) -> None:
        """Read the sensors soon, on the worker thread."""
        self._queue.put("poll")

    def close(self, *, timeout: float | None = None) -> None:
        """Stop the worker (after the job in hand) and release the printer."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(None)
            worker.join(timeout if timeout is not None else 3 * self.timeout + 5)
        with self._lock:
            self._drop_link()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._poll_interval)
            except queue.Empty:
                item = "poll"
            if item is None:
                return
            if item == "poll":
                self._guarded(self.poll)
                continue
            assert isinstance(item, tuple)
            job, on_done = item
            result = self._guarded(partial(self.print_job, job))
            if not isinstance(result, PrintResult):
                result = PrintResult(job_id=job.job_id, ok=False, error=PrintError.OTHER)
            self._guarded(partial(on_done, result))

    @staticmethod
    def _guarded(fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception:
            logger.exception("printer worker: unexpected failure")
            return None

    # ---- jobs ---------------------------------------------------------------------------

    def render(self, job: PrintJob) -> bytes:
        """The bytes of a job (a reprint carries the 补打 banner with the time now)."""
        reprint_at = self.clock() if job.reprint else None
        doc = job.document
        if isinstance(doc, TicketDocument):
            return render_ticket(doc, self.profile, tz=self.tz, hall_name=self.hall_name,
                                 reprint_at=reprint_at)
        return render_receipt(doc, self.profile, tz=self.tz, hall_name=self.hall_name,
                              reprint_at=reprint_at)

    def print_job(self, job: PrintJob) -> PrintResult:
        """Print a job once (blocking, bounded by the deadlines); never raises for faults."""
        with self._lock:
            earlier = self.journal.claim(job)
            if earlier is not None:
                logger.info("%s: job %s seen before; not printed again", self.config.id,
                            job.job_id)
                return earlier
            try:
                data = self.render(job)
            except Exception:
                logger.exception("%s: job %s could not be rendered", self.config.id,
                                 job.job_id)
                self.journal.refuse(job, PrintError.OTHER)
                return PrintResult(job_id=job.job_id, ok=False, error=PrintError.OTHER)
            refusal = self._read_sensors().blocking()
            if refusal is not None:
                logger.info("%s: job %s not sent: %s", self.config.id, job.job_id,
                            refusal.value)
                self.journal.refuse(job, refusal)
                return PrintResult(job_id=job.job_id, ok=False, error=refusal)
            self.journal.start(job)
            result = self._write(job, data)
            self.journal.finish(result)
            if result.ok:
                self._read_sensors()
            return result

    def _write(self, job: PrintJob, data: bytes) -> PrintResult:
        budget = write_budget(self.config.transport, len(data), self.timeout)
        try:
            link = self._ensure_link()
            self._deadlines.run(lambda: link.write(data), budget, what="write")
        except PrinterTimeout:
            logger.warning("%s: job %s: the write overran %.1fs; outcome unknown",
                           self.config.id, job.job_id, budget)
            self._drop_link()
            return PrintResult(job_id=job.job_id, ok=False, error=PrintError.TIMEOUT)
        except OSError as exc:
            logger.warning("%s: job %s: write failed: %s", self.config.id, job.job_id,
                           type(exc).__name__)
            self._drop_link()
            return PrintResult(job_id=job.job_id, ok=False, error=PrintError.OFFLINE)
        return PrintResult(job_id=job.job_id, ok=True)

    # ---- sensors ------------------------------------------------------------------------

    def poll(self) -> PrinterStatus:
        """Read the sensors now (blocking, bounded); reports a change through on_status."""
        with self._lock:
            return self._read_sensors().message()

    def status_message(self) -> PrinterStatus | None:
        """A fresh message with the last reading, or None before the first one."""
        with self._lock:
            return None if self._sensors is None else self._sensors.message()

    def _ensure_link(self) -> PrinterLink:
        if self._link is None:
            self._link = self._deadlines.run(self._opener, self.timeout, what="open",
                                             late=lambda link: link.close())
        return self._link

    def _drop_link(self) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        try:
            with_deadline(link.close, self.timeout, what="close")
        except (PrinterTimeout, OSError) as exc:
            logger.info("%s: closing the link failed: %s", self.config.id, type(exc).__name__)

    def _read_sensors(self) -> Sensors:
        previous = self._sensors or READY
        sensors = Sensors(answered=False)
        for _attempt in range(2):
            reused = self._link is not None
            try:
                link = self._ensure_link()
                source = self._sensor_source or (
                    QuerySensors() if link.has_sensors else FixedSensors())
                sensors = source.read(link, self._deadlines, self.timeout)
            except OSError as exc:
                # A network printer closes an idle connection: one retry on a fresh one.
                logger.info("%s: printer link failed: %s", self.config.id, exc)
                self._drop_link()
                if reused:
                    continue
            except PrinterTimeout as exc:
                logger.info("%s: printer not reachable: %s", self.config.id, exc)
            break
        if not sensors.answered:
            self._drop_link()  # reopen next time: a fresh connection, no stale answers
            sensors = previous.unanswered()
        self._report(sensors)
        return sensors

    def _report(self, sensors: Sensors) -> None:
        self._sensors = sensors
        key = sensors.key()
        if key == self._reported:
            return
        self._reported = key
        if self.on_status is not None:
            try:
                self.on_status(sensors.message())
            except Exception:
                logger.exception("%s: status callback failed", self.config.id)
