"""Shared fixtures: a fake hall clock, databases (SQLite and a real PostgreSQL), the app."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from harness.postgres import PostgresServer, postgres_available

import hallserver.services.auth
from hallserver.app import build_services, create_app
from hallserver.services import Services
from hallserver.services.auth import Role
from hallserver.settings import Settings

hallserver.services.auth.SCRYPT_N = 2**8  # fast hashes in tests; verification reads the cost

ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = ROOT / "firmware_configs" / "demo" / "hall.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "pw-test-123"
# Monday 2026-11-23 09:30 in Shanghai: a working day, inside the morning session.
MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


@dataclass
class FakeClock:
    """A settable clock; services read it through `clock()`."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_MORNING)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    reason = postgres_available()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unavailable: {reason}")
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


_db_names = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hall.db"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_names)}")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hall.db"


def seed_users(services: Services) -> None:
    """admin, manager and every roster member, all with PASSWORD."""
    services.auth.ensure_user("admin", "Admin", Role.ADMIN, PASSWORD)
    services.auth.ensure_user("manager", "Manager", Role.MANAGER, PASSWORD)
    with services.ctx.db.read() as session:
        layout = services.layout.current(session)
    services.auth.seed_staff(layout, PASSWORD)


ServicesFactory = Callable[..., Services]


@pytest.fixture
def make_services(clock: FakeClock) -> Iterator[ServicesFactory]:
    """Build services on a database URL (closed at teardown)."""
    built: list[Services] = []

    def make(url: str, *, config: Path = DEMO_CONFIG, enforce_hours: bool = True) -> Services:
        services = build_services(
            Settings(config=config, database_url=url, enforce_hours=enforce_hours), clock
        )
        built.append(services)
        return services

    yield make
    for s in built:
        s.ctx.db.close()


@pytest.fixture
def client(sqlite_url: str, clock: FakeClock) -> Iterator[TestClient]:
    """The app on SQLite with users seeded; the clock is on a Monday morning."""
    app = create_app(Settings(config=DEMO_CONFIG, database_url=sqlite_url), clock=clock)
    seed_users(app.state.services)
    with TestClient(app) as c:
        yield c


def login(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for a user (the test client's cookie jar is cleared)."""
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}
