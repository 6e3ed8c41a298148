"""An item's time limit in its own unit (#20 item 2): working days, natural days or service
hours; the receipt's date follows it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from support import SHANGHAI

from hallserver.config.models import LimitUnit
from hallserver.services import Services
from hallserver.services.cases import promised_deadline
from hallserver.services.layout import LayoutService

ACCEPTED = datetime(2026, 12, 4, 16, 40, tzinfo=SHANGHAI)  # a Friday, 20 min before closing


@pytest.mark.parametrize(("limit", "unit", "due"), [
    (0, LimitUnit.WORKING_DAYS, datetime(2026, 12, 4, 17, 0)),  # 即办: the same day
    (3, LimitUnit.WORKING_DAYS, datetime(2026, 12, 9, 17, 0)),  # Mon, Tue, Wed
    (2, LimitUnit.NATURAL_DAYS, datetime(2026, 12, 7, 17, 0)),  # Sunday moves to Monday
    (5, LimitUnit.NATURAL_DAYS, datetime(2026, 12, 9, 17, 0)),
    (1, LimitUnit.HOURS, datetime(2026, 12, 7, 9, 40)),  # 20 min Friday, 40 min Monday
    (0, LimitUnit.HOURS, datetime(2026, 12, 4, 17, 0)),  # 即办 in any unit: the same day
])
def test_a_limit_counts_in_its_unit(make_services: Callable[..., Services], sqlite_url: str,
                                    limit: int, unit: LimitUnit, due: datetime) -> None:
    services = make_services(sqlite_url)
    layout: LayoutService = services.layout
    with services.ctx.db.read() as session:
        calendar = services.ctx.calendar(layout.current(session))
    assert promised_deadline(calendar, ACCEPTED, limit, unit) == due.replace(tzinfo=SHANGHAI)
