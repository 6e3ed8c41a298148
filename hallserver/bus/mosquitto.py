"""Mosquitto (2.0) configuration for one hall: `mosquitto.conf`, `passwd` and `acl`.

`write_mosquitto_config` writes the three files into a directory. The ACL comes only from
`devices.protocol.topics` (through `hallserver.bus.accounts`): devices get `pattern` lines
(`%u` is the username, which is the device id), the hall server's account gets a `user` block.

The password file uses Mosquitto 2.0's own format, which `mosquitto_passwd` writes too:
`username:$7$<iterations>$<base64 salt, 12 bytes>$<base64 PBKDF2-HMAC-SHA512, 64 bytes>`
(101 iterations is what `mosquitto_passwd` 2.0 uses). It is written with mode 0600.

Mosquitto reads these files after dropping root privileges (to the `mosquitto` user by
default), so they must be that user's: `hand_files_to_service_user` (called by
`hallserver broker-config` when run as root) gives it `passwd`, `acl` and the persistence
directory and names any directory above them it cannot enter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import pwd
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from devices.protocol import messages as m
from devices.protocol.topics import device_acl, server_acl
from hallserver.bus.accounts import BrokerAccount, check_accounts

MOSQUITTO_HASH_ID = 7
"""`$7$` = PBKDF2-HMAC-SHA512 in Mosquitto 2.0's password file."""
MOSQUITTO_ITERATIONS = 101
"""The iteration count `mosquitto_passwd` 2.0 writes (the file records it per line)."""
_SALT_BYTES = 12
CONFIG_NAME = "mosquitto.conf"
PASSWD_NAME = "passwd"  # noqa: S105 - a file name, not a password
ACL_NAME = "acl"
_ACCESS = ("read", "write", "readwrite")


@dataclass(frozen=True)
class MosquittoFiles:
    """Where `write_mosquitto_config` put things (all absolute paths)."""

    directory: Path
    config: Path
    passwd: Path
    acl: Path
    persistence_dir: Path | None
    port: int
    bind: str


def mosquitto_password_hash(
    password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS
) -> str:
    """The `$7$...` hash of `password` (a fresh random salt unless one is given)."""
    if salt is None:
        salt = secrets.token_bytes(_SALT_BYTES)
    if iterations < 1:
        raise ValueError("iterations must be positive")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"${MOSQUITTO_HASH_ID}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_mosquitto_password(password: str, encoded: str) -> bool:
    """Whether `password` matches a `$7$` hash (constant-time compare); False if malformed."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != str(MOSQUITTO_HASH_ID):
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    if iterations < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(digest, expected)


def password_file_text(accounts: Iterable[BrokerAccount]) -> str:
    """The `passwd` file: one `username:$7$...` line per account."""
    return "".join(
        f"{a.username}:{mosquitto_password_hash(a.password)}\n" for a in check_accounts(accounts)
    )


def acl_file_text(hall_id: str, accounts: Iterable[BrokerAccount]) -> str:
    """The `acl` file: device `pattern` lines, then a `user` block per server account."""
    checked = check_accounts(accounts)
    lines = [
        f"# Broker ACL for hall {hall_id}, generated from devices.protocol.topics: do not edit.",
        "# Mosquitto denies everything not granted here.",
        "#",
        "# Every device: its username is its device id (%u), unique within the hall.",
        "# It writes only its own status and events, reads only its own status, state and",
        "# commands and the server's status. (Mosquitto warns that the server-status line has",
        "# no %u or %c: expected, it is the same topic for every device.)",
    ]
    lines += [f"pattern {_access(rule.access)} {rule.pattern}" for rule in device_acl(hall_id)]
    for account in checked:
        if account.role != "server":
            continue
        lines += ["", "# The hall server's own account.", f"user {account.username}"]
        lines += [f"topic {_access(rule.access)} {rule.pattern}" for rule in server_acl(hall_id)]
    return "\n".join(lines) + "\n"


def _access(access: str) -> str:
    if access not in _ACCESS:
        raise ValueError(f"unknown ACL access {access!r}")
    return access


MAX_PACKET_BYTES = m.MAX_PAYLOAD_BYTES + 1024  # a payload, its topic and the header
MAX_QUEUED_BYTES = 64 * 1024 * 1024  # per client: ten thousand ordinary events fit many times
MAX_QUEUED_MESSAGES = 10_000  # per client (Mosquitto's default 1000 dropped a restart burst)


def config_file_text(
    *,
    hall_id: str,
    port: int,
    bind: str,
    passwd: Path,
    acl: Path,
    persistence_dir: Path | None,
    max_queued_messages: int,
    max_inflight_messages: int = 20,
) -> str:
    """The `mosquitto.conf` text (paths must be absolute)."""
    for path in (passwd, acl, *([persistence_dir] if persistence_dir else [])):
        if not path.is_absolute():
            raise ValueError(f"mosquitto.conf needs absolute paths, got {path}")
    if persistence_dir is not None:
        persistence = (
            "# Keep retained messages (display state, birth/will status), persistent sessions\n"
            "# and their queued QoS 1/2 messages across restarts. Saved on a clean shutdown\n"
            "# and every autosave_interval seconds (a crash loses at most that much; the hall\n"
            "# server republishes state on reconnect anyway).\n"
            "persistence true\n"
            f"persistence_location {persistence_dir}\n"
            "autosave_interval 60\n"
        )
    else:
        persistence = (
            "# No persistence: retained messages and sessions live in memory only.\n"
            "persistence false\n"
        )
    return f"""\
# Mosquitto 2.0 configuration for hall {hall_id}.
# Generated by hallserver.bus.mosquitto: do not edit, regenerate.

# Authentication and ACL settings apply to every listener (set first, before any listener).
per_listener_settings false

# One TCP listener, MQTT 3.1.1 and 5, bound only to this address.
listener {port} {bind}

# Every client must log in: no anonymous access.
allow_anonymous false

# username:$7$... lines (PBKDF2-SHA512), mode 0600, readable by the mosquitto user.
password_file {passwd}

# Who may publish (write) and receive (read) which topics; everything else is denied.
acl_file {acl}

# The client id is replaced by the username (= device id), so one device cannot kick
# another off by connecting with its client id.
use_username_as_clientid true

# Per-client queue of QoS 1/2 messages beyond those in flight. The default (1000) dropped
# messages under a burst; the hall server publishes many commands at once after a restart.
max_queued_messages {max_queued_messages}
# And in bytes: a device's secret sits on its disk in the public hall, so one stolen
# password must not queue hundreds of megabytes for a stopped server.
max_queued_bytes {MAX_QUEUED_BYTES}

# No packet larger than the protocol's own largest message (payload plus topic and
# header): a client sending one is disconnected, and nothing that large is kept retained.
max_packet_size {MAX_PACKET_BYTES}

# Outgoing QoS 1/2 messages in flight per client at once (Mosquitto's default).
max_inflight_messages {max_inflight_messages}

# Retained messages carry display state and online/offline status: keep them on.
retain_available true

# Send small packets at once: with Nagle's algorithm a reply waits for the peer's delayed
# ACK (about 40 ms on Linux) behind the PUBACK before it.
set_tcp_nodelay true

{persistence}
# Log to stderr: unbuffered (stdout is block-buffered when it is not a terminal, so lines
# would arrive late); journald or the service supervisor keeps it.
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
log_timestamp true
log_timestamp_format %Y-%m-%dT%H:%M:%S
connection_messages true
"""


def _write_atomic(path: Path, text: str, mode: int) -> None:
    """Write `text` to `path` with `mode`, replacing it atomically (never briefly wider)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed it
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_mosquitto_config(
    outdir: Path,
    *,
    hall_id: str,
    accounts: Iterable[BrokerAccount],
    port: int = 1883,
    bind: str = "127.0.0.1",
    persistence_dir: Path | None = None,
    max_queued_messages: int = MAX_QUEUED_MESSAGES,
) -> MosquittoFiles:
    """Write `mosquitto.conf`, `passwd` (0600) and `acl` for `hall_id` into `outdir`.

    `outdir` (and `persistence_dir`, when given) are created if missing; paths written into
    `mosquitto.conf` are absolute. Raises ValueError on bad arguments or accounts.
    """
    checked = check_accounts(accounts)
    if not any(a.role == "server" for a in checked):
        raise ValueError("no server account: the hall server could not log in")
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range")
    if not bind or any(ch.isspace() for ch in bind):
        raise ValueError(f"bad bind address {bind!r}")
    if max_queued_messages < 1:
        raise ValueError("max_queued_messages must be positive (0 would mean unlimited)")
    acl_text = acl_file_text(hall_id, checked)  # validates hall_id
    directory = Path(outdir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    persist = None
    if persistence_dir is not None:
        persist = Path(persistence_dir).resolve()
        persist.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = MosquittoFiles(
        directory=directory,
        config=directory / CONFIG_NAME,
        passwd=directory / PASSWD_NAME,
        acl=directory / ACL_NAME,
        persistence_dir=persist,
        port=port,
        bind=bind,
    )
    _write_atomic(files.passwd, password_file_text(checked), 0o600)
    _write_atomic(files.acl, acl_text, 0o644)
    _write_atomic(
        files.config,
        config_file_text(
            hall_id=hall_id,
            port=port,
            bind=bind,
            passwd=files.passwd,
            acl=files.acl,
            persistence_dir=persist,
            max_queued_messages=max_queued_messages,
        ),
        0o644,
    )
    return files


MOSQUITTO_USER = "mosquitto"


def hand_to_service_user(directory: Path) -> None:
    """When run as root, give `directory` (config, passwd, acl, persistence) to the user
    Mosquitto drops to before it reads them; a no-op otherwise."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(MOSQUITTO_USER)
    for path in (directory, *directory.rglob("*")):
        os.chown(path, user.pw_uid, user.pw_gid)


def hand_files_to_service_user(files: MosquittoFiles, user: str = MOSQUITTO_USER) -> list[str]:
    """When run as root, give what Mosquitto opens after dropping root to `user`: `passwd`
    (still 0600), `acl` and the persistence directory (`mosquitto.conf` is read before, as
    root, and stays root's). Returns what still stands in the way, for the operator: no
    such user here, or a directory above the files that user cannot enter. A no-op when not
    root (Mosquitto then runs as the same user that owns the files)."""
    if os.geteuid() != 0:
        return []
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return [f"no {user!r} user on this machine: where Mosquitto runs, give {files.passwd}, "
                f"{files.acl}" + (f" and {files.persistence_dir}" if files.persistence_dir
                                  else "") + f" to the user it runs as (chown {user}:)"]
    owned = [files.passwd, files.acl]
    if files.persistence_dir is not None:
        owned += [files.persistence_dir, *files.persistence_dir.rglob("*")]
    for path in owned:
        os.chown(path, account.pw_uid, account.pw_gid)
    return [f"{user} cannot enter {d} (chmod o+x {d}, or write the files elsewhere)"
            for d in _closed_directories(files.directory, account)]


def _closed_directories(directory: Path, account: pwd.struct_passwd) -> list[Path]:
    """Directories from `/` down to `directory` that `account` may not enter."""
    closed = []
    for d in [*reversed(directory.parents), directory]:
        st = d.stat()
        if st.st_uid == account.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid == account.pw_gid:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            closed.append(d)
    return closed
