"""Shared fixtures: a fake hall clock, databases (SQLite and a real PostgreSQL), the app."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import contract
import pytest
from fastapi.testclient import TestClient
from harness.postgres import PostgresServer, postgres_available
from hypothesis import settings
from support import DEMO_CONFIG, MONDAY_MORNING, FakeClock, migrated_sqlite, seed_users

from hallserver.app import build_services, create_app
from hallserver.services import Services
from hallserver.settings import Settings

# No per-example deadline: a busy machine must not fail a property (timings live in benchmarks).
settings.register_profile("onewindow", deadline=None)
# Under shifted dates the properties run again for what the date changes, not for breadth.
settings.register_profile("dates", deadline=None, max_examples=5)
# A deeper search by hand: pytest --hypothesis-profile=thorough tests/domain
settings.register_profile("thorough", deadline=None, max_examples=3000)
settings.load_profile(os.environ.get("ONEWINDOW_HYPOTHESIS_PROFILE", "onewindow"))

# The date-sensitive tests that ./scripts/test --dates runs under shifted dates (marked
# `shifted` here): these folders, without PostgreSQL (its server would run shifted too) and
# without the slow ones (browsers, Kivy, subprocesses) unless marked `dates`.
TESTS = Path(__file__).parent
SHIFTED_FOLDERS = frozenset({"domain", "api", "pad", "kiosk", "web"})


def _date_sensitive(item: pytest.Item) -> bool:
    if not item.path.is_relative_to(TESTS) or \
            item.path.relative_to(TESTS).parts[0] not in SHIFTED_FOLDERS:
        return False
    if item.get_closest_marker("postgres") is not None:
        return False
    return item.get_closest_marker("slow") is None or item.get_closest_marker("dates") is not None


BROKER_PARAMS = ("hall", "broker", "broker_port")  # fixtures run on amqtt and on Mosquitto
BROKER_TESTS = Path(__file__).parent / "bus"  # the brokers themselves: both, always


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: `-m shifted` sees the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A fixture that runs on either broker gives a use-case test the embedded amqtt only;
    tests of broker behaviour (marked `both_brokers`, or in tests/bus) take both. The
    date-sensitive tests are marked `shifted`."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if _date_sensitive(item):
            item.add_marker("shifted")
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_mosquitto = any(params.get(name) == "mosquitto" for name in BROKER_PARAMS)
        broker_test = (item.get_closest_marker("both_brokers") is not None
                       or item.path.is_relative_to(BROKER_TESTS))
        (dropped if on_mosquitto and not broker_test else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


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
    """A new SQLite database at the newest schema."""
    return migrated_sqlite(tmp_path)


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
def client(sqlite_url: str, clock: FakeClock,
           request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The app on SQLite with users seeded; the clock is on a Monday morning. A test's
    `@pytest.mark.settings(name=value, ...)` overrides settings (e.g. a rate limit). Every
    response is checked against the API's OpenAPI document (tests/contract.py)."""
    marker = request.node.get_closest_marker("settings")
    overrides = marker.kwargs if marker is not None else {}
    app = create_app(Settings(config=DEMO_CONFIG, database_url=sqlite_url, bus=False,
                              **overrides), clock=clock)
    seed_users(app.state.services)
    with TestClient(app) as c:
        contract.install(c, app)  # every response checked against the OpenAPI document
        yield c


