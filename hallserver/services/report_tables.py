"""The report's shape: every section is a `Table` (typed columns, rows of cells), so the
page, the CSV and the XLSX show the same numbers from one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from hallserver.services.views import View

Kind = Literal["text", "i18n", "int", "min", "pct", "num", "flag"]
"""text: plain string · i18n: {zh, en} · int: count · min: minutes (1 decimal) ·
pct: share 0..1 (4 decimals) · num: number (1 decimal) · flag: true/false."""


class Words(BaseModel):
    """A text in Chinese and English."""

    zh: str
    en: str


Cell = Words | int | float | str | bool | None


class Column(View):
    """A column: key, header in both languages, kind of its cells."""

    key: str
    zh: str
    en: str
    kind: Kind


class Table(View):
    """One section of the report."""

    key: str
    title: Words
    columns: list[Column]
    rows: list[list[Cell]]
    note: Words | None = None


class Report(View):
    """A whole report: the period, the month of the monthly sections, every table."""

    period: str
    date_from: date
    date_to: date
    month_from: date
    month_to: date
    service_days: int
    month_service_days: int
    month_elapsed_days: int
    includes_today: bool
    timezone: str
    generated_at: datetime
    tables: list[Table]

    def table(self, key: str) -> Table:
        """A table by key (KeyError when absent)."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


def col(key: str, zh: str, en: str, kind: Kind = "int") -> Column:
    """A column (shorthand)."""
    return Column(key=key, zh=zh, en=en, kind=kind)


def words(zh: str, en: str) -> Words:
    """A bilingual text (shorthand)."""
    return Words(zh=zh, en=en)


@dataclass
class Stats:
    """Ticket counts and time sums of one group, as SQL returns them (added up freely)."""

    issued: int = 0
    done: int = 0
    no_show: int = 0
    cancelled: int = 0
    called: int = 0
    wait_s: float = 0.0
    served: int = 0
    service_s: float = 0.0
    eligible: dict[int, int] = field(default_factory=dict)  # target minutes -> tickets
    within: dict[int, int] = field(default_factory=dict)

    def add(self, other: Stats) -> None:
        """Add another group's counts."""
        self.issued += other.issued
        self.done += other.done
        self.no_show += other.no_show
        self.cancelled += other.cancelled
        self.called += other.called
        self.wait_s += other.wait_s
        self.served += other.served
        self.service_s += other.service_s
        for k, v in other.eligible.items():
            self.eligible[k] = self.eligible.get(k, 0) + v
        for k, v in other.within.items():
            self.within[k] = self.within.get(k, 0) + v

    @property
    def pending(self) -> int:
        """Tickets not finished (waiting, called or serving when the report was made)."""
        return self.issued - self.done - self.no_show - self.cancelled


@dataclass
class Levels:
    """Rating counts of one group."""

    by_level: dict[int, int] = field(default_factory=dict)  # counted ratings
    defaults: int = 0  # of which the provincial default
    excluded: int = 0  # taken out of the scores (appeal upheld, review)

    def add(self, level: int, n: int, *, default: bool, excluded: bool) -> None:
        """Count n ratings of a level."""
        if excluded:
            self.excluded += n
            return
        self.by_level[level] = self.by_level.get(level, 0) + n
        if default:
            self.defaults += n

    @property
    def counted(self) -> int:
        """Ratings that count."""
        return sum(self.by_level.values())
