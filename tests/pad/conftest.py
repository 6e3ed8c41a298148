"""The hall-bus fixtures (`hall`: the hall server on amqtt and on Mosquitto) for the pad's
end-to-end test, taken from tests/hallbus rather than copied."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HALLBUS = Path(__file__).resolve().parents[1] / "hallbus"
if str(HALLBUS) not in sys.path:
    sys.path.insert(0, str(HALLBUS))  # hallbus_support, as the hallbus tests import it

_spec = importlib.util.spec_from_file_location("hallbus_fixtures", HALLBUS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

secrets_file = _fixtures.secrets_file
hall_accounts = _fixtures.hall_accounts
hall = _fixtures.hall
