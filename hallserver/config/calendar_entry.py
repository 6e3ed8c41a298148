"""Entering a year's State Council holiday notice without a release (`hallserver calendar
add`): the notice is a calendar file of its own (same schema as `calendars/cn-mainland.yaml`),
validated like it (every statutory day off inside a holiday, make-up days on weekends, no
overlaps), and merged into the hall's site calendar, `calendars/<name>.yaml` beside hall.yaml,
which the loader lays over the shipped one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from hallserver.config.loader import load_calendar, load_hall, site_calendar_file, validate_file
from hallserver.config.models import HallConfig, HolidayCalendar

HEADER = ("# Years this hall entered from the State Council's notices (hallserver calendar add);\n"
          "# laid over the shipped calendar of the same name. 本大厅录入的节假日安排。\n")


class CalendarEntryError(Exception):
    """A notice that cannot be entered, with the reason in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Entered:
    """What `add_notice` did."""

    site_file: Path
    years: list[int]
    covers_until: str  # the calendar's coverage now (ISO date)
    calendar: HolidayCalendar  # the notice as entered


def covered(hall_file: Path) -> tuple[str | None, HolidayCalendar | None]:
    """The hall's calendar name and the calendar it reads (shipped + site), if any."""
    name = validate_file(hall_file, HallConfig).service_days.calendar
    return (None, None) if name is None else (name, load_calendar(hall_file, name))


def add_notice(hall_file: Path, notice_file: Path, *, replace: bool = False) -> Entered:
    """Validate the notice and merge it into the hall's site calendar (ConfigError with file
    and line for a notice that is not valid; CalendarEntryError for one that cannot go in)."""
    name, current = covered(hall_file)
    site = site_calendar_file(hall_file, name) if name else None
    if name is None or current is None or site is None:
        raise CalendarEntryError(
            "hall.yaml 未使用内置节假日日历（service_days.calendar），请直接编辑其日历文件",
            "hall.yaml names no built-in holiday calendar (service_days.calendar): edit the "
            "calendar file it uses")
    notice = validate_file(notice_file, HolidayCalendar)
    clash = sorted(set(notice.years) & set(current.years))
    if clash and not replace:
        raise CalendarEntryError(
            f"{'、'.join(map(str, clash))}年已在节假日日历中；确需更正请加 --replace",
            f"{', '.join(map(str, clash))} already in the calendar; --replace to correct it")
    current.merged(notice)  # valid together with the years already there (or ValueError)
    mine = validate_file(site, HolidayCalendar) if site.is_file() else None
    entered = mine.merged(notice) if mine is not None else notice
    site.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(entered.model_dump(mode="json"), allow_unicode=True,
                          sort_keys=False, width=100)
    tmp = site.with_suffix(".yaml.tmp")
    tmp.write_text(HEADER + body, encoding="utf-8")
    tmp.replace(site)
    until = load_hall(hall_file).service_days.covers_until
    return Entered(site, sorted(notice.years), until.isoformat() if until else "-", notice)
