"""A real, throwaway Mosquitto broker for tests, configured by `write_mosquitto_config`.

The files come from :func:`hallserver.bus.mosquitto.write_mosquitto_config` unchanged (so the
tests exercise exactly what production gets), written into a fresh temporary directory with
persistence on, and ``/usr/sbin/mosquitto -c <dir>/mosquitto.conf`` runs as a subprocess on a
free loopback port. Its log (stderr, see the config) goes to ``<dir>/mosquitto.log``.

Mosquitto drops root privileges to the ``mosquitto`` user (``user root`` would keep them, but
that is not what production runs) and only then reads the password and ACL files and writes
its persistence file, so when we are root the whole directory is handed to that user. That is
what an installer has to do too.

Usage::

    reason = mosquitto_available()
    if reason is None:
        with MosquittoServer(hall_id="demo", accounts=accounts) as server:
            ...  # server.host, server.port
            server.restart()  # same port, retained messages and sessions kept
            server.kill()     # SIGKILL, for fault tests (unsaved state is lost)

:meth:`stop` only stops the process (the directory stays, so :meth:`restart` keeps the
persistence file); :meth:`close` (and leaving the ``with`` block) stops it and deletes the
directory. This module does not import pytest; fixtures live in conftest files.
"""

from __future__ import annotations

import atexit
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from hallserver.bus.accounts import BrokerAccount
from hallserver.bus.mosquitto import (
    MOSQUITTO_USER,
    MosquittoFiles,
    hand_to_service_user,
    write_mosquitto_config,
)
from harness.ports import stable_port

logger = logging.getLogger(__name__)

MOSQUITTO_BIN = Path("/usr/sbin/mosquitto")
MOSQUITTO_PASSWD_BIN = Path("/usr/bin/mosquitto_passwd")
SERVICE_USER = MOSQUITTO_USER
"""The user Mosquitto switches to when started as root (its default `user`)."""
HOST = "127.0.0.1"
DEFAULT_STARTUP_TIMEOUT_S = 10.0
DEFAULT_STOP_TIMEOUT_S = 10.0
_PORT_ATTEMPTS = 3
_LOG_TAIL_CHARS = 8_000
_PORT_IN_USE = "Address already in use"


class MosquittoHarnessError(RuntimeError):
    """The throwaway Mosquitto could not be set up, started or stopped."""


def _running_as_root() -> bool:
    return os.geteuid() == 0


def mosquitto_available() -> str | None:
    """None if a throwaway Mosquitto can be started here, else the reason why not."""
    if not os.access(MOSQUITTO_BIN, os.X_OK):
        return f"{MOSQUITTO_BIN} not found; install the Debian 'mosquitto' package"
    if _running_as_root():
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            return (
                f"running as root but there is no {SERVICE_USER!r} user for Mosquitto to "
                "switch to (normally created by the Debian 'mosquitto' package)"
            )
    return None


def _tail(text: str, limit: int = _LOG_TAIL_CHARS) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


class MosquittoServer:
    """A throwaway Mosquitto for one hall on ``127.0.0.1:<port>``, living in a temp dir."""

    def __init__(
        self,
        *,
        hall_id: str,
        accounts: Iterable[BrokerAccount],
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT_S,
        binary: Path = MOSQUITTO_BIN,
    ) -> None:
        self.hall_id = hall_id
        self.accounts = tuple(accounts)
        self.startup_timeout = startup_timeout
        self.binary = binary
        self.host = HOST
        self.tmp_dir: Path | None = None
        self.files: MosquittoFiles | None = None
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._atexit_registered = False

    # ------------------------------------------------------------------ state
    @property
    def port(self) -> int:
        """The port in the config (kept across restarts)."""
        if self.files is None:
            raise MosquittoHarnessError("Mosquitto is not set up")
        return self.files.port

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path:
        if self.tmp_dir is None:
            raise MosquittoHarnessError("Mosquitto has no temporary directory")
        return self.tmp_dir / "mosquitto.log"

    def log_text(self) -> str:
        """Mosquitto's log so far ('' if none)."""
        if self.tmp_dir is None:
            return ""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Self:
        """Write the config into a new temp dir and start Mosquitto on a free port."""
        if self.tmp_dir is not None:
            raise MosquittoHarnessError("already set up; use restart()")
        reason = mosquitto_available()
        if reason is not None:
            raise MosquittoHarnessError(reason)
        began = time.monotonic()
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="onewindow-mosquitto-"))
        if not self._atexit_registered:
            atexit.register(self._close_at_exit)
            self._atexit_registered = True
        try:
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                self._write_config(stable_port())
                try:
                    self._launch()
                    break
                except MosquittoHarnessError:
                    if attempt < _PORT_ATTEMPTS and _PORT_IN_USE in self.log_text():
                        logger.warning("port %d was taken before Mosquitto bound it", self.port)
                        continue
                    raise
        except BaseException:
            self.close()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def restart(self) -> Self:
        """Stop (cleanly, if running) and start again on the same port and persistence."""
        if self.files is None:
            raise MosquittoHarnessError("nothing to restart; call start() first")
        self.stop()
        self._launch()
        return self

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """SIGTERM (Mosquitto saves its persistence file) and wait; SIGKILL if it hangs."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("Mosquitto pid %d ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait(timeout)
        self._reap()

    def kill(self) -> None:
        """SIGKILL: a crash. Whatever was not saved yet is lost."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(DEFAULT_STOP_TIMEOUT_S)
        self._reap()

    def close(self) -> None:
        """Stop the process and delete the temp dir. Idempotent."""
        try:
            self.stop()
        finally:
            tmp_dir, self.tmp_dir, self.files = self.tmp_dir, None, None
            if tmp_dir is not None:
                shutil.rmtree(tmp_dir, ignore_errors=True)
            if self._atexit_registered:
                atexit.unregister(self._close_at_exit)
                self._atexit_registered = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _close_at_exit(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - best effort at interpreter exit
            logger.exception("failed to stop throwaway Mosquitto at exit")

    # ------------------------------------------------------------------ internals
    def _write_config(self, port: int) -> None:
        tmp_dir = self.tmp_dir
        assert tmp_dir is not None
        self.files = write_mosquitto_config(
            tmp_dir,
            hall_id=self.hall_id,
            accounts=self.accounts,
            port=port,
            bind=HOST,
            persistence_dir=tmp_dir / "data",
        )
        hand_to_service_user(tmp_dir)  # Mosquitto reads and writes these as its own user

    def _launch(self) -> None:
        files = self.files
        assert files is not None
        deadline = time.monotonic() + self.startup_timeout
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self._proc = subprocess.Popen(
            [str(self.binary), "-c", str(files.config)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=files.directory,
        )
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._reap()
                raise MosquittoHarnessError(
                    f"Mosquitto exited with {code} while starting on {HOST}:{files.port}\n"
                    f"--- {self.log_path} ---\n{_tail(self.log_text())}"
                )
            try:
                with socket.create_connection((HOST, files.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                self.kill()
                raise MosquittoHarnessError(
                    f"Mosquitto not accepting connections on {HOST}:{files.port} after "
                    f"{self.startup_timeout:.0f}s\n--- {self.log_path} ---\n"
                    f"{_tail(self.log_text())}"
                )
            time.sleep(0.01)

    def _reap(self) -> None:
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
