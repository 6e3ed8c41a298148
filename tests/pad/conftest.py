"""The hall-bus fixtures (`hall`: the hall server on amqtt and on Mosquitto) for the pad's
end-to-end test, taken from tests/hallbus rather than copied."""

from __future__ import annotations

from support import share_hallbus_fixtures

share_hallbus_fixtures(globals())
