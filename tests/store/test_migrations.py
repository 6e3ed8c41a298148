"""Alembic migrations agree with the SQLAlchemy models, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from hallserver.store.db import Database, alembic_config
from hallserver.store.models import Base


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
