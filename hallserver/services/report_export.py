"""Report tables as CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX (one sheet per
table, headers in the chosen language, numbers as numbers)."""

from __future__ import annotations

import csv
import io
from typing import Literal

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from hallserver.services.report_tables import Cell, Column, Report, Table, Words

Lang = Literal["zh", "en"]
FLAG_WORDS = {"zh": ("是", ""), "en": ("yes", "")}
NUMBER_FORMATS = {"int": "0", "min": "0.0", "num": "0.0", "pct": "0.0%"}
SHEET_NAME_MAX = 31  # Excel's limit


def cell_text(value: Cell, column: Column, lang: Lang) -> str:
    """A cell as text: percentages as 85.71%, minutes to 1 decimal, flags as 是 / yes."""
    if value is None:
        return ""
    if isinstance(value, Words):
        return value.zh if lang == "zh" else value.en
    if column.kind == "flag":
        return FLAG_WORDS[lang][0 if value else 1]
    if column.kind == "pct" and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if column.kind in {"min", "num"} and isinstance(value, int | float):
        return f"{value:.1f}"
    return str(value)


def _header(column: Column, lang: Lang) -> str:
    return column.zh if lang == "zh" else column.en


def _title(table: Table, lang: Lang) -> str:
    return table.title.zh if lang == "zh" else table.title.en


def to_csv(table: Table, lang: Lang = "zh") -> bytes:
    """One table as CSV bytes (UTF-8 with BOM, CRLF line ends as Excel writes them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_header(c, lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(v, c, lang) for v, c in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_name(table: Table, lang: Lang, used: set[str]) -> str:
    base = _title(table, lang)
    for bad in "[]:*?/\\":
        base = base.replace(bad, "·")
    name = base[:SHEET_NAME_MAX]
    n = 2
    while name in used:
        suffix = f" {n}"
        name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def to_xlsx(report: Report, tables: list[Table], lang: Lang = "zh") -> bytes:
    """The tables as a workbook: one sheet each, a bold header row, the note under the
    table, numbers stored as numbers (shares as fractions shown as percentages)."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    used: set[str] = set()
    period = (f"{report.date_from.isoformat()} – {report.date_to.isoformat()}")
    for table in tables:
        ws = wb.create_sheet(_sheet_name(table, lang, used))
        ws.append([_header(c, lang) for c in table.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE7F5")
        for row in table.rows:
            ws.append([_xlsx_value(v, c, lang) for v, c in zip(row, table.columns,
                                                               strict=True)])
        for i, column in enumerate(table.columns, start=1):
            fmt = NUMBER_FORMATS.get(column.kind)
            letter = get_column_letter(i)
            if fmt:
                for r in range(2, len(table.rows) + 2):
                    ws[f"{letter}{r}"].number_format = fmt
            width = max([len(_header(column, lang)) * (2 if lang == "zh" else 1)]
                        + [len(cell_text(row[i - 1], column, lang)) * 2 for row in table.rows]
                        + [6])
            ws.column_dimensions[letter].width = min(40, width + 2)
        ws.freeze_panes = "A2"
        foot = len(table.rows) + 3
        ws.cell(row=foot, column=1, value=f"{_title(table, lang)} · {period}")
        if table.note:
            ws.cell(row=foot + 1, column=1, value=table.note.zh if lang == "zh"
                    else table.note.en)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(value: Cell, column: Column, lang: Lang) -> object:
    if value is None:
        return None
    if isinstance(value, Words) or column.kind in {"flag", "text", "i18n"}:
        return cell_text(value, column, lang)
    return value
