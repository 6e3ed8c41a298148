"""Fixtures of the pure domain tests (the hall itself is built in domain_support.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from domain_support import MONDAY, TicketFactory, at, build_hall

from hallserver.config.models import HallConfig, RoutingConfig
from hallserver.domain.calendar import HallCalendar
from hallserver.domain.routing import WindowView


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
