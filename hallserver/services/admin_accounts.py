"""Administration of logins: list, create, reset password, enable/disable, change role.

Passwords are hashed as AuthService hashes them and never leave the server. An administrator
cannot disable or demote themselves, and the hall always keeps one active admin."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallserver.domain.errors import Conflict, InvalidRequest, NotAllowed, NotFound
from hallserver.services.admin_audit import audit
from hallserver.services.auth import Role, hash_password
from hallserver.services.hall import HallContext
from hallserver.services.views import Principal, Request, View
from hallserver.store.models import AuthSessionRow, UserRow

MIN_PASSWORD = 8
RoleName = Literal["admin", "manager", "staff"]
ROLE_ZH = {"admin": "系统管理员", "manager": "大厅主任", "staff": "窗口人员"}


class UserView(View):
    """A login as administrators see it (never its password or hash)."""

    username: str
    display_name: str
    role: RoleName
    active: bool
    has_password: bool
    on_roster: bool
    created_at: datetime
    last_login: datetime | None


class CreateUser(Request):
    """A new login."""

    username: str = Field(pattern=r"^[0-9A-Za-z._-]{2,32}$",
                          description="user name; staff use their 工号")
    display_name: str = Field(min_length=1, max_length=64)
    role: RoleName
    password: str = Field(min_length=MIN_PASSWORD, max_length=256)


class UpdateUser(Request):
    """Changes to a login; omitted fields stay as they are."""

    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: RoleName | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=256,
                                 description="a new password (ends the user's sessions)")


class AccountAdmin:
    """Logins of the hall, managed by administrators."""

    def __init__(self, ctx: HallContext) -> None:
        self.ctx = ctx

    def list(self) -> list[UserView]:
        """Every login, admins first."""
        order = {"admin": 0, "manager": 1, "staff": 2}
        with self.ctx.db.read() as session:
            roster = {s.id for s in self.ctx.layout.current(session).staff}
            last = dict(session.execute(select(AuthSessionRow.user_id,
                                               func.max(AuthSessionRow.created_at))
                                        .group_by(AuthSessionRow.user_id)).all())
            users = list(session.scalars(select(UserRow)))
            views = [self._view(u, roster, last.get(u.id)) for u in users]
        return sorted(views, key=lambda v: (order[v.role], v.username))

    def create(self, req: CreateUser, actor: Principal) -> UserView:
        """Add a login (the user name must be new)."""
        _check_password(req.password, req.username)
        with self.ctx.db.write() as session:
            if session.scalar(select(UserRow).where(UserRow.username == req.username)):
                raise Conflict(f"用户名 {req.username} 已存在",
                               f"user name {req.username!r} is taken")
            user = UserRow(username=req.username, display_name=req.display_name,
                           role=Role(req.role).value, password_hash=hash_password(req.password),
                           active=True, created_at=self.ctx.clock())
            session.add(user)
            session.flush()
            audit(session, self.ctx.hall_id, self.ctx.clock(), actor.username, "user.create",
                  req.username, f"role {req.role}")
            return self._view(user, self._roster(session), None)

    def update(self, username: str, req: UpdateUser, actor: Principal) -> UserView:
        """Change a login's name, role, state or password."""
        if req.password is not None:
            _check_password(req.password, username)
        with self.ctx.db.write() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == username))
            if user is None:
                raise NotFound(f"没有用户 {username}", f"no user {username!r}")
            self._check_rules(session, user, req, actor)
            done = []
            if req.display_name is not None and req.display_name != user.display_name:
                user.display_name = req.display_name
                done.append("display name")
            if req.role is not None and req.role != user.role:
                done.append(f"role {user.role} -> {req.role}")
                user.role = Role(req.role).value
            if req.active is not None and req.active != user.active:
                user.active = req.active
                done.append("enabled" if req.active else "disabled")
                if not req.active:
                    self._end_sessions(session, user)
            if req.password is not None:
                user.password_hash = hash_password(req.password)
                self._end_sessions(session, user)
                done.append("password reset")
            if done:
                audit(session, self.ctx.hall_id, self.ctx.clock(), actor.username,
                      "user.update", username, "; ".join(done))
            last = session.scalar(select(func.max(AuthSessionRow.created_at))
                                  .where(AuthSessionRow.user_id == user.id))
            return self._view(user, self._roster(session), last)

    def _check_rules(self, session: Session, user: UserRow, req: UpdateUser,
                     actor: Principal) -> None:
        myself = user.username == actor.username
        if myself and req.active is False:
            raise NotAllowed("不能停用自己的账号", "you cannot disable your own account")
        if myself and req.role is not None and req.role != user.role:
            raise NotAllowed("不能修改自己的角色，请另一位管理员操作",
                             "you cannot change your own role; ask another admin")
        loses_admin = user.role == Role.ADMIN.value and user.active and (
            req.active is False or (req.role is not None and req.role != Role.ADMIN.value))
        if loses_admin:
            admins = session.scalar(select(func.count()).select_from(UserRow).where(
                UserRow.role == Role.ADMIN.value, UserRow.active.is_(True)))
            if (admins or 0) <= 1:
                raise Conflict("这是最后一个可用的管理员账号，不能停用或降级",
                               "this is the last active admin; it cannot be disabled or "
                               "demoted")

    @staticmethod
    def _end_sessions(session: Session, user: UserRow) -> None:
        for s in session.scalars(select(AuthSessionRow).where(
                AuthSessionRow.user_id == user.id, AuthSessionRow.revoked.is_(False))):
            s.revoked = True

    def _roster(self, session: Session) -> set[str]:
        return {s.id for s in self.ctx.layout.current(session).staff}

    @staticmethod
    def _view(user: UserRow, roster: set[str], last: datetime | None) -> UserView:
        return UserView(username=user.username, display_name=user.display_name,
                        role=Role(user.role).value, active=user.active,
                        has_password=bool(user.password_hash),
                        on_roster=user.username in roster, created_at=user.created_at,
                        last_login=last)


def _check_password(password: str, username: str) -> None:
    if password.strip() != password or len(set(password)) < 4 or username in password:
        raise InvalidRequest(
            "密码太简单：至少 8 位，不含用户名，不要首尾空格，至少 4 种不同字符",
            "password too weak: at least 8 characters, not containing the user name, no "
            "leading or trailing spaces, at least 4 different characters")
