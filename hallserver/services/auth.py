"""Logins: scrypt password hashes, server-side sessions, roles admin / manager / staff."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from hallserver.config.models import HallConfig
from hallserver.domain.errors import DomainError, TooMany
from hallserver.domain.privacy import mask_personal
from hallserver.domain.throttle import Backoff, Lockouts
from hallserver.services.admin_audit import audit
from hallserver.services.views import LoginResult, Principal
from hallserver.store.db import Database
from hallserver.store.models import AuthSessionRow, UserRow

logger = logging.getLogger(__name__)

SESSION_HOURS = 12
SESSION_IDLE = timedelta(minutes=30)  # no request for this long ends a session
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last request is written down
SCRYPT_N = 2**14  # cost; each hash records its own, so lowering it (tests) stays verifiable
_SCRYPT_R, _SCRYPT_P = 8, 1


class Role(StrEnum):
    """What a user may do: admin > manager > staff."""

    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"


class LoginFailed(DomainError):
    """Wrong username or password (never says which)."""

    code = "login_failed"

    def __init__(self) -> None:
        super().__init__("用户名或密码错误", "wrong username or password")


class LoginLocked(TooMany):
    """Too many wrong passwords for this account or from this address: wait."""

    code = "login_locked"

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        super().__init__(f"密码错误次数过多，请 {_wait_zh(seconds)}后再试",
                         f"too many wrong passwords; try again in {_wait_en(seconds)}",
                         seconds)


def _wait_zh(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


def _wait_en(seconds: int) -> str:
    return f"{seconds} s" if seconds < 60 else f"{math.ceil(seconds / 60)} min"


# Per account: 5 free tries, then 30 s doubling to 15 min. Per source address (the hall's
# Wi-Fi may put many behind one): 20 free tries, then the same. An attacker gets about
# 100 guesses an hour at one account however many addresses it has, and one address about
# as many across all accounts.
ACCOUNT_BACKOFF = Backoff(free=5)
SOURCE_BACKOFF = Backoff(free=20)


def hash_password(password: str) -> str:
    """A salted scrypt hash in a self-describing string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of a password against a stored hash."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                              n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(computed, base64.b64decode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Users and sessions."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock
        self._dummy_hash = hash_password(secrets.token_hex(8))
        self._accounts = Lockouts(ACCOUNT_BACKOFF)
        self._sources = Lockouts(SOURCE_BACKOFF)
        self._lockouts_lock = threading.Lock()

    def ensure_user(self, username: str, display_name: str, role: Role,
                    password: str | None = None) -> bool:
        """Create a user if missing (setting the password if given); True if created."""
        with self.db.write() as session:
            existing = session.scalar(select(UserRow).where(UserRow.username == username))
            if existing is not None:
                return False
            session.add(UserRow(
                username=username, display_name=display_name, role=Role(role).value,
                password_hash=hash_password(password) if password else None,
                active=True, created_at=self.clock(),
            ))
        return True

    def set_password(self, username: str, password: str) -> None:
        """Set a user's password and end their sessions."""
        with self.db.write() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == username))
            if user is None:
                raise KeyError(username)
            user.password_hash = hash_password(password)
            for s in session.scalars(select(AuthSessionRow).where(
                    AuthSessionRow.user_id == user.id)):
                s.revoked = True

    def seed_staff(self, layout: HallConfig, password: str | None = None) -> int:
        """Create a staff login for every roster member who has none (one transaction);
        returns how many."""
        with self.db.write() as session:
            existing = set(session.scalars(select(UserRow.username).where(
                UserRow.username.in_([s.id for s in layout.staff]))))
            missing = [s for s in layout.staff if s.id not in existing]
            for s in missing:
                session.add(UserRow(
                    username=s.id, display_name=s.name, role=Role.STAFF.value,
                    password_hash=hash_password(password) if password else None,
                    active=True, created_at=self.clock(),
                ))
        return len(missing)

    def login(self, username: str, password: str, source: str = "") -> LoginResult:
        """Check the password and open a session. Wrong passwords lock the account and the
        source address for a growing time (LoginLocked), are logged masked and recorded in
        the administration audit trail."""
        account_key = f"user:{username.casefold()}"
        source_key = f"source:{source}"
        with self._lockouts_lock:
            now = self.clock()
            wait = max(self._accounts.locked_for(account_key, now),
                       self._sources.locked_for(source_key, now))
        if wait > timedelta(0):
            logger.info("login refused while locked: %s from %s", mask_personal(username),
                        source or "?")
            raise LoginLocked(wait)
        # Verify in a read transaction: scrypt is slow and must not hold the hall's write lock.
        with self.db.read() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == username))
            # Hash something either way so timing does not reveal which usernames exist.
            ok = verify_password(password, user.password_hash if user else self._dummy_hash)
        if user is None or not user.active or not ok:
            self._failed(username, source, account_key, source_key)
            raise LoginFailed
        with self._lockouts_lock:
            self._accounts.succeed(account_key)
        with self.db.write() as session:
            token = secrets.token_urlsafe(32)
            now = self.clock()
            expires = now + timedelta(hours=SESSION_HOURS)
            session.add(AuthSessionRow(token_hash=_token_hash(token), user_id=user.id,
                                       created_at=now, expires_at=expires, last_seen_at=now))
            principal = Principal(username=user.username, display_name=user.display_name,
                                  role=Role(user.role).value)
        logger.info("login: %s (%s)", mask_personal(username), principal.role)
        return LoginResult(token=token, expires_at=expires, user=principal)

    def _failed(self, username: str, source: str, account_key: str, source_key: str) -> None:
        with self._lockouts_lock:
            now = self.clock()
            lock = max(self._accounts.fail(account_key, now), self._sources.fail(source_key, now))
            failures = self._accounts.failures(account_key)
        who = mask_personal(username)[:64]
        seconds = math.ceil(lock.total_seconds())
        detail = f"连续 {failures} 次 / {failures} in a row" + (
            f"; 锁定 {_wait_zh(seconds)} / locked {_wait_en(seconds)}" if seconds else "")
        with self.db.write() as session:
            audit(session, self.db.hall_id, now, who, "login.failed", source or "?", detail)
        logger.warning("login failed: %s from %s (%s)", who, source or "?", detail)

    def logout(self, token: str) -> None:
        """End a session."""
        with self.db.write() as session:
            row = session.get(AuthSessionRow, _token_hash(token))
            if row is not None:
                row.revoked = True

    def resolve(self, token: str) -> Principal | None:
        """The user behind a bearer token, or None if unknown, expired (12 h after the
        login, or 30 min after its last request) or revoked."""
        key = _token_hash(token)
        now = self.clock()
        with self.db.read() as session:
            row = session.get(AuthSessionRow, key)
            if row is None or row.revoked or row.expires_at <= now:
                return None
            seen = row.last_seen_at or row.created_at
            if seen + SESSION_IDLE <= now:
                return None
            user = session.get(UserRow, row.user_id)
            if user is None or not user.active:
                return None
            principal = Principal(username=user.username, display_name=user.display_name,
                                  role=Role(user.role).value)
        if now - seen >= SEEN_EVERY:  # a write a minute per session, not one per request
            with self.db.write() as session:
                row = session.get(AuthSessionRow, key)
                if row is not None and (row.last_seen_at is None or row.last_seen_at < now):
                    row.last_seen_at = now
        return principal
