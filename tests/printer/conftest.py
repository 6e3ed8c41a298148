"""Fixtures for the printer tests: a real broker (amqtt, and Mosquitto where it runs) with a
printer account and the hall server's account.

Set ONEWINDOW_REQUIRE_MOSQUITTO=1 to make a missing Mosquitto a failure instead of a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from harness.brokers import HALL, BrokerEndpoint
from harness.mosquitto import MosquittoServer, mosquitto_available
from printer_support import BROKER_ACCOUNTS

from hallserver.bus.embedded import EmbeddedBroker


@pytest.fixture(params=["amqtt", pytest.param("mosquitto", marks=pytest.mark.slow)])
def broker(request: pytest.FixtureRequest) -> Iterator[BrokerEndpoint]:
    """A fresh broker for the demo hall with the printer's and the server's accounts."""
    if request.param == "amqtt":
        with EmbeddedBroker(HALL, BROKER_ACCOUNTS) as embedded:
            yield BrokerEndpoint("amqtt", embedded.host, embedded.port)
        return
    reason = mosquitto_available()
    if reason is not None:
        if os.environ.get("ONEWINDOW_REQUIRE_MOSQUITTO") == "1":
            pytest.fail(f"Mosquitto required but unavailable: {reason}")
        pytest.skip(reason)
    with MosquittoServer(hall_id=HALL, accounts=BROKER_ACCOUNTS) as server:
        yield BrokerEndpoint("mosquitto", server.host, server.port)
