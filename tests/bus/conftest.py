"""Fixtures for broker tests: the demo hall on a real Mosquitto and on the embedded amqtt.

`broker` is parametrised over both, so every test using it runs against each; `mqtt` makes
connected peers on it (closed at teardown). Set ONEWINDOW_REQUIRE_MOSQUITTO=1 to make a
missing Mosquitto a failure instead of a skip (CI does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from harness.brokers import ACCOUNTS, HALL, BrokerEndpoint, Clients
from harness.mosquitto import MosquittoServer, mosquitto_available

from hallserver.bus.embedded import EmbeddedBroker


@pytest.fixture
def mosquitto() -> Iterator[MosquittoServer]:
    """A fresh Mosquitto for the demo hall (config from write_mosquitto_config)."""
    reason = mosquitto_available()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_MOSQUITTO"):
            pytest.fail(f"Mosquitto required but unavailable: {reason}")
        pytest.skip(reason)
    with MosquittoServer(hall_id=HALL, accounts=ACCOUNTS) as server:
        yield server


@pytest.fixture
def amqtt_broker() -> Iterator[EmbeddedBroker]:
    """A fresh embedded amqtt broker for the demo hall on 127.0.0.1, a free port."""
    with EmbeddedBroker(HALL, ACCOUNTS) as broker:
        yield broker


@pytest.fixture(params=[pytest.param("mosquitto", marks=pytest.mark.slow), "amqtt"])
def broker(request: pytest.FixtureRequest) -> BrokerEndpoint:
    """Each broker in turn, fresh for the test."""
    if request.param == "mosquitto":
        server: MosquittoServer = request.getfixturevalue("mosquitto")
        return BrokerEndpoint("mosquitto", server.host, server.port)
    embedded: EmbeddedBroker = request.getfixturevalue("amqtt_broker")
    return BrokerEndpoint("amqtt", embedded.host, embedded.port)


@pytest.fixture
def mqtt(broker: BrokerEndpoint) -> Iterator[Clients]:
    clients = Clients(broker)
    yield clients
    clients.close()


