"""A real, throwaway PostgreSQL server for tests.

The server is built from the Debian ``postgresql`` package binaries
(``/usr/lib/postgresql/<version>/bin``, highest version wins) with ``initdb`` and
``pg_ctl`` in a fresh temporary directory.  It listens only on ``127.0.0.1`` on a
free port, keeps its unix socket inside the temporary directory, trusts every local
connection as the ``postgres`` superuser and runs with ``fsync=off``: it is for
tests only and is thrown away (``pg_ctl stop -m immediate`` + directory removal)
by :meth:`PostgresServer.stop`.

``initdb`` refuses to run as root, so when the current process is root every
server-side command runs as the ``postgres`` system user (created by the Debian
package) through ``runuser -u postgres --``, and the temporary directory is
created under ``/tmp``, made traversable (0o755) and chowned to that user.

Usage::

    reason = postgres_available()
    if reason is None:
        with PostgresServer() as pg:
            url = pg.create_database("onewindow_test")
            # url == "postgresql+psycopg://postgres@127.0.0.1:<port>/onewindow_test"

This module deliberately does not import pytest; fixtures live in conftest files.
"""

from __future__ import annotations

import atexit
import logging
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from harness.ports import stable_port

logger = logging.getLogger(__name__)

PG_LIB_ROOT = Path("/usr/lib/postgresql")
"""Where the Debian ``postgresql-<version>`` packages put their ``<version>/bin``."""

REQUIRED_BINARIES: tuple[str, ...] = ("initdb", "pg_ctl", "pg_isready", "postgres")
SERVICE_USER = "postgres"
"""System user that owns and runs the server when we are root; also the superuser role."""

HOST = "127.0.0.1"
DEFAULT_STARTUP_TIMEOUT_S = 30.0
DEFAULT_BASE_DIR = "/tmp"  # must be traversable by the postgres user when root
_PORT_ATTEMPTS = 3
_LOG_TAIL_CHARS = 20_000
_DB_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_PORT_IN_USE_MARKERS = ("Address already in use", "could not bind", "could not create any TCP/IP")


class PostgresHarnessError(RuntimeError):
    """The throwaway PostgreSQL server could not be set up, started or used."""


def _version_key(name: str) -> tuple[int, ...] | None:
    """``"15"`` -> ``(15,)``, ``"9.6"`` -> ``(9, 6)``; anything else -> None."""
    parts = name.split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def find_bin_dir(root: Path = PG_LIB_ROOT) -> Path | None:
    """Return the ``bin`` dir of the highest installed PostgreSQL version, or None.

    Only versions whose ``bin`` holds every binary in :data:`REQUIRED_BINARIES`
    (as executables) are considered.
    """
    if not root.is_dir():
        return None
    candidates: list[tuple[tuple[int, ...], Path]] = []
    for entry in root.iterdir():
        key = _version_key(entry.name)
        if key is None:
            continue
        bin_dir = entry / "bin"
        if all(os.access(bin_dir / name, os.X_OK) for name in REQUIRED_BINARIES):
            candidates.append((key, bin_dir))
    if not candidates:
        return None
    return max(candidates)[1]


def _running_as_root() -> bool:
    return os.geteuid() == 0


def postgres_available() -> str | None:
    """Return None if a throwaway server can be started here, else the reason why not."""
    if find_bin_dir() is None:
        return (
            f"PostgreSQL server binaries ({', '.join(REQUIRED_BINARIES)}) not found under "
            f"{PG_LIB_ROOT}/*/bin; install the Debian 'postgresql' package"
        )
    if _running_as_root():
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return (
                f"running as root but there is no {SERVICE_USER!r} system user to run "
                "initdb/postgres as (normally created by the Debian 'postgresql' package)"
            )
        if shutil.which("runuser") is None:
            return "running as root but 'runuser' (util-linux) is not available"
    return None


def _child_env() -> dict[str, str]:
    """Environment for the PostgreSQL tools: no stray PG* settings, C locale messages."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.pop("LANGUAGE", None)
    env["LC_ALL"] = "C"
    return env


def _tail(text: str, limit: int = _LOG_TAIL_CHARS) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


class PostgresServer:
    """A throwaway PostgreSQL server on ``127.0.0.1:<port>`` living in a temp directory.

    Call :meth:`start` (or use it as a context manager), then :meth:`create_database`
    to get SQLAlchemy URLs; :meth:`stop` kills the server and deletes all its files.
    """

    def __init__(
        self,
        *,
        base_dir: str | os.PathLike[str] = DEFAULT_BASE_DIR,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT_S,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.startup_timeout = startup_timeout
        self.bin_dir: Path | None = None
        self.tmp_dir: Path | None = None
        self.startup_seconds: float | None = None
        """Wall-clock seconds :meth:`start` took (initdb + server start + readiness)."""
        self._port: int | None = None
        self._as_service_user = _running_as_root()
        self._initdb_output = ""
        self._atexit_registered = False

    # ------------------------------------------------------------------ paths
    @property
    def data_dir(self) -> Path:
        return self._require_tmp_dir() / "data"

    @property
    def log_path(self) -> Path:
        return self._require_tmp_dir() / "server.log"

    @property
    def port(self) -> int:
        """The TCP port the server listens on (127.0.0.1 only)."""
        if self._port is None:
            raise PostgresHarnessError("PostgreSQL server is not started")
        return self._port

    @property
    def running(self) -> bool:
        return self._port is not None

    def _require_tmp_dir(self) -> Path:
        if self.tmp_dir is None:
            raise PostgresHarnessError("PostgreSQL server has no temporary directory yet")
        return self.tmp_dir

    def _bin(self, name: str) -> str:
        if self.bin_dir is None:
            raise PostgresHarnessError("PostgreSQL binaries not located yet")
        return str(self.bin_dir / name)

    # ------------------------------------------------------------- lifecycle
    def start(self) -> Self:
        """initdb + pg_ctl start; wait (up to ``startup_timeout`` s) until it accepts connections.

        Raises :class:`PostgresHarnessError` (with the server log) if anything fails;
        in that case everything already created is cleaned up.
        """
        if self.running:
            raise PostgresHarnessError(f"PostgreSQL server already running on port {self._port}")
        reason = postgres_available()
        if reason is not None:
            raise PostgresHarnessError(reason)
        self.bin_dir = find_bin_dir()
        began = time.monotonic()
        deadline = began + self.startup_timeout
        try:
            self._make_tmp_dir()
            self._initdb()
            self._start_server(deadline)
            self._wait_ready(deadline)
        except BaseException:
            self._teardown()
            raise
        self.startup_seconds = time.monotonic() - began
        if not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True
        logger.info(
            "PostgreSQL (%s) ready on %s:%d in %.2fs, data in %s",
            self.bin_dir,
            HOST,
            self.port,
            self.startup_seconds,
            self.tmp_dir,
        )
        return self

    def stop(self) -> None:
        """``pg_ctl stop -m immediate``, then delete the temporary directory. Idempotent."""
        self._teardown()
        if self._atexit_registered:
            atexit.unregister(self._stop_at_exit)
            self._atexit_registered = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _stop_at_exit(self) -> None:
        try:
            self._teardown()
        except Exception:  # pragma: no cover - best effort at interpreter exit
            logger.exception("failed to stop throwaway PostgreSQL server at exit")

    # ------------------------------------------------------------ databases
    def url(self, name: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) for database ``name`` on this server."""
        return f"postgresql+psycopg://{SERVICE_USER}@{HOST}:{self.port}/{name}"

    def connect(
        self, dbname: str = "postgres", *, autocommit: bool = True
    ) -> psycopg.Connection[TupleRow]:
        """A plain psycopg connection as the ``postgres`` superuser."""
        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=SERVICE_USER,
            dbname=dbname,
            autocommit=autocommit,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name`` and return its SQLAlchemy URL.

        ``name`` must be a plain identifier (letters, digits, underscore; max 63 chars).
        """
        if not _DB_NAME_RE.fullmatch(name):
            raise ValueError(f"unsupported database name {name!r}: use [A-Za-z_][A-Za-z0-9_]*")
        with self.connect("postgres") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        logger.debug("created database %s on port %d", name, self.port)
        return self.url(name)

    def log_text(self) -> str:
        """The server log so far ('' if there is none)."""
        if self.tmp_dir is None:
            return ""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # ------------------------------------------------------------- internals
    def _run(
        self,
        args: Sequence[str],
        *,
        as_service_user: bool,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if as_service_user and self._as_service_user:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        logger.debug("running %s", shlex.join(cmd))
        try:
            return subprocess.run(
                cmd,
                cwd=self.tmp_dir,  # the service user may not be able to enter our cwd
                env=_child_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=max(timeout, 1.0),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresHarnessError(
                f"{shlex.join(cmd)} timed out after {exc.timeout:.0f}s\n"
                f"--- server log ---\n{_tail(self.log_text())}"
            ) from exc

    def _make_tmp_dir(self) -> None:
        tmp_dir = Path(tempfile.mkdtemp(prefix="onewindow-pg-", dir=self.base_dir))
        self.tmp_dir = tmp_dir
        tmp_dir.chmod(0o755)
        if self._as_service_user:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(tmp_dir, user.pw_uid, user.pw_gid)

    def _initdb(self) -> None:
        result = self._run(
            [
                self._bin("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SERVICE_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            as_service_user=True,
            timeout=120.0,
        )
        self._initdb_output = result.stdout + result.stderr
        if result.returncode != 0:
            raise PostgresHarnessError(
                f"initdb failed (exit {result.returncode}):\n{_tail(self._initdb_output)}"
            )

    def _server_options(self, port: int) -> str:
        settings = {
            "listen_addresses": HOST,
            "port": str(port),
            "unix_socket_directories": str(self._require_tmp_dir()),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        return " ".join(f"-c {shlex.quote(f'{key}={value}')}" for key, value in settings.items())

    def _start_server(self, deadline: float) -> None:
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = stable_port()
            remaining = deadline - time.monotonic()
            result = self._run(
                [
                    self._bin("pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_path),
                    "-o",
                    self._server_options(port),
                    "-w",
                    "-t",
                    str(max(int(remaining), 1)),
                    "start",
                ],
                as_service_user=True,
                timeout=remaining + 10.0,
            )
            if result.returncode == 0:
                self._port = port
                return
            log = self.log_text()
            if attempt < _PORT_ATTEMPTS and any(m in log for m in _PORT_IN_USE_MARKERS):
                logger.warning("port %d was taken before PostgreSQL could bind it; retrying", port)
                self._stop_server()  # in case a postmaster is somehow left behind
                continue
            raise PostgresHarnessError(
                f"PostgreSQL failed to start on {HOST}:{port} "
                f"(pg_ctl exit {result.returncode}):\n{result.stdout}{result.stderr}\n"
                f"--- server log ({self.log_path}) ---\n{_tail(log)}"
            )

    def _wait_ready(self, deadline: float) -> None:
        port = self.port
        last = ""
        while True:
            result = self._run(
                [
                    self._bin("pg_isready"),
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "-U",
                    SERVICE_USER,
                    "-d",
                    "postgres",
                    "-t",
                    "1",
                ],
                as_service_user=False,
                timeout=5.0,
            )
            if result.returncode == 0:
                return
            last = (result.stdout + result.stderr).strip()
            if time.monotonic() >= deadline:
                raise PostgresHarnessError(
                    f"PostgreSQL on {HOST}:{port} not accepting connections after "
                    f"{self.startup_timeout:.0f}s (pg_isready: {last or result.returncode}):\n"
                    f"--- server log ({self.log_path}) ---\n{_tail(self.log_text())}"
                )
            time.sleep(0.1)

    def _stop_server(self) -> None:
        if self.tmp_dir is None or not (self.data_dir / "postmaster.pid").exists():
            return
        result = self._run(
            [self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
            as_service_user=True,
            timeout=60.0,
        )
        if result.returncode != 0:
            logger.warning(
                "pg_ctl stop failed (exit %d): %s",
                result.returncode,
                (result.stdout + result.stderr).strip(),
            )

    def _teardown(self) -> None:
        try:
            self._stop_server()
        finally:
            self._port = None
            tmp_dir, self.tmp_dir = self.tmp_dir, None
            if tmp_dir is not None:
                shutil.rmtree(tmp_dir, ignore_errors=True)
                if tmp_dir.exists():
                    logger.warning("could not fully remove %s", tmp_dir)
