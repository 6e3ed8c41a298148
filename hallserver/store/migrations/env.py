"""Alembic environment: runs on the connection handed in by Database.migrate()."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hallserver.store.models import Base

config = context.config
target = Base.metadata


def run() -> None:
    """Run migrations online, on a given connection or a fresh engine."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target, render_as_batch=True)
    context.run_migrations()


run()
