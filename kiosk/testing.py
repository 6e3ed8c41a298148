"""Stand-ins for the kiosk controller's edges (MQTT link, printer port, clock), shared by the
controller tests, the screen renderings and anyone trying the screens without a server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from devices.protocol import messages as m


class FakeLink:
    """The controller's MQTT side: records what it emits; availability set by the caller."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, m.Message]] = []
        self.connected = True
        self.server = True

    def emit(self, name: str, message: m.Message) -> int:
        """Record an event."""
        self.sent.append((name, message))
        return len(self.sent)

    def send(self, name: str, message: m.Message) -> int:
        """Record a request (same list as events)."""
        return self.emit(name, message)

    def available(self) -> tuple[bool, bool]:
        """(connected, server online) as set."""
        return self.connected, self.server

    def names(self) -> list[str]:
        """Names of everything sent, in order."""
        return [n for n, _ in self.sent]

    def last(self, name: str) -> m.Message:
        """The newest message sent under a name."""
        return next(msg for n, msg in reversed(self.sent) if n == name)


class FakePrinter:
    """The printer port: keeps jobs until the caller finishes them."""

    def __init__(self) -> None:
        self.jobs: list[m.PrintJob] = []
        self.callbacks: list[Callable[[m.PrintResult], None]] = []
        self.status: m.PrinterStatus | None = m.PrinterStatus(paper=m.PaperState.OK)

    def print_local(self, job: m.PrintJob, on_done: Callable[[m.PrintResult], None]) -> None:
        """Take a job (nothing is printed)."""
        self.jobs.append(job)
        self.callbacks.append(on_done)

    def last_status(self) -> m.PrinterStatus | None:
        """The sensor reading as set."""
        return self.status

    def finish(self, ok: bool = True, error: m.PrintError | None = None) -> None:
        """Report the newest job done (or failed)."""
        job = self.jobs[-1]
        self.callbacks[-1](m.PrintResult(job_id=job.job_id, ok=ok, error=error))


class ManualClock:
    """Monotonic time the caller moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class WallClock:
    """Aware wall time that moves with a ManualClock (one clock for everything a test drives)."""

    def __init__(self, clock: ManualClock, start: datetime) -> None:
        self.clock = clock
        self.start = start
        self._origin = clock.now

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.clock.now - self._origin)
