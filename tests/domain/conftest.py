"""Fixtures of the pure domain tests (the hall itself is built in domain_support.py)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

# The project is not installed into .venv and pyproject sets no pytest `pythonpath`, so
# `.venv/bin/pytest` would not find `hallserver`; make the checkout importable. Remove once
# `[tool.pytest.ini_options] pythonpath = ["."]` (or an editable install) is in place.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from domain_support import MONDAY, TicketFactory, at, build_hall  # noqa: E402

from hallserver.config.models import HallConfig, RoutingConfig  # noqa: E402
from hallserver.domain.calendar import HallCalendar  # noqa: E402
from hallserver.domain.routing import WindowView  # noqa: E402


@pytest.fixture(scope="session")
def hall() -> HallConfig:
    """The shared test hall with default routing tuning."""
    return build_hall()


@pytest.fixture(scope="session")
def cfg(hall: HallConfig) -> RoutingConfig:
    """The hall's routing tuning."""
    return hall.routing


@pytest.fixture(scope="session")
def views(hall: HallConfig) -> dict[int, WindowView]:
    """Routing views of the hall's windows by number."""
    return {w.number: WindowView.of(w) for w in hall.windows}


@pytest.fixture(scope="session")
def calendar(hall: HallConfig) -> HallCalendar:
    """The hall's calendar in Asia/Shanghai."""
    return HallCalendar(hall.opening_hours, hall.service_days, ZoneInfo(hall.hall.timezone))


@pytest.fixture(scope="session")
def t0() -> datetime:
    """A moment in the morning session of an ordinary Monday."""
    return at(MONDAY, "10:00")


@pytest.fixture
def make_ticket(t0: datetime) -> TicketFactory:
    """A fresh ticket factory anchored at `t0`."""
    return TicketFactory(t0)
