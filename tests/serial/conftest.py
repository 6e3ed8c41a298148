"""Fixtures for the serial agent tests: the hall-bus fixtures (`hall` on amqtt and Mosquitto,
`secrets_file`, `hall_accounts`) loaded from tests/hallbus/conftest.py, not copied."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HALLBUS = Path(__file__).resolve().parents[1] / "hallbus"
if str(HALLBUS) not in sys.path:
    sys.path.insert(0, str(HALLBUS))

_spec = importlib.util.spec_from_file_location("serial_hallbus_fixtures", HALLBUS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_hallbus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_hallbus)

hall = _hallbus.hall
secrets_file = _hallbus.secrets_file
hall_accounts = _hallbus.hall_accounts
