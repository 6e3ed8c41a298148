"""Crash safety of a real `hallserver serve` process on SQLite: kill -9, restart, check.

Phase 1 (mid-traffic): client threads take numbers over HTTP with an Idempotency-Key each;
once enough tickets are acknowledged the server gets SIGKILL while requests are in flight.
After a restart on the same database file every acknowledged ticket is still there with
the same number, retrying the unacknowledged requests with the same key and body yields
exactly one ticket per key, and every category's numbers are gapless 1..N.

Phase 2 (idle): tickets are issued, the clients stop, every queue is read, the server gets
SIGKILL with nothing in flight; after the restart every queue reads exactly the same and
the counters continue where they were.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness.ports import stable_port
from support import DESK, PASSWORD, take

from hallserver.config.loader import load_hall
from hallserver.services.auth import AuthService, Role
from hallserver.store.db import Database

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "firmware_configs" / "demo" / "hall.yaml"
PREFIXES = [c.prefix for c in load_hall(DEMO_CONFIG).categories]

HEALTH_DEADLINE_S = 30.0
CLIENTS = 6
ACKED_BEFORE_KILL = 150
TRAFFIC_DEADLINE_S = 20.0
REQUEST_TIMEOUT = httpx.Timeout(10.0, connect=2.0)

pytestmark = pytest.mark.slow


@dataclass
class Server:
    """One `hallserver serve` process in its own process group."""

    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr_tail(self, chars: int = 3000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no stderr>"

    def sigkill(self) -> None:
        """kill -9 the server process itself and reap it."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL


StartServer = Callable[[Path], Server]


def seed_desk(db_path: Path) -> None:
    """The service desk's login in the database (ticket issue over HTTP needs one)."""
    db = Database(f"sqlite:///{db_path}", load_hall(DEMO_CONFIG).hall.id)
    try:
        db.migrate()
        AuthService(db, lambda: datetime.now(UTC)).ensure_user(DESK, "服务台", Role.MANAGER,
                                                               PASSWORD)
    finally:
        db.close()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `hallserver serve` on a SQLite file and wait for /healthz; killed at teardown."""
    started: list[Server] = []

    def start(db_path: Path) -> Server:
        seed_desk(db_path)
        port = stable_port()
        stderr_path = tmp_path / f"server-{len(started) + 1}.stderr"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
        env.update(
            HALL_CONFIG=str(DEMO_CONFIG),
            HALL_DATABASE_URL=f"sqlite:///{db_path}",
            HALL_ENFORCE_HOURS="false",
            HALL_BUS="false",
            HALL_RATE_LIMITS="false",  # a durability test under load, not an abuse test
        )
        with stderr_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hallserver.cli", "serve",
                 "--host", "127.0.0.1", "--port", str(port)],
                env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                start_new_session=True,  # its own process group, killed as a whole below
            )
        server = Server(proc, port, stderr_path)
        started.append(server)
        deadline = time.monotonic() + HEALTH_DEADLINE_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode} before /healthz answered:\n"
                            f"{server.stderr_tail()}")
            try:
                r = httpx.get(f"{server.base_url}/healthz", timeout=1.0)
                if r.status_code == 200:
                    assert r.json()["database"] == "sqlite"
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/healthz did not answer within {HEALTH_DEADLINE_S:.0f} s:\n"
                            f"{server.stderr_tail()}")
            time.sleep(0.05)

    yield start
    for server in started:
        if server.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)


# ---- clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """A ticket as the client saw it in a 200/201 answer."""

    key: str
    body: dict[str, Any]
    status: int
    number: str
    token: str
    replayed: bool

    @property
    def prefix(self) -> str:
        return self.number[0]


@dataclass(frozen=True)
class Unacked:
    """A request that got no answer (the server died before or while handling it)."""

    key: str
    body: dict[str, Any]
    error: str


@dataclass
class Traffic:
    """What the client threads saw, shared under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    acked: list[Issued] = field(default_factory=list)
    unacked: list[Unacked] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)


def body_for(client_no: int, i: int, *, with_priority: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"category": PREFIXES[(client_no + i) % len(PREFIXES)]}
    if with_priority and i % 4 == 3:
        body["priority"] = True
    return body


def post_ticket(client: httpx.Client, key: str, body: dict[str, Any]) -> httpx.Response:
    return take(client, body, headers={"Idempotency-Key": key})


def issued_of(key: str, body: dict[str, Any], r: httpx.Response) -> Issued:
    data = r.json()
    return Issued(key=key, body=body, status=r.status_code, number=data["number"],
                  token=data["public_token"], replayed=data["replayed"])


def run_client(base_url: str, client_no: int, traffic: Traffic, *, max_requests: int | None,
               with_priority: bool) -> None:
    """Take numbers until told to stop, the quota is met, or the server stops answering."""
    i = 0
    try:
        with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            while not traffic.stop.is_set() and (max_requests is None or i < max_requests):
                key = f"crash-c{client_no}-r{i}-{uuid.uuid4().hex}"
                body = body_for(client_no, i, with_priority=with_priority)
                i += 1
                try:
                    r = post_ticket(client, key, body)
                except httpx.TransportError as exc:
                    with traffic.lock:
                        traffic.unacked.append(Unacked(key, body, type(exc).__name__))
                    return  # the server is gone; this client's last request is in doubt
                with traffic.lock:
                    if r.status_code == 201 and not r.json()["replayed"]:
                        traffic.acked.append(issued_of(key, body, r))
                    else:
                        traffic.unexpected.append(f"{key} {body}: {r.status_code} {r.text}")
                        return
    except Exception as exc:  # reported by the test thread
        with traffic.lock:
            traffic.unexpected.append(f"client {client_no} crashed: {exc!r}")


def start_clients(base_url: str, traffic: Traffic, *, max_requests: int | None = None,
                  with_priority: bool = False) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=run_client, args=(base_url, n, traffic),
                         kwargs={"max_requests": max_requests, "with_priority": with_priority},
                         name=f"hall-client-{n}", daemon=True)
        for n in range(CLIENTS)
    ]
    for t in threads:
        t.start()
    return threads


def join_all(threads: list[threading.Thread], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "client threads did not finish"


def read_queues(client: httpx.Client) -> tuple[dict[str, dict[str, Any]],
                                               dict[str, list[tuple[str, bool]]]]:
    """GET /api/queues by prefix, and each queue's (number, priority) in call order."""
    r = client.get("/api/queues")
    assert r.status_code == 200, r.text
    overview = {q["prefix"]: q for q in r.json()}
    assert sorted(overview) == sorted(PREFIXES)
    entries: dict[str, list[tuple[str, bool]]] = {}
    for prefix in PREFIXES:
        r = client.get(f"/api/queues/{prefix}")
        assert r.status_code == 200, r.text
        rows = r.json()
        assert [e["position"] for e in rows] == list(range(1, len(rows) + 1))
        entries[prefix] = [(e["number"], e["priority"]) for e in rows]
    return overview, entries


# ---- phase 1: kill -9 mid-traffic --------------------------------------------------------


def test_sigkill_mid_traffic_keeps_acknowledged_tickets_keys_and_gapless_numbers(
    tmp_path: Path, start_server: StartServer
) -> None:
    db_path = tmp_path / "hall.db"
    server = start_server(db_path)
    traffic = Traffic()
    threads = start_clients(server.base_url, traffic)

    deadline = time.monotonic() + TRAFFIC_DEADLINE_S
    while traffic.acked_count() < ACKED_BEFORE_KILL:
        assert not traffic.unexpected, traffic.unexpected
        assert time.monotonic() < deadline, (
            f"only {traffic.acked_count()} tickets in {TRAFFIC_DEADLINE_S:.0f} s:\n"
            f"{server.stderr_tail()}")
        time.sleep(0.005)
    alive_at_kill = sum(t.is_alive() for t in threads)
    server.sigkill()  # clients are still sending: some requests are in flight
    join_all(threads)  # each client ends at its first request that gets no answer

    assert alive_at_kill == CLIENTS, "every client must still be sending when the server dies"
    assert not traffic.unexpected, traffic.unexpected
    acked, unacked = list(traffic.acked), list(traffic.unacked)
    assert len(acked) >= ACKED_BEFORE_KILL
    # Each client stops at its first failed request, so each left exactly one in doubt.
    assert len(unacked) == CLIENTS, unacked
    assert len({a.number for a in acked}) == len(acked), "a number was acknowledged twice"
    keys = [a.key for a in acked] + [u.key for u in unacked]
    assert len(set(keys)) == len(keys)

    server = start_server(db_path)  # same database file
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as client:
        # Every acknowledged ticket survived, with its number, and is still waiting.
        for a in acked:
            r = client.get(f"/api/tickets/public/{a.token}")
            assert r.status_code == 200, f"acknowledged {a.number} lost: {r.status_code} {r.text}"
            assert r.json()["number"] == a.number
            assert r.json()["state"] == "waiting"
        # Its idempotency key survived too: the same request replays the same ticket.
        for a in acked:
            r = post_ticket(client, a.key, a.body)
            assert r.status_code == 200, r.text
            again = issued_of(a.key, a.body, r)
            assert (again.replayed, again.number, again.token) == (True, a.number, a.token)

        # Retrying the requests left in doubt: committed before the crash -> replayed 200;
        # never committed -> a new ticket, 201. Either way one ticket per key.
        retried: list[Issued] = []
        for u in unacked:
            r = post_ticket(client, u.key, u.body)
            assert r.status_code in (200, 201), r.text
            got = issued_of(u.key, u.body, r)
            assert got.replayed == (r.status_code == 200)
            assert got.prefix == u.body["category"]
            retried.append(got)
        for got in retried:  # a second retry must not issue another ticket
            r = post_ticket(client, got.key, got.body)
            assert r.status_code == 200, r.text
            again = issued_of(got.key, got.body, r)
            assert (again.replayed, again.number, again.token) == (True, got.number, got.token)

        tickets = acked + retried
        numbers = [t.number for t in tickets]
        assert len(set(numbers)) == len(numbers), (
            f"a number was issued twice: {[n for n, c in Counter(numbers).items() if c > 1]}")
        by_prefix: dict[str, set[str]] = defaultdict(set)
        for t in tickets:
            by_prefix[t.prefix].add(t.number)

        overview, entries = read_queues(client)
        for prefix in PREFIXES:
            ours = by_prefix.get(prefix, set())
            queue_numbers = [n for n, _ in entries[prefix]]
            assert len(queue_numbers) == len(set(queue_numbers))
            n = len(ours)
            # Nothing was served: the queue holds exactly the tickets the clients got.
            assert overview[prefix]["waiting"] == n, (prefix, overview[prefix], sorted(ours))
            assert overview[prefix]["issued_today"] == n, (prefix, overview[prefix])
            assert set(queue_numbers) == ours, (prefix, sorted(set(queue_numbers) ^ ours))
            # Gapless: the counter row commits with the ticket, so no number was burnt.
            seqs = {int(num[1:]) for num in queue_numbers}
            assert seqs == set(range(1, n + 1)), (prefix, sorted(seqs))
            # No priority tickets here: call order is issue order.
            assert queue_numbers == sorted(queue_numbers, key=lambda num: int(num[1:]))

    committed_before_crash = sum(1 for g in retried if g.replayed)
    print(f"\nphase 1: acknowledged={len(acked)} unacknowledged={len(unacked)} "
          f"committed-before-crash={committed_before_crash} "
          f"new-on-retry={len(retried) - committed_before_crash} "
          f"per-category={ {p: len(by_prefix.get(p, ())) for p in PREFIXES} }")


# ---- phase 2: kill -9 with nothing in flight ---------------------------------------------


def test_sigkill_when_idle_keeps_every_queue_in_order(
    tmp_path: Path, start_server: StartServer
) -> None:
    db_path = tmp_path / "hall.db"
    server = start_server(db_path)
    traffic = Traffic()
    # Every 4th request is a priority (绿色通道) ticket, so call order is not issue order.
    threads = start_clients(server.base_url, traffic, max_requests=12, with_priority=True)
    join_all(threads)
    assert not traffic.unexpected, traffic.unexpected
    assert not traffic.unacked, traffic.unacked
    assert len(traffic.acked) == CLIENTS * 12

    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as client:
        overview_before, before = read_queues(client)
    assert sum(len(q) for q in before.values()) == len(traffic.acked)
    assert any(
        [n for n, _ in q] != sorted(n for n, _ in q) for q in before.values()
    ), "priority tickets should reorder at least one queue"

    server.sigkill()  # no request in flight
    server = start_server(db_path)

    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as client:
        overview_after, after = read_queues(client)
        assert after == before
        for prefix in PREFIXES:
            for key in ("waiting", "issued_today"):
                assert overview_after[prefix][key] == overview_before[prefix][key], (prefix, key)
        for a in traffic.acked:
            r = client.get(f"/api/tickets/public/{a.token}")
            assert r.status_code == 200, r.text
            assert r.json()["number"] == a.number

        # The counters continue after the restart: the next ticket is N+1, at the back.
        for prefix in PREFIXES:
            n = overview_before[prefix]["issued_today"]
            r = post_ticket(client, f"after-restart-{prefix}-{uuid.uuid4().hex}",
                            {"category": prefix})
            assert r.status_code == 201, r.text
            assert r.json()["number"] == f"{prefix}{n + 1:03d}"
            r = client.get(f"/api/queues/{prefix}")
            assert [e["number"] for e in r.json()] == [
                num for num, _ in before[prefix]] + [f"{prefix}{n + 1:03d}"]
