"""Store and service guarantees on SQLite and on a real PostgreSQL.

Every test takes `database_url`, so it runs against both backends: durability pragmas,
one-writer ordering, gapless numbering, idempotent issue, no ticket called twice,
rebuilding the hall's state after a restart, and aware-UTC datetimes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError
from support import DEMO_CONFIG, SHANGHAI, FakeClock

from hallserver.config.models import StaffRole
from hallserver.domain.errors import IdempotencyConflict, Refused
from hallserver.domain.tickets import TicketState
from hallserver.services import Services
from hallserver.services.views import (
    CompleteRequest,
    IssuedTicket,
    IssueTicketRequest,
    Principal,
    TransferRequest,
)
from hallserver.store.models import (
    IdempotencyKeyRow,
    TicketCounterRow,
    TicketEventRow,
    TicketRow,
    WindowStateRow,
)

T = TypeVar("T")
Factory = Callable[..., Services]

# Roster of the demo hall: staff member in role A of each window used below.
ROLE_A = {1: "10001", 2: "10002", 3: "10003", 4: "10004", 20: "10020"}
MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def staff(window: int) -> Principal:
    """The role-A staff member of a window, as the API would resolve them."""
    username = ROLE_A[window]
    return Principal(username=username, display_name=username, role="staff")


def config_with_caps(tmp_path: Path, **caps: int) -> Path:
    """A copy of the demo layout with the daily caps of some prefixes changed."""
    doc = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for category in doc["categories"]:
        if category["prefix"] in caps:
            category["daily_cap"] = caps[category["prefix"]]
    path = tmp_path / "hall.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def concurrently(n: int, work: Callable[[int], T]) -> list[T]:
    """Run work(0..n-1) in n threads released together; results in index order."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        return [f.result(timeout=120) for f in futures]


def issue(services: Services, category: str, *, priority: bool = False,
          key: str | None = None) -> IssuedTicket:
    return services.tickets.issue(IssueTicketRequest(category=category, priority=priority),
                                  channel="test", idempotency_key=key)


def scalar(services: Services, stmt: Any) -> Any:
    with services.ctx.db.read() as session:
        return session.scalar(stmt)


def ticket_count(services: Services) -> int:
    return int(scalar(services, select(func.count()).select_from(TicketRow)))


# ---- SQLite: durability pragmas and write locking ---------------------------------------


def test_sqlite_pragmas(database_url: str, make_services: Factory,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite pragmas")
    monkeypatch.delenv("HALL_SQLITE_SYNCHRONOUS")  # the suite runs OFF; a hall runs the default
    db = make_services(database_url).ctx.db
    for session_of in (db.read, db.write):
        with session_of() as session:
            def pragma(name: str, session: Any = session) -> Any:
                return session.execute(text(f"PRAGMA {name}")).scalar_one()
            assert pragma("journal_mode") == "wal"
            assert pragma("synchronous") == 2  # FULL
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") > 0


def _raw_begin_immediate(path: str) -> str | None:
    """Try to become the writer from another connection without waiting: the error, if any."""
    errors: list[str | None] = []

    def attempt() -> None:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            errors.append(None)
        except sqlite3.OperationalError as exc:
            errors.append(str(exc))
        finally:
            conn.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=10)
    assert errors, "the probe connection did not finish"
    return errors[0]


def test_sqlite_write_transaction_is_begin_immediate(database_url: str,
                                                     make_services: Factory) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite locking")
    db = make_services(database_url).ctx.db
    path = database_url.split("///", 1)[1]
    with db.write() as session:
        # A read as the first statement already holds the RESERVED lock (BEGIN IMMEDIATE),
        # so the later write of this transaction can never find the database locked.
        session.execute(select(func.count()).select_from(TicketRow)).scalar_one()
        assert _raw_begin_immediate(path) == "database is locked"
    assert _raw_begin_immediate(path) is None


def test_sqlite_read_transaction_does_not_block_writers(database_url: str,
                                                        make_services: Factory) -> None:
    if not is_sqlite(database_url):
        pytest.skip("SQLite locking")
    db = make_services(database_url).ctx.db
    path = database_url.split("///", 1)[1]
    with db.read() as session:
        session.execute(select(func.count()).select_from(TicketRow)).scalar_one()
        assert _raw_begin_immediate(path) is None


# ---- transactions -----------------------------------------------------------------------


def test_write_rolls_back_on_error(database_url: str, make_services: Factory) -> None:
    services = make_services(database_url)

    def failing_write() -> None:
        with services.ctx.db.write() as session:
            session.add(TicketCounterRow(hall_id="demo", category="qiye", service_day=MONDAY,
                                         last_seq=5))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_write()
    assert scalar(services, select(func.count()).select_from(TicketCounterRow)) == 0
    assert issue(services, "A").number == "A001"


def test_read_transaction_is_a_consistent_snapshot(database_url: str,
                                                   make_services: Factory) -> None:
    services = make_services(database_url)
    issue(services, "A")
    count = select(func.count()).select_from(TicketRow)
    with services.ctx.db.read() as session:
        before = session.scalar(count)
        issue(services, "A")  # another transaction commits meanwhile
        after = session.scalar(count)
    assert (before, after) == (1, 1)
    assert ticket_count(services) == 2


# ---- gapless numbering ------------------------------------------------------------------


@pytest.mark.parametrize(("instances", "per_thread"), [(1, 25), (2, 10)],
                         ids=["one-instance", "two-instances"])
def test_numbers_are_gapless_under_concurrent_issue(
    database_url: str, make_services: Factory, tmp_path: Path, instances: int, per_thread: int
) -> None:
    """8 threads x 25 tickets: exactly A001..A200, then the cap. With two instances on one
    database (like two server processes) the in-process mutex does not help: the database
    lock (BEGIN IMMEDIATE / advisory lock) must."""
    total = 8 * per_thread
    config = config_with_caps(tmp_path, A=total)
    pool = [make_services(database_url, config=config) for _ in range(instances)]

    def worker(i: int) -> list[str]:
        services = pool[i % instances]
        return [issue(services, "A").number for _ in range(per_thread)]

    batches = concurrently(8, worker)
    numbers = [n for batch in batches for n in batch]
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, total + 1)]
    assert all(batch == sorted(batch) for batch in batches)  # increasing per caller

    services = pool[0]
    with services.ctx.db.read() as session:
        rows = session.scalars(select(TicketRow)).all()
        counter = session.get(TicketCounterRow, ("demo", "qiye", MONDAY))
        assert counter is not None
        assert counter.last_seq == total
        issue_events = session.scalar(select(func.count()).select_from(TicketEventRow)
                                      .where(TicketEventRow.action == "issue"))
    assert sorted(r.number for r in rows) == sorted(numbers)
    assert {r.service_day for r in rows} == {MONDAY}
    assert issue_events == total

    # The cap is exact: ticket cap + 1 is refused and consumes no number.
    with pytest.raises(Refused) as refused:
        issue(services, "A")
    assert refused.value.code == "daily_cap_reached"
    assert ticket_count(services) == total
    assert scalar(services, select(TicketCounterRow.last_seq)) == total


def test_daily_cap_under_concurrency_and_reset_next_service_day(
    database_url: str, make_services: Factory, tmp_path: Path, clock: FakeClock
) -> None:
    services = make_services(database_url, config=config_with_caps(tmp_path, A=12))

    def worker(_i: int) -> list[str]:
        out = []
        for _ in range(3):
            try:
                out.append(issue(services, "A").number)
            except Refused as exc:
                out.append(exc.code)
        return out

    results = Counter(r for batch in concurrently(6, worker) for r in batch)  # 18 attempts
    assert results.pop("daily_cap_reached") == 6
    assert sorted(results) == [f"A{i:03d}" for i in range(1, 13)]
    assert set(results.values()) == {1}
    # Other categories have their own counters and caps.
    assert issue(services, "B").number == "B001"

    clock.advance(days=1)  # Tuesday: the next working day
    first = issue(services, "A")
    assert (first.number, first.service_day) == ("A001", TUESDAY)
    assert issue(services, "A").number == "A002"
    assert issue(services, "B").number == "B001"
    with services.ctx.db.read() as session:
        counters = {(c.category, c.service_day): c.last_seq
                    for c in session.scalars(select(TicketCounterRow))}
        monday_numbers = session.scalars(
            select(TicketRow.number).where(TicketRow.service_day == MONDAY)).all()
    assert counters == {("qiye", MONDAY): 12, ("budongchan", MONDAY): 1,
                        ("qiye", TUESDAY): 2, ("budongchan", TUESDAY): 1}
    assert len(monday_numbers) == 13


# ---- idempotent issue -------------------------------------------------------------------


@pytest.mark.parametrize("instances", [1, 2], ids=["one-instance", "two-instances"])
def test_idempotent_issue_under_concurrency(database_url: str, make_services: Factory,
                                            instances: int) -> None:
    pool = [make_services(database_url) for _ in range(instances)]
    key = "kiosk-3:7f1c2a"

    results = concurrently(8, lambda i: issue(pool[i % instances], "A", key=key))

    assert {r.number for r in results} == {"A001"}
    assert len({r.public_token for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * 7
    assert len({r.model_dump_json(exclude={"replayed"}) for r in results}) == 1
    services = pool[0]
    assert ticket_count(services) == 1
    assert scalar(services, select(func.count()).select_from(IdempotencyKeyRow)) == 1
    assert scalar(services, select(TicketCounterRow.last_seq)) == 1

    # The same key with another body is refused; nothing is issued.
    with pytest.raises(IdempotencyConflict):
        issue(services, "A", priority=True, key=key)
    with pytest.raises(IdempotencyConflict):
        issue(services, "B", key=key)
    assert ticket_count(services) == 1
    # A new key is a new ticket, and the numbering did not skip.
    assert issue(services, "A", key="kiosk-3:other").number == "A002"


# ---- no ticket called twice -------------------------------------------------------------


def test_no_ticket_is_called_twice(database_url: str, make_services: Factory) -> None:
    """Windows 1-4 (企业开办, with 税务 and at window 4 综合 as secondary skills) drain
    the queues concurrently through two service instances on the same database."""
    first = make_services(database_url)
    second = make_services(database_url)
    windows = [1, 2, 3, 4]
    for w in windows:
        first.windows.sign_in(w, staff(w), StaffRole.A)
    plan = ["A"] * 26 + ["E"] * 8 + ["G"] * 6
    issued = [issue(first, c, priority=i % 7 == 0).number for i, c in enumerate(plan)]
    assert len(set(issued)) == 40

    def serve(i: int) -> list[str]:
        services = (first, second)[i % 2]
        w = windows[i]
        user = staff(w)
        called = []
        while True:
            result = services.windows.call_next(w, user)
            if result.called is None:
                return called
            called.append(result.called.number)
            services.windows.start(w, user)
            services.windows.complete(w, user, CompleteRequest())

    called_by = concurrently(len(windows), serve)

    assert sum(1 for batch in called_by if batch) >= 2  # the windows really interleaved
    all_called = [n for batch in called_by for n in batch]
    assert Counter(all_called) == Counter(issued)
    assert all(n[0] == "A" or n[0] == "E" for n in called_by[0] + called_by[1] + called_by[2])

    with first.ctx.db.read() as session:
        tickets = {t.id: t for t in session.scalars(select(TicketRow))}
        events = session.execute(
            select(TicketEventRow.ticket_id, TicketEventRow.action, TicketEventRow.window)
        ).all()
        states = session.scalars(select(WindowStateRow)).all()
    assert {t.state for t in tickets.values()} == {TicketState.DONE.value}
    calls = Counter(tid for tid, action, _ in events if action == "call")
    assert calls == Counter(dict.fromkeys(tickets, 1))
    for action in ("issue", "start", "complete"):
        assert Counter(tid for tid, a, _ in events if a == action) == calls
    for tid, action, window in events:
        if action == "call":
            assert window == tickets[tid].window
            assert tickets[tid].number in called_by[windows.index(window)]
    assert all(s.current_ticket_id is None and s.status == "open" for s in states)


# ---- rebuilding the hall after a restart ------------------------------------------------


def snapshot(services: Services) -> dict[str, Any]:
    """Everything a restart must reproduce from the database."""
    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    codes = [c.code for c in cfg.categories]
    return {
        "entries": {c: [e.model_dump() for e in services.queues.entries(c)] for c in codes},
        "windows": [w.model_dump() for w in services.windows.list()],
        "overview": [q.model_dump() for q in services.queues.overview()],
        "means": {c: services.ctx.estimator.mean(c) for c in codes},
    }


def test_state_is_rebuilt_after_restart(database_url: str, make_services: Factory,
                                        clock: FakeClock) -> None:
    services = make_services(database_url)
    ws = services.windows
    for w in (1, 2, 3, 4, 20):
        ws.sign_in(w, staff(w), StaffRole.A)
    for category, priority in [("A", False), ("A", True), ("A", False), ("A", False)]:
        issue(services, category, priority=priority)
        clock.advance(seconds=40)
    for category, priority in [("E", False), ("E", True), ("C", False), ("G", True)]:
        issue(services, category, priority=priority)
        clock.advance(seconds=30)
    for _ in range(4):
        issue(services, "A")
        clock.advance(seconds=20)

    # Window 1 serves two 企业开办 tickets of different lengths (feeds the estimator).
    for minutes in (4, 11):
        assert ws.call_next(1, staff(1)).called is not None
        ws.start(1, staff(1))
        clock.advance(minutes=minutes)
        ws.complete(1, staff(1), CompleteRequest(notes="ok"))
        clock.advance(minutes=1)
    # Window 2 calls one and transfers it to 税务 (keeps its issue time), then a no-show.
    transferred = ws.call_next(2, staff(2)).called
    assert transferred is not None
    clock.advance(minutes=2)
    ws.start(2, staff(2))
    ws.transfer(2, staff(2), TransferRequest(category="E"))
    no_show = ws.call_next(2, staff(2)).called
    assert no_show is not None
    clock.advance(minutes=1)
    ws.no_show(2, staff(2))
    # Window 3 is serving, window 4 has a called ticket, window 20 is paused.
    assert ws.call_next(3, staff(3)).called is not None
    ws.start(3, staff(3))
    assert ws.call_next(4, staff(4)).called is not None
    ws.recall(4, staff(4))
    ws.pause(20, staff(20), "系统维护")
    clock.advance(minutes=3)

    with services.ctx.db.read() as session:
        moved = session.scalars(select(TicketRow).where(
            TicketRow.number == transferred.number)).one()
        assert (moved.issued_category, moved.category, moved.state) == (
            "qiye", "shuiwu", "waiting")
        assert moved.queued_at == moved.issued_at
    before = snapshot(services)
    assert transferred.number in [e["number"] for e in before["entries"]["shuiwu"]]
    assert no_show.number not in [e["number"] for q in before["entries"].values() for e in q]
    assert before["means"]["qiye"] != services.ctx.estimator.prior_minutes["qiye"]
    services.ctx.db.close()

    again = make_services(database_url)
    after = snapshot(again)
    assert after["entries"] == before["entries"]
    assert after["windows"] == before["windows"]
    assert after["overview"] == before["overview"]
    assert after["means"] == pytest.approx(before["means"], rel=1e-12)
    # And the restarted hall carries on where it stopped.
    assert issue(again, "A").number == "A009"
    again.windows.complete(3, staff(3), CompleteRequest())


# ---- datetimes --------------------------------------------------------------------------


def test_datetimes_come_back_aware_utc(database_url: str, make_services: Factory,
                                       clock: FakeClock) -> None:
    clock.now = clock.now.replace(microsecond=123456)
    services = make_services(database_url)
    issued = issue(services, "A")
    now = clock()
    assert issued.issued_at == now
    assert issued.issued_at.utcoffset() == timedelta(0)
    assert services.tickets.status(issued.public_token).issued_at == now
    with services.ctx.db.read() as session:
        row = session.scalars(select(TicketRow)).one()
        for value in (row.issued_at, row.queued_at):
            assert value == now
            assert value.tzinfo is UTC

    # A non-UTC aware datetime is stored as the same instant, in UTC.
    late_evening = datetime(2026, 11, 23, 23, 59, 59, 654321, tzinfo=SHANGHAI)
    with services.ctx.db.write() as session:
        row = session.scalars(select(TicketRow)).one()
        session.add(TicketEventRow(ticket_id=row.id, at=late_evening, action="note",
                                   to_state=row.state))
    with services.ctx.db.read() as session:
        if not is_sqlite(database_url):
            # The session time zone does not leak into the values.
            session.execute(text("SET LOCAL TIME ZONE 'America/New_York'"))
        at = session.scalars(select(TicketEventRow.at)
                             .where(TicketEventRow.action == "note")).one()
        stored = session.execute(text(
            "SELECT at FROM ticket_events WHERE action = 'note'" if is_sqlite(database_url)
            else "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
                 "FROM ticket_events WHERE action = 'note'"
        )).scalar_one()
    assert at == late_evening
    assert at.tzinfo is UTC
    assert (at.date(), at.hour) == (date(2026, 11, 23), 15)
    assert str(stored) == "2026-11-23 15:59:59.654321"

    # Naive datetimes are refused rather than guessed at.
    def write_naive() -> None:
        with services.ctx.db.write() as session:
            session.add(TicketEventRow(ticket_id=row.id, at=datetime(2026, 11, 23, 10, 0),
                                       action="note", to_state="waiting"))

    with pytest.raises(StatementError, match="naive datetime"):
        write_naive()
    with services.ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(TicketEventRow)) == 2
