"""Fixtures for the hall server on a real bus: the whole app (HTTP + MQTT) with devices.

`hall` is parametrised over the embedded amqtt broker and a real Mosquitto (config from
`write_mosquitto_config`, accounts from the demo hall's device files). Each test gets a fresh
app on a temporary SQLite database, a fresh secrets file and a fresh broker. Set
ONEWINDOW_REQUIRE_MOSQUITTO=1 to make a missing Mosquitto a failure instead of a skip.

Tests wait on events with deadlines (`wait_until`, `Inbox.wait`), never on bare sleeps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hallbus_support import HALL, Hall
from harness.mosquitto import MosquittoServer, mosquitto_available
from harness.ports import stable_port
from support import DEMO_CONFIG, migrated_sqlite

from devices.config.provision import ensure_secrets
from devices.config.secret import SERVER_SECRET, required_secrets
from hallserver.bus import embedded
from hallserver.bus.accounts import BrokerAccount
from hallserver.bus.wiring import load_hall_devices
from hallserver.config.loader import load_hall
from hallserver.settings import Settings

DEMO_DEVICES = DEMO_CONFIG.parent / "devices"


@pytest.fixture(scope="session")
def secrets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fresh broker passwords for the demo hall's devices and the server (one set per run)."""
    path = tmp_path_factory.mktemp("hallbus-secrets") / "secrets.yaml"
    names = [*required_secrets(sorted(DEMO_DEVICES.glob("*.yaml"))), SERVER_SECRET]
    ensure_secrets(names, path)
    return path


@pytest.fixture(scope="session")
def hall_accounts(secrets_file: Path) -> list[BrokerAccount]:
    """The broker accounts of the demo hall (its devices and the server), for Mosquitto."""
    settings = Settings(config=DEMO_CONFIG, secrets=secrets_file)
    return load_hall_devices(settings, load_hall(DEMO_CONFIG)).accounts


def _require_mosquitto() -> None:
    reason = mosquitto_available()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_MOSQUITTO") == "1":
            pytest.fail(f"Mosquitto required but unavailable: {reason}")
        pytest.skip(reason)


@pytest.fixture(params=["amqtt", "mosquitto"])
def hall(request: pytest.FixtureRequest, tmp_path: Path, secrets_file: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Hall]:
    """The demo hall server (HTTP + bus) on each broker, with a fresh database."""
    kind: str = request.param
    # Cheaper in-memory password hashes for the embedded broker (107 accounts at each start);
    # each hash records its own cost, so verification is unchanged.
    monkeypatch.setattr(embedded, "HASH_ITERATIONS", 1_000)
    base = Settings(config=DEMO_CONFIG, database_url=migrated_sqlite(tmp_path),
                    secrets=secrets_file, enforce_hours=False,
                    mqtt_port=stable_port())  # restarts reuse it: see harness/ports.py
    broker: MosquittoServer | None = None
    if kind == "mosquitto":
        _require_mosquitto()
        accounts = request.getfixturevalue("hall_accounts")
        broker = MosquittoServer(hall_id=HALL, accounts=accounts).start()
        settings = base.model_copy(update={"mqtt_url": f"mqtt://127.0.0.1:{broker.port}"})
    else:
        settings = base
    h = Hall(kind, settings, secrets_file, broker, tmp_path)
    try:
        h.start_server()
        yield h
    finally:
        try:
            h.close_devices()
            h.stop_server()
        finally:
            if broker is not None:
                broker.close()
