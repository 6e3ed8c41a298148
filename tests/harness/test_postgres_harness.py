"""Self-test of the throwaway PostgreSQL harness: start, use, stop, and nothing left behind."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import create_engine, text

from .postgres import HOST, PostgresServer, postgres_available

logger = logging.getLogger(__name__)

_REASON = postgres_available()

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(_REASON is not None, reason=_REASON or ""),
]


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def test_start_query_and_stop() -> None:
    server = PostgresServer()
    with server:
        port = server.port
        tmp_dir = server.tmp_dir
        assert tmp_dir is not None
        assert tmp_dir.is_dir()
        assert server.startup_seconds is not None
        logger.info("throwaway PostgreSQL started in %.2fs", server.startup_seconds)

        url = server.create_database("harness_selftest")
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/harness_selftest"

        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("select 1")).scalar_one() == 1
                assert conn.execute(text("show listen_addresses")).scalar_one() == "127.0.0.1"
                assert conn.execute(text("select current_database()")).scalar_one() == (
                    "harness_selftest"
                )
        finally:
            engine.dispose()
        assert _accepts_connections(port)

    assert not server.running
    assert not _accepts_connections(port)
    assert not tmp_dir.exists()
    server.stop()  # idempotent


def test_create_database_rejects_odd_names() -> None:
    with PostgresServer() as server, pytest.raises(ValueError, match="unsupported database name"):
        server.create_database("bad-name; drop")
