"""统计报表: a simulated day's report equals counts computed directly from the database
(SQLite and PostgreSQL); CSV and XLSX carry the JSON's numbers; periods and errors."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from report_support import WINDOWS, simulate_day
from sqlalchemy import func, insert, select
from support import SHANGHAI, FakeClock, login

from hallserver.domain import reports as rules
from hallserver.domain.reports import Period
from hallserver.services import Services
from hallserver.services.report_tables import Report, Table, Words
from hallserver.store.models import FollowUpRow, RatingRow, TicketEventRow, TicketRow

ServicesFactory = Callable[..., Services]  # the make_services fixture (tests/conftest.py)
DAY = date(2026, 11, 23)  # a Monday
START = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def rows_of(table: Table) -> list[dict[str, Any]]:
    """A table's rows as dicts by column key."""
    return [dict(zip([c.key for c in table.columns], r, strict=True)) for r in table.rows]


def zh(value: Any) -> Any:
    return value.zh if isinstance(value, Words) else value


def minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def bin_of(value: float, bounds: tuple[int, ...]) -> int:
    """Independent of the SQL CASE: the first bound the value does not exceed."""
    for i, hi in enumerate(bounds):
        if value <= hi:
            return i
    return len(bounds)


def other_day(services: Services, clock: FakeClock, moment: datetime) -> None:
    """A short stretch of another day at window 1."""
    simulate_day(services, clock, moment, seed=moment.day, minutes=20, windows={1: "10001"})


def check_day(services: Services, report: Report, day: date) -> None:
    """Every ticket and rating section against plain ORM reads and Python arithmetic."""
    hall = services.ctx.hall_id
    with services.ctx.db.read() as session:
        tickets = list(session.scalars(select(TicketRow).where(
            TicketRow.hall_id == hall, TicketRow.service_day == day)))
        ratings = list(session.scalars(select(RatingRow).where(
            RatingRow.hall_id == hall, RatingRow.service_day == day)))
        cases = list(session.scalars(select(FollowUpRow).where(FollowUpRow.hall_id == hall)))
    now = services.ctx.clock()
    assert tickets, "the simulation issued nothing"

    summary = rows_of(report.table("summary"))[0]
    assert summary["issued"] == len(tickets)
    assert summary["done"] == sum(t.state == "done" for t in tickets)
    assert summary["no_show"] == sum(t.state == "no_show" for t in tickets)
    assert summary["cancelled"] == sum(t.state == "cancelled" for t in tickets)
    with services.ctx.db.read() as session:
        first_events = dict(session.execute(
            select(TicketEventRow.ticket_id, func.min(TicketEventRow.at))
            .where(TicketEventRow.action == "call",
                   TicketEventRow.ticket_id.in_([t.id for t in tickets]))
            .group_by(TicketEventRow.ticket_id)).tuples().all())
    # the first call is the audit trail's first call, whatever happened after it
    assert {t.id: t.first_called_at for t in tickets if t.first_called_at} == first_events
    called = [t for t in tickets if t.first_called_at is not None]
    waits = [minutes(t.issued_at, t.first_called_at) for t in called]  # type: ignore[arg-type]
    assert summary["avg_wait"] == pytest.approx(round(sum(waits) / len(waits), 1), abs=0.051)
    served = [t for t in tickets if t.state == "done"]
    services_min = [minutes(t.serving_at, t.finished_at) for t in served]  # type: ignore[arg-type]
    assert summary["avg_service"] == pytest.approx(
        round(sum(services_min) / len(services_min), 1), abs=0.051)

    with services.ctx.db.read() as session:
        cfg = services.layout.current(session)
    by_cat = {r["prefix"]: r for r in rows_of(report.table("by_category"))}
    for c in cfg.categories:
        mine = [t for t in tickets if t.issued_category == c.code]
        assert by_cat[c.prefix]["issued"] == len(mine)
        assert by_cat[c.prefix]["done"] == sum(t.state == "done" for t in mine)
    by_item = {r["code"]: r for r in rows_of(report.table("by_item"))}
    for code, n in Counter(t.item_code or "—" for t in tickets).items():
        assert by_item[code]["issued"] == n
        assert by_item[code]["done"] == sum(1 for t in served if (t.item_code or "—") == code)
    by_window = {r["window"]: r for r in rows_of(report.table("by_window"))}
    for w in range(1, 25):
        assert by_window[w]["done"] == sum(1 for t in served if t.window == w)
        assert by_window[w]["called"] == sum(1 for t in called if t.window == w)
    by_staff = {r["staff_id"]: r for r in rows_of(report.table("by_staff"))}
    assert set(by_staff) == {t.staff_id for t in called}
    for staff_id, row in by_staff.items():
        assert row["done"] == sum(1 for t in served if t.staff_id == staff_id)
        assert row["no_show"] == sum(1 for t in tickets if t.staff_id == staff_id
                                     and t.state == "no_show")

    wait_hist = [r["tickets"] for r in rows_of(report.table("wait_hist"))]
    expected = Counter(bin_of(w, rules.WAIT_BINS_MIN) for w in waits)
    assert wait_hist == [expected.get(i, 0) for i in range(len(rules.WAIT_BINS_MIN) + 1)]
    svc_hist = [r["tickets"] for r in rows_of(report.table("service_hist"))]
    expected = Counter(bin_of(m, rules.SERVICE_BINS_MIN) for m in services_min)
    assert svc_hist == [expected.get(i, 0) for i in range(len(rules.SERVICE_BINS_MIN) + 1)]

    hours = {r["hour"][:2]: r for r in rows_of(report.table("by_hour"))}
    for target in (20, 30):
        per_hour: dict[str, list[int]] = {}
        for t in tickets:
            hour = f"{t.issued_at.astimezone(SHANGHAI).hour:02d}"
            first = t.first_called_at
            end = first or t.finished_at or now
            counted = first is not None or minutes(t.issued_at, end) > target
            within = first is not None and minutes(t.issued_at, first) <= target
            acc = per_hour.setdefault(hour, [0, 0, 0])
            acc[0] += 1
            acc[1] += counted
            acc[2] += within
        for hour, (issued, counted_n, within_n) in per_hour.items():
            row = hours[hour]
            assert (row["issued"], row[f"counted_{target}"], row[f"within_{target}"]) == (
                issued, counted_n, within_n), (hour, target)
            assert row[f"share_{target}"] == (round(within_n / counted_n, 4) if counted_n
                                              else None)
    assert sum(r["issued"] for r in hours.values()) == len(tickets)

    rated = {r["window"]: r for r in rows_of(report.table("rating_windows"))}
    for w in WINDOWS:
        mine = [r.level for r in ratings if r.window == w and not r.excluded]
        assert rated[w]["ratings"] == len(mine)
        for level in range(1, 6):
            assert rated[w][f"level_{level}"] == mine.count(level)
        good = sum(1 for lv in mine if lv >= 3)
        assert rated[w]["satisfaction"] == (round(good / len(mine), 4) if mine else None)
    staff_rated = {r["staff_id"]: r for r in rows_of(report.table("rating_staff"))}
    for staff_id, row in staff_rated.items():
        assert row["ratings"] == sum(1 for r in ratings if r.staff_id == staff_id)

    total = rows_of(report.table("followups"))[-1]
    opened = [c for c in cases if c.opened_at.astimezone(SHANGHAI).date() == day]
    assert total["opened"] == len(opened) == sum(1 for r in ratings if r.level <= 2)
    assert total["closed_on_time"] == sum(1 for c in opened if c.closed_at is not None)


@pytest.mark.slow  # a whole day / month of traffic: the main run only (its
# clock is the test's; the shifted runs keep the smaller report tests)
def test_a_simulated_day_matches_the_database(make_services: ServicesFactory, database_url: str,
                                              clock: FakeClock) -> None:
    services = make_services(database_url)
    # Another month, the Friday before (same month, other week), then the day, then the
    # Tuesday after (same week).
    other_day(services, clock, datetime(2026, 10, 30, 10, 0, tzinfo=SHANGHAI))
    other_day(services, clock, datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    log = simulate_day(services, clock, START)
    other_day(services, clock, datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI))
    clock.now = datetime(2026, 11, 24, 17, 30, tzinfo=SHANGHAI)
    assert log.completed > 40 and log.no_shows > 0 and log.cancelled > 0
    assert len(log.followups) >= 2
    report = services.reports.report(Period.DAY, DAY)
    assert (report.date_from, report.date_to, report.service_days) == (DAY, DAY, 1)
    check_day(services, report, DAY)
    waits = rows_of(report.table("wait_hist"))
    assert sum(1 for r in waits if r["tickets"]) >= 4, "waits should spread over the bins"

    # The week holds Monday and Tuesday (not the Friday before); the month all three.
    week = services.reports.report(Period.WEEK, DAY + timedelta(days=2))
    assert (week.date_from, week.date_to) == (date(2026, 11, 23), date(2026, 11, 29))
    days = {r["day"]: r for r in rows_of(week.table("by_day"))}
    assert list(days) == [f"2026-11-{d}" for d in range(23, 28)]  # Mon-Fri service days
    with services.ctx.db.read() as session:
        counts = Counter(session.scalars(select(TicketRow.service_day)))
    assert days["2026-11-24"]["issued"] == counts[date(2026, 11, 24)] > 0
    week_total = rows_of(week.table("summary"))[0]["issued"]
    assert week_total == counts[DAY] + counts[date(2026, 11, 24)]
    month = services.reports.report(Period.MONTH, DAY)
    assert rows_of(month.table("summary"))[0]["issued"] == sum(
        n for d, n in counts.items() if d.month == 11)
    assert rows_of(month.table("summary"))[0]["service_days"] == 21  # Nov 2026: no holiday

    ranking = rows_of(month.table("ranking"))
    assert [r["rank"] for r in ranking] == list(range(1, 25))
    with services.ctx.db.read() as session:
        done = Counter(session.scalars(select(TicketRow.window).where(
            TicketRow.state == "done", TicketRow.service_day >= date(2026, 11, 1))))
    assert {r["window"]: r["volume"] for r in ranking if r["volume"]} == dict(done)
    assert ranking[0]["score"] >= ranking[1]["score"] >= ranking[-1]["score"]
    with services.ctx.db.read() as session:
        done_items = Counter(session.scalars(select(TicketRow.item_code).where(
            TicketRow.state == "done", TicketRow.service_day >= date(2026, 11, 1))))
    freq = {r["code"]: r for r in rows_of(month.table("frequency"))}
    for code, row in freq.items():
        assert row["done"] == done_items.get(code, 0)
        assert row["mismatch"] == (zh(row["measured"]) != zh(row["configured"]))
    # 24 November is the 17th of 21 service days: the month is projected in proportion.
    assert freq["QY-001"]["projected"] == round(done_items["QY-001"] * 21 / 17, 1)

def test_ranking_scores_and_red_flags() -> None:
    months = [rules.WindowMonth(window=1, volume=100, ratings=50, satisfaction=1.0, overdue=0),
              rules.WindowMonth(window=2, volume=50, ratings=50, satisfaction=1.0, overdue=0),
              rules.WindowMonth(window=3, volume=100, ratings=50, satisfaction=0.9, overdue=1),
              rules.WindowMonth(window=4, volume=80, ratings=5, satisfaction=1.0, overdue=0),
              rules.WindowMonth(window=5, volume=10, ratings=20, satisfaction=0.5, overdue=0),
              rules.WindowMonth(window=6, volume=0, ratings=0, satisfaction=None, overdue=0)]
    ranked = rules.rank_windows(months)
    by_window = {r.month.window: r for r in ranked}
    assert by_window[1].score == 100.0
    assert by_window[2].score == 80.0
    assert by_window[3].score == 40 + 54 - 5
    assert [r.month.window for r in ranked] == [1, 4, 3, 2, 5, 6]
    # 4 has too few ratings, 3 a late rectification: the flags go to 1, 2 and 5.
    assert [r.month.window for r in ranked if r.red_flag] == [1, 2, 5]
    assert by_window[6].score == 0.0 and not by_window[6].red_flag


def test_frequency_classes_and_projection() -> None:
    assert [rules.volume_class(v) for v in (501, 500, 100, 99.9, 0)] == [
        "high", "normal", "normal", "low", "low"]
    assert rules.projected(100, 5, 20) == 400.0
    assert rules.projected(100, 20, 20) == 100.0
    assert rules.satisfaction({5: 2, 3: 1, 2: 1}) == 0.75
    assert rules.top_share({5: 2, 3: 1, 2: 1}) == 0.5
    assert rules.satisfaction({}) is None
    assert rules.span_of(Period.WEEK, date(2026, 11, 29)).start == date(2026, 11, 23)
    assert rules.span_of(Period.MONTH, date(2024, 2, 10)).end == date(2024, 2, 29)


# ---- HTTP: JSON, CSV, XLSX, errors -----------------------------------------------------------


@pytest.fixture
def simulated(client: TestClient, clock: FakeClock) -> TestClient:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    simulate_day(services, clock, START, minutes=150)
    clock.now = datetime(2026, 11, 23, 17, 30, tzinfo=SHANGHAI)
    return client


def test_csv_and_xlsx_hold_the_json_numbers(simulated: TestClient) -> None:
    client = simulated
    manager = login(client, "manager")
    params = {"period": "day", "date": DAY.isoformat()}
    body = client.get("/api/reports", params=params, headers=manager).json()
    tables = {t["key"]: t for t in body["tables"]}
    assert body["period"] == "day" and body["date_from"] == "2026-11-23"
    assert tables["summary"]["rows"][0][1] > 0

    r = client.get("/api/reports/export", params={**params, "format": "xlsx"}, headers=manager)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == len(tables)
    for sheet, table in zip(wb.worksheets, tables.values(), strict=True):
        assert sheet.title == table["title"]["zh"][:31]
        header = [c.value for c in sheet[1]][:len(table["columns"])]
        assert header == [c["zh"] for c in table["columns"]]  # Chinese headers
        for i, row in enumerate(table["rows"], start=2):
            got = [c.value for c in sheet[i]][:len(row)]
            for value, cell, column in zip(row, got, table["columns"], strict=True):
                if isinstance(value, dict):
                    assert cell == value["zh"]
                elif column["kind"] == "flag":
                    assert cell == ("是" if value else None)
                elif value is None:
                    assert cell is None
                elif column["kind"] in {"text"}:
                    assert cell == str(value)
                else:
                    assert cell == pytest.approx(value), (table["key"], column["key"])

    for key, table in tables.items():
        r = client.get("/api/reports/export", params={**params, "format": "csv", "table": key},
                       headers=manager)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8 Chinese
        lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert lines[0] == [c["zh"] for c in table["columns"]]
        assert len(lines) == len(table["rows"]) + 1
        for row, line in zip(table["rows"], lines[1:], strict=True):
            for value, text, column in zip(row, line, table["columns"], strict=True):
                if value is None:
                    assert text == ""
                elif isinstance(value, dict):
                    assert text == value["zh"]
                elif column["kind"] == "pct":
                    assert float(text.rstrip("%")) == pytest.approx(value * 100, abs=0.005)
                elif column["kind"] == "flag":
                    assert text == ("是" if value else "")
                elif column["kind"] in {"int", "min", "num"}:
                    assert float(text) == pytest.approx(value, abs=0.05)
                else:
                    assert text == str(value)

    r = client.get("/api/reports/export", params={**params, "format": "csv",
                                                  "table": "by_window", "lang": "en"},
                   headers=manager)
    assert r.content.decode("utf-8-sig").startswith("window,name,called")


def test_exports_hold_no_personal_data(client: TestClient, clock: FakeClock) -> None:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    simulate_day(services, clock, START, minutes=30, windows={1: "10001"})
    with services.ctx.db.write() as session:  # notes and comments are never read
        for t in session.scalars(select(TicketRow)):
            t.notes = "身份证 110101199003071234 电话 13812345678"
    manager = login(client, "manager")
    r = client.get("/api/reports/export", params={"period": "month", "date": "2026-11-23",
                                                  "format": "xlsx"}, headers=manager)
    wb = load_workbook(io.BytesIO(r.content))
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows()
                    for c in row if c.value is not None)
    assert "13812345678" not in text and "110101199003071234" not in text
    body = client.get("/api/reports", params={"period": "month"}, headers=manager).text
    assert "13812345678" not in body


def test_bad_requests_get_clear_errors(client: TestClient) -> None:
    manager = login(client, "manager")
    for params in ({"period": "year"}, {"date": "2026-13-01"},
                   {"date": "1999-01-01"}):
        r = client.get("/api/reports", params=params, headers=manager)
        assert r.status_code == 422, (params, r.text)
        assert set(r.json()["detail"]) >= {"code", "message", "message_en"}
    r = client.get("/api/reports/export", params={"format": "csv"}, headers=manager)
    assert r.status_code == 422 and "table" in r.json()["detail"]["message_en"]
    r = client.get("/api/reports/export", params={"format": "csv", "table": "nope"},
                   headers=manager)
    assert r.status_code == 422 and "by_item" in r.json()["detail"]["message_en"]
    r = client.get("/api/reports/export", params={"format": "pdf"}, headers=manager)
    assert r.status_code == 422
    assert client.get("/api/reports").status_code == 401
    assert client.get("/api/reports", headers=login(client, "10001")).status_code == 403
    r = client.get("/api/reports/export", params={"format": "xlsx"},
                   headers=login(client, "10001"))
    assert r.status_code == 403


@pytest.mark.slow  # a whole day / month of traffic: the main run only (its
# clock is the test's; the shifted runs keep the smaller report tests)
def test_a_busy_month_reports_every_ticket(make_services: ServicesFactory, database_url: str,
                                          clock: FakeClock) -> None:
    """~40k tickets in a month (a busy hall) in one report (its time is printed, not asserted:
    timings live in benchmarks)."""
    services = make_services(database_url)
    bulk_month(services, tickets_per_day=1900)
    t0 = time.perf_counter()
    report = services.reports.report(Period.MONTH, DAY)
    elapsed = time.perf_counter() - t0
    print(f"month report of {1900 * 21} tickets: {elapsed:.2f} s")
    issued = rows_of(report.table("summary"))[0]["issued"]
    assert issued == 1900 * 21


def values(**kw: Any) -> dict[str, Any]:
    """Column values of one row for a bulk insert."""
    return kw


def bulk_month(services: Services, tickets_per_day: int) -> None:
    """Insert a month of finished tickets and ratings directly (fast), 21 service days."""
    import random  # noqa: PLC0415

    rng = random.Random(3)
    hall = services.ctx.hall_id
    day = date(2026, 11, 1)
    n = 0
    tickets: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    with services.ctx.db.read() as session:
        cfg = services.ctx.layout.current(session)
    calendar = services.ctx.calendar(cfg)
    items = list(cfg.items)
    while day.month == 11:
        if calendar.is_service_day(day):
            for seq in range(tickets_per_day):
                item = rng.choice(items)
                issued = datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI) \
                    + timedelta(seconds=rng.randrange(7 * 3600))
                called = issued + timedelta(seconds=rng.randrange(3600))
                finished = called + timedelta(seconds=rng.randrange(120, 1800))
                window = rng.randrange(1, 25)
                n += 1
                tickets.append(values(
                    id=n, hall_id=hall, service_day=day, number=f"Z{seq:04d}",
                    issued_category=item.category, category=item.category, state="done",
                    priority=False, item_code=item.code, expected_minutes=10.0, window=window,
                    staff_id=f"1{window:04d}", issued_at=issued, queued_at=issued,
                    called_at=called, first_called_at=called,
                    serving_at=called + timedelta(seconds=60),
                    finished_at=finished, recalls=0, outcome="completed",
                    public_token=f"bulk{n}", channel="kiosk", people_ahead_at_issue=0))
                if n % 3 == 0:
                    ratings.append(values(
                        hall_id=hall, ticket_id=n, service_day=day, window=window,
                        staff_id=f"1{window:04d}", category=item.category,
                        item_code=item.code, level=rng.choice([5, 5, 4, 3, 2]), reasons=[],
                        comment=None, source="pad", pad_id="pad-1", rated_at=finished,
                        flags=[], excluded=False))
        day += timedelta(days=1)
    with services.ctx.db.write() as session:
        session.execute(insert(TicketRow), tickets)
        session.execute(insert(RatingRow), ratings)
