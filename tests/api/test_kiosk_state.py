"""What the server tells kiosks: accepting, catalog version, categories at their daily cap."""

from __future__ import annotations

from fastapi.testclient import TestClient
from support import take

from hallserver.services.displays import DisplayService
from hallserver.store.models import TicketCounterRow


def test_kiosk_state_names_full_categories_and_the_catalog_version(client: TestClient) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    displays = DisplayService(services.ctx, services.windows, services.queues)
    state = displays.kiosk(version=7)
    assert state.accepting and state.full == [] and state.catalog_version == 1
    assert take(client, {"category": "A"}).status_code == 201
    with services.ctx.db.write() as s:
        cfg = services.ctx.layout.current(s)
        qiye = cfg.category("A")
        counter = s.get(TicketCounterRow, ("demo", qiye.code, services.ctx.today(cfg)))
        counter.last_seq = qiye.daily_cap
    state = displays.kiosk(version=8)
    assert state.full == [qiye.code]
    assert state.waiting[qiye.code] == 1
    r = take(client, {"category": "A"})
    assert r.status_code == 409
