"""Fixtures for the serial agent tests: the hall-bus fixtures (`hall` on amqtt and Mosquitto,
`secrets_file`, `hall_accounts`) loaded from tests/hallbus/conftest.py, not copied."""

from __future__ import annotations

from support import share_hallbus_fixtures

share_hallbus_fixtures(globals())
