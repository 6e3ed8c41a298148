"""Entering next year's holiday notice without a release (#20 item 6): `hallserver calendar
add` validates it like the shipped calendar and lays it over it, in the site calendar file and
in the live layout; `hallserver calendar status` says when a year is due.

The notices here are test data built from the law's statutory days, not a real notice."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import DEMO_CONFIG, MONDAY_MORNING, migrated_sqlite

from hallserver.cli import main
from hallserver.config.loader import load_hall
from hallserver.domain.holidays import statutory_holidays
from hallserver.services.layout import LayoutService
from hallserver.store.db import Database


@pytest.fixture
def hall_file(tmp_path: Path) -> Path:
    """A copy of the demo hall (its staff photos too), free to gain a site calendar."""
    target = tmp_path / "hall"
    shutil.copytree(DEMO_CONFIG.parent, target, ignore=shutil.ignore_patterns("devices"))
    return target / "hall.yaml"


def notice(year: int, **changes: Any) -> dict[str, Any]:
    """A notice closing exactly the statutory days (no 调休)."""
    body: dict[str, Any] = {
        "schema_version": 1, "name": "test notice", "source": [f"test notice for {year}"],
        "years": [year],
        "holidays": [{"name": f"{h.zh} {h.en}", "start": h.days[0].isoformat(),
                      "end": h.days[-1].isoformat()} for h in statutory_holidays(year)],
        "makeup_workdays": []}
    body.update(changes)
    return body


def write(path: Path, body: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def test_a_year_entered_makes_its_deadlines_firm(hall_file: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--config", str(hall_file)]
    assert load_hall(hall_file).service_days.covers_until == date(2026, 12, 31)
    assert main(["calendar", "status", *args, "--today", "2026-12-07"]) == 3
    assert "2027年节假日安排尚未录入" in capsys.readouterr().out
    assert main(["calendar", "status", *args, "--today", "2026-10-31"]) == 0

    body = write(tmp_path / "n2027.yaml", notice(2027, makeup_workdays=["2027-02-20"]))
    assert main(["calendar", "add", str(body), *args, "--no-database"]) == 0
    assert "deadlines are firm until 2027-12-31" in capsys.readouterr().out
    site = hall_file.parent / "calendars" / "cn-mainland.yaml"
    assert yaml.safe_load(site.read_text(encoding="utf-8"))["years"] == [2027]
    days = load_hall(hall_file).service_days
    assert days.covers_until == date(2027, 12, 31)
    assert date(2027, 2, 5) in days.holidays and date(2027, 2, 20) in days.makeup_workdays
    assert date(2026, 2, 16) in days.holidays  # the shipped years stay
    assert main(["calendar", "status", *args, "--today", "2026-12-07"]) == 0

    # Entering it twice needs --replace (a corrected notice).
    assert main(["calendar", "add", str(body), *args, "--no-database"]) == 1
    assert "--replace" in capsys.readouterr().out
    fixed = write(tmp_path / "fix.yaml", notice(2027))
    assert main(["calendar", "add", str(fixed), *args, "--no-database", "--replace"]) == 0
    assert date(2027, 2, 20) not in load_hall(hall_file).service_days.makeup_workdays


@pytest.mark.parametrize(("change", "said"), [
    ({"holidays": notice(2027)["holidays"][:-1]}, "2027 国庆节 2027-10-01..2027-10-03"),
    ({"makeup_workdays": ["2027-02-17"]}, "is not a weekend day"),
    ({"holidays": [*notice(2027)["holidays"],
                   {"name": "extra", "start": "2027-10-03", "end": "2027-10-07"}]}, "overlap"),
])
def test_a_notice_that_breaks_the_rules_is_refused_with_its_file(
        hall_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        change: dict[str, Any], said: str) -> None:
    body = write(tmp_path / "bad.yaml", notice(2027, **change))
    assert main(["calendar", "add", str(body), "--config", str(hall_file),
                 "--no-database"]) == 1
    out = capsys.readouterr().out
    assert said in out and "bad.yaml" in out
    assert not (hall_file.parent / "calendars").exists()  # nothing written


def test_the_live_layout_takes_the_year_and_keeps_admin_edits(
        hall_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = migrated_sqlite(tmp_path)
    monkeypatch.setenv("HALL_DATABASE_URL", url)
    db = Database(url, "demo")
    layout = LayoutService(db, "demo", lambda: MONDAY_MORNING)
    layout.seed_from_file(hall_file)
    with db.read() as s:
        cfg = layout.current(s)
    edit = cfg.hall.model_copy(update={"phone": "021-00000000"})  # not in the file
    layout.save(cfg.model_copy(update={"hall": edit}), source="admin", actor="admin")
    body = write(tmp_path / "n2027.yaml", notice(2027))
    assert main(["calendar", "add", str(body), "--config", str(hall_file)]) == 0
    with db.read() as s:
        live = layout.current(s)
    assert live.service_days.covers_until == date(2027, 12, 31)
    assert date(2027, 10, 1) in live.service_days.holidays
    assert live.hall.phone == "021-00000000"
    db.close()
