"""Engine, transactions and migrations.

SQLite: WAL journal, `synchronous=FULL` (a committed ticket survives power loss), and every
write transaction starts with `BEGIN IMMEDIATE`, so read-then-write never hits "database is
locked" half way. PostgreSQL: each write transaction first takes a per-hall advisory lock,
which gives the same one-writer-per-hall order (gapless counters, no ticket called twice).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


SqliteSync = Literal["FULL", "NORMAL", "OFF"]


def _sqlite_connect(synchronous: SqliteSync) -> Callable[[DBAPIConnection, ConnectionPoolEntry],
                                                          None]:
    def connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own BEGIN is DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()
    return connect


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, sqlite_synchronous: SqliteSync = "FULL") -> Engine:
    """An engine configured for durability on SQLite and PostgreSQL."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_connect(sqlite_synchronous))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """The hall server's database: write and read transactions, migrations."""

    def __init__(self, url: str, hall_id: str, *, sqlite_synchronous: SqliteSync = "FULL") -> None:
        self.url = url
        self.hall_id = hall_id
        self.engine = make_engine(url, sqlite_synchronous)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writes = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock()
        # Reads see one snapshot: a deferred transaction on SQLite (WAL), REPEATABLE READ
        # on PostgreSQL (its default READ COMMITTED would mix moments within one overview).
        reader = (self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite
                  else self.engine.execution_options(isolation_level="REPEATABLE READ",
                                                     postgresql_readonly=True))
        self._reads = sessionmaker(reader, expire_on_commit=False)
        digest = hashlib.sha256(f"onewindow:{hall_id}".encode()).digest()
        self._lock_key = int.from_bytes(digest[:8], "big", signed=True)
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A serialised write transaction; commits on success, rolls back on error.

        Nested calls on the same thread join the outer transaction, so an adapter can commit
        a message's id together with the effect of the use case it runs (one commit)."""
        outer: Session | None = getattr(self._local, "session", None)
        if outer is not None:
            yield outer
            return
        # In-process writers queue on a mutex: SQLite's busy handler would otherwise make
        # them sleep and retry, which turns lock contention into long latency tails.
        pending: list[Callable[[], None]] = []
        with self._write_lock, self._writes() as session:
            self._local.session, self._local.pending = session, pending
            try:
                with session.begin():
                    if not self.is_sqlite:
                        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                        {"k": self._lock_key})
                    yield session
            finally:
                self._local.session = self._local.pending = None
        for callback in pending:
            try:
                callback()
            except Exception:
                logger.exception("after-commit callback failed")

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current write transaction commits (now if none is open)."""
        pending: list[Callable[[], None]] | None = getattr(self._local, "pending", None)
        if pending is None:
            callback()
        else:
            pending.append(callback)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        with self._reads() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (a quick look when it is there)."""
        with self.engine.begin() as conn:
            if MigrationContext.configure(conn).get_current_revision() == head_revision():
                return
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        logger.info("database schema at head (%s)", self.engine.dialect.name)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()


@functools.cache
def head_revision() -> str | None:
    """The newest revision of the packaged migrations (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg
