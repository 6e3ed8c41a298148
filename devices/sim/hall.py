"""A simulated hall: kiosks take numbers, callers call and serve, screens announce.

Every simulated device is a `DeviceClient` with its own credentials, exactly like a real
one; nothing here touches the server's database. Time can run faster than real time
(`speed`), so a demo shows a busy hall within minutes."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from devices.protocol import messages as m
from devices.protocol.topics import DeviceType, Topic
from devices.runtime.client import DeviceClient, DeviceIdentity, RequestTimeout

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimDevice:
    """A device to simulate: identity plus what it is bound to. An `idle` caller is online
    but presses no keys (its window is left to a person at the web caller)."""

    identity: DeviceIdentity
    window: int | None = None
    categories: tuple[str, ...] = ()
    idle: bool = False


@dataclass
class SimStats:
    """What the simulated hall did (for the demo log and load tests)."""

    issued: int = 0
    refused: int = 0
    timeouts: int = 0
    calls: int = 0
    completed: int = 0
    announcements: int = 0
    ratings: int = 0
    ratings_refused: int = 0
    receipts: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SimulatedHall:
    """Runs simulated kiosks, callers, LEDs, pads and screens until stopped."""

    def __init__(self, devices: Iterable[SimDevice], *, speed: float = 10.0,
                 arrivals_per_min: float = 6.0, service_min: float = 8.0,
                 data_dir: Path | None = None, seed: int | None = None) -> None:
        self.devices = list(devices)
        self.speed = speed
        self.arrivals_per_min = arrivals_per_min
        self.service_min = service_min
        self.data_dir = data_dir
        self.stats = SimStats()
        self.clients: dict[str, DeviceClient] = {}
        self._rng = random.Random(seed)  # noqa: S311 (simulation, not cryptography)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Connect every device and start the kiosk and caller loops."""
        for d in self.devices:
            outbox = (self.data_dir / f"{d.identity.id}.outbox.db" if self.data_dir
                      else ":memory:")
            client = DeviceClient(d.identity, outbox=outbox, software="onewindow-sim 0.1",
                                  on_command=self._handler(d))
            client.start()
            self.clients[d.identity.id] = client
            if d.identity.type is DeviceType.PRINTER:
                client.emit("printer-status", m.PrinterStatus(paper=m.PaperState.OK))
            elif d.identity.type is DeviceType.KIOSK:
                self._spawn(self._kiosk, d, client)
            elif d.identity.type is DeviceType.CALLER and not d.idle:
                self._spawn(self._caller, d, client)

    def stop(self) -> None:
        """Stop the loops and disconnect every device cleanly (each says offline first).

        The devices disconnect side by side: one by one, a hall's hundred took seconds."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        clients = list(self.clients.values())
        if not clients:
            return
        with ThreadPoolExecutor(max_workers=len(clients),
                                thread_name_prefix="sim-stop") as pool:
            for future in [pool.submit(c.stop) for c in clients]:
                future.result()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Whether every device connected within the timeout."""
        deadline = time.monotonic() + timeout
        return all(c.connected.wait(max(0.0, deadline - time.monotonic()))
                   for c in self.clients.values())

    # ---- behaviours ---------------------------------------------------------------------------

    def _spawn(self, target: Callable[[SimDevice, DeviceClient], None], d: SimDevice,
               client: DeviceClient) -> None:
        t = threading.Thread(target=target, args=(d, client), name=f"sim-{d.identity.id}",
                             daemon=True)
        t.start()
        self._threads.append(t)

    def _sleep_sim_minutes(self, minutes: float) -> bool:
        """Sleep simulated minutes; False when stopping."""
        return not self._stop.wait(minutes * 60.0 / self.speed)

    def _kiosk(self, d: SimDevice, client: DeviceClient) -> None:
        client.connected.wait(10)
        kiosks = sum(1 for x in self.devices if x.identity.type is DeviceType.KIOSK) or 1
        rate = self.arrivals_per_min / kiosks
        while self._sleep_sim_minutes(self._rng.expovariate(rate)):
            state = client.state()
            if isinstance(state, m.KioskState) and not state.accepting:
                continue
            category = self._rng.choice(d.categories) if d.categories else "A"
            started = time.perf_counter()
            try:
                reply = client.request("ticket-request", m.TicketRequest(
                    request_id=m.new_id(), category=category,
                    priority=self._rng.random() < 0.05), timeout=5.0)
            except RequestTimeout:
                with self.stats.lock:
                    self.stats.timeouts += 1
                continue
            with self.stats.lock:
                self.stats.latencies_ms.append((time.perf_counter() - started) * 1000)
                if isinstance(reply, m.TicketIssued):
                    self.stats.issued += 1
                else:
                    self.stats.refused += 1
            if isinstance(reply, m.TicketIssued):
                logger.info("%s issued %s (%d ahead, about %s min)", d.identity.id,
                            reply.number, reply.people_ahead, reply.predicted_wait_min)

    def _press(self, client: DeviceClient, key: m.CallerKeyName) -> m.KeyResult | None:
        try:
            reply = client.request("key", m.CallerKey(request_id=m.new_id(), key=key),
                                   timeout=5.0)
        except RequestTimeout:
            return None
        return reply if isinstance(reply, m.KeyResult) else None

    def _caller(self, d: SimDevice, client: DeviceClient) -> None:
        client.connected.wait(10)
        # Windows do not all start at once: staff settle in over a few minutes.
        if not self._sleep_sim_minutes(self._rng.uniform(0, 3)):
            return
        while not self._stop.is_set():
            called = self._press(client, m.CallerKeyName.CALL)
            if called is None or not called.ok or called.number is None:
                if not self._sleep_sim_minutes(1.0):
                    return
                continue
            with self.stats.lock:
                self.stats.calls += 1
            if not self._sleep_sim_minutes(self._rng.uniform(0.3, 1.5)):
                return
            if self._rng.random() < 0.04:
                self._press(client, m.CallerKeyName.NO_SHOW)
                continue
            self._press(client, m.CallerKeyName.START)
            service = self._rng.lognormvariate(0, 0.4) * self.service_min
            if not self._sleep_sim_minutes(service):
                return
            # About one in five completions accepts an application (受理): a case and a receipt.
            outcome = "accepted" if self._rng.random() < 0.2 else "completed"
            try:
                done_reply = client.request("key", m.CallerKey(
                    request_id=m.new_id(), key=m.CallerKeyName.COMPLETE, outcome=outcome),
                    timeout=5.0)
            except RequestTimeout:
                done_reply = None
            done = done_reply if isinstance(done_reply, m.KeyResult) else None
            if done is not None and done.ok:
                with self.stats.lock:
                    self.stats.completed += 1

    def _handler(self, d: SimDevice) -> Callable[[Topic, m.Message], None]:
        def handle(topic: Topic, message: m.Message) -> None:
            if isinstance(message, m.CallAnnouncement):
                with self.stats.lock:
                    self.stats.announcements += 1
                logger.info("%s 📢 %s", d.identity.id, message.text.zh)
            elif isinstance(message, m.PadArm):
                self._spawn_once(self._rate, d, message)
            elif isinstance(message, m.RatingAck):
                with self.stats.lock:
                    if message.accepted:
                        self.stats.ratings += 1
                    else:
                        self.stats.ratings_refused += 1
            elif isinstance(message, m.PrintJob):
                with self.stats.lock:
                    self.stats.receipts += message.document.kind == "receipt"
                client = self.clients.get(d.identity.id)
                if client is not None:
                    client.emit("print-result", m.PrintResult(job_id=message.job_id, ok=True))
        return handle

    def _spawn_once(self, target: Callable[[SimDevice, m.PadArm], None], d: SimDevice,
                    arm: m.PadArm) -> None:
        threading.Thread(target=target, args=(d, arm), name=f"sim-rate-{d.identity.id}",
                         daemon=True).start()

    # Levels citizens pick: mostly 非常满意; now and then a bad rating opens a 差评整改 case.
    _LEVEL_WEIGHTS = ((5, 70), (4, 18), (3, 7), (2, 3), (1, 2))

    def _rate(self, d: SimDevice, arm: m.PadArm) -> None:
        """Most citizens rate within a few (simulated) seconds; some walk away."""
        if self._rng.random() < 0.15:
            return
        if not self._sleep_sim_minutes(self._rng.uniform(0.05, 0.3)):
            return
        levels, weights = zip(*self._LEVEL_WEIGHTS, strict=True)
        level = self._rng.choices(levels, weights)[0]
        reasons = [self._rng.choice(("wait-too-long", "service-too-slow", "attitude",
                                     "guide-unclear"))] if level <= 2 else []
        client = self.clients.get(d.identity.id)
        if client is not None:
            client.emit("rating", m.Rating(token=arm.token, level=level, reasons=reasons))
