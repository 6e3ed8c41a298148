"""统计报表 over HTTP (managers): the whole report as JSON, any table as CSV or XLSX."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from hallserver.api.deps import ManagerUser, ServicesDep
from hallserver.domain.errors import InvalidRequest
from hallserver.domain.reports import Period
from hallserver.services.report_export import to_csv, to_xlsx
from hallserver.services.report_tables import Report

router = APIRouter(tags=["reports"])

PeriodQ = Annotated[Period, Query(description="day, week (Monday to Sunday) or month")]
FIRST_YEAR, LAST_YEAR = 2000, 2100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(services: ServicesDep, period: Period, day: date | None) -> Report:
    if day is None:
        with services.ctx.db.read() as session:
            day = services.ctx.today(services.layout.current(session))
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidRequest(f"日期须在{FIRST_YEAR}至{LAST_YEAR}年之间",
                             f"the date must be between {FIRST_YEAR} and {LAST_YEAR}")
    return services.reports.report(period, day)


@router.get("/api/reports")
def report(services: ServicesDep, _user: ManagerUser, period: PeriodQ = Period.DAY,
           day: Annotated[date | None, Query(alias="date", description="a date in the "
                                             "period (default: today)")] = None) -> Report:
    """Tickets by item, category, window and staff; wait and service time distributions;
    share called within 20 and 30 minutes by hour; satisfaction by window and staff;
    差评整改 on time and overdue; 高频/低频 items and the monthly window ranking (红旗窗口)."""
    return _report(services, period, day)


@router.get("/api/reports/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def export(services: ServicesDep, _user: ManagerUser, period: PeriodQ = Period.DAY,
           day: Annotated[date | None, Query(alias="date", description="a date in the "
                                             "period (default: today)")] = None,
           fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "xlsx",
           table: Annotated[str | None, Query(max_length=40, description="one table's key "
                                              "(CSV needs one; XLSX: every table without)")]
           = None,
           lang: Literal["zh", "en"] = "zh") -> Response:
    """A table as CSV (UTF-8 with BOM), or the tables as an XLSX workbook (one sheet each)."""
    rep = _report(services, period, day)
    keys = [t.key for t in rep.tables]
    if table is not None and table not in keys:
        raise InvalidRequest(f"没有这张报表：可选 {', '.join(keys)}",
                             f"no such table; one of {', '.join(keys)}")
    if fmt == "csv" and table is None:
        raise InvalidRequest("CSV 每次导出一张表，请指定 table", "a CSV holds one table: "
                             "name it with table=")
    tables = [rep.table(table)] if table else rep.tables
    name = f"onewindow-report-{rep.period}-{rep.date_from.isoformat()}"
    if table:
        name += f"-{table}"
    if fmt == "csv":
        body, media = to_csv(tables[0], lang), "text/csv; charset=utf-8"
    else:
        body, media = to_xlsx(rep, tables, lang), XLSX
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store"})
