"""Alembic migrations agree with the SQLAlchemy models, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text

from hallserver.store.db import Database, alembic_config
from hallserver.store.models import Base, TicketEventRow, TicketRow


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url, "demo")
    yield database
    database.close()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_diff(db: Database) -> list[object]:
    """What autogenerate would still have to write to bring the schema to the models."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_migrate_on_empty_database_creates_the_models_schema(db: Database) -> None:
    assert table_names(db) == set()
    db.migrate()
    assert current_revision(db) == head_revision()
    assert table_names(db) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_diff(db) == []


def test_migrate_twice_is_a_no_op(db: Database) -> None:
    db.migrate()
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO ticket_counters (hall_id, category, service_day, last_seq) "
            "VALUES ('demo', 'qiye', '2026-11-23', 7)"
        ))
    inspector = inspect(db.engine)
    columns_before = {t: inspector.get_columns(t) for t in Base.metadata.tables}

    db.migrate()

    assert current_revision(db) == head_revision()
    inspector = inspect(db.engine)
    columns_after = {t: inspector.get_columns(t) for t in Base.metadata.tables}
    assert repr(columns_after) == repr(columns_before)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        assert conn.execute(text("SELECT last_seq FROM ticket_counters")).scalar_one() == 7
    assert schema_diff(db) == []


def test_downgrade_to_base_and_upgrade_again(db: Database) -> None:
    db.migrate()
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert table_names(db) <= {"alembic_version"}
    assert current_revision(db) is None

    db.migrate()
    assert current_revision(db) == head_revision()
    assert schema_diff(db) == []


def test_0007_takes_each_tickets_first_call_from_the_audit_trail(db: Database) -> None:
    """Tickets from before 0007 get `first_called_at` = their first `call` event (a recall or
    a later call after a requeue does not count); never-called tickets stay NULL. Down to
    0006 and up again with the rows in place (the column is added and dropped in place)."""
    db.migrate()
    t0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    with db.engine.begin() as conn:
        for n in (1, 2):
            conn.execute(insert(TicketRow).values(
                id=n, hall_id="demo", service_day=t0.date(), number=f"A00{n}",
                issued_category="qiye", category="qiye", state="waiting", priority=False,
                issued_at=t0, queued_at=t0, recalls=0, public_token=f"tok{n}",
                channel="kiosk", people_ahead_at_issue=0))
        for at_min, action in ((5, "call"), (6, "recall"), (9, "requeue"), (40, "call")):
            conn.execute(insert(TicketEventRow).values(
                ticket_id=1, at=t0 + timedelta(minutes=at_min), action=action,
                to_state="called"))
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert "first_called_at" not in {c["name"] for c in inspect(db.engine).get_columns("tickets")}
    db.migrate()
    with db.engine.connect() as conn:
        got = dict(conn.execute(select(TicketRow.id, TicketRow.first_called_at)).tuples().all())
    assert got == {1: t0 + timedelta(minutes=5), 2: None}


def test_0008_gives_http_keys_their_own_namespace(db: Database) -> None:
    """Keys stored before 0008 that are not the device bus's (`mqtt:...`) were HTTP headers:
    they become `http:<key>`; down to 0007 and up again keeps every key's ticket."""
    db.migrate()
    t0 = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    with db.engine.begin() as conn:
        conn.execute(insert(TicketRow).values(
            id=1, hall_id="demo", service_day=t0.date(), number="C001",
            issued_category="shebao", category="shebao", state="waiting", priority=False,
            issued_at=t0, queued_at=t0, recalls=0, public_token="tok1",
            channel="http", people_ahead_at_issue=0))
    with db.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    with db.engine.begin() as conn:
        for key in ("kiosk-1-000042", "mqtt:kiosk-a1:req-1", "x" * 128):
            conn.execute(text("INSERT INTO idempotency_keys "
                              "(hall_id, key, request_hash, ticket_id, created_at) "
                              "VALUES ('demo', :key, 'h', 1, :at)"), {"key": key, "at": t0})
    db.migrate()
    with db.engine.connect() as conn:
        keys = sorted(conn.execute(text("SELECT key FROM idempotency_keys")).scalars())
    assert keys == sorted(["http:kiosk-1-000042", "mqtt:kiosk-a1:req-1", "http:" + "x" * 128])
    assert schema_diff(db) == []
