"""Administration of the hall layout: read it with its version, save a changed document as a
new version after the YAML's own validation and the run-time checks, audited."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hallserver.config.models import HallConfig
from hallserver.config.wording import ROW_KEYS
from hallserver.domain.errors import Conflict
from hallserver.domain.tickets import TicketState
from hallserver.services.admin_audit import audit
from hallserver.services.admin_validation import (
    FieldIssue,
    LayoutInvalid,
    field_issue,
    issues_of,
)
from hallserver.services.auth import AuthService
from hallserver.services.devices import DeviceRegistry
from hallserver.services.hall import HallChange, HallContext
from hallserver.services.views import MAX_ID, Principal, Request, View
from hallserver.store.models import TicketRow, WindowStateRow

OPEN_STATES = (TicketState.WAITING.value, TicketState.CALLED.value, TicketState.SERVING.value)


class StaleVersion(Conflict):
    """The layout changed since the administrator loaded it."""

    code = "stale_version"

    def __init__(self, edited: int, current: int) -> None:
        super().__init__(
            f"布局已被他人修改（您编辑的是第 {edited} 版，当前为第 {current} 版），未保存；"
            "请重新加载后再改",
            f"the layout changed meanwhile (you edited version {edited}, the current one is "
            f"{current}); not saved: reload and edit again",
        )
        self.current = current


class LayoutInUse(Conflict):
    """A change the running hall cannot take now (tickets waiting, someone signed in)."""

    code = "layout_in_use"

    def __init__(self, issues: list[FieldIssue]) -> None:
        first = issues[0]
        super().__init__(f"布局未保存：{first.where}：{first.message}",
                         f"layout not saved: {first.where_en}: {first.message_en}")
        self.issues = issues

    def as_dict(self) -> dict[str, Any]:
        """The problem body plus every located issue."""
        body: dict[str, Any] = dict(super().as_dict())
        body["errors"] = [i.as_dict() for i in self.issues]
        return body


class LayoutSave(Request):
    """A whole layout document and the version it was edited from."""

    version: int = Field(ge=0, le=MAX_ID, description="the version the document was loaded at")
    document: dict[str, Any] = Field(description="the hall layout, as in hall.yaml")


class LayoutDocument(View):
    """The current layout with its version and who saved it."""

    version: int
    created_at: datetime
    created_by: str | None
    source: str
    document: dict[str, Any]
    warnings: list[str]


class LayoutSaved(LayoutDocument):
    """The outcome of a save: the new (or unchanged) version and what changed."""

    changed: bool
    changes: list[str]


class LayoutVersion(View):
    """One stored layout version (the layout's own audit trail)."""

    version: int
    created_at: datetime
    created_by: str | None
    source: str


def _keyed(document: dict[str, Any], section: str) -> dict[str, Any]:
    key = ROW_KEYS[section]
    return {str(row.get(key)): row for row in document.get(section) or []
            if isinstance(row, dict)}


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two layout documents, one line per section."""
    lines = []
    for section in new.keys() | old.keys():
        if old.get(section) == new.get(section):
            continue
        if section not in ROW_KEYS:
            lines.append(f"{section} changed")
            continue
        before, after = _keyed(old, section), _keyed(new, section)
        parts = []
        if added := sorted(after.keys() - before.keys()):
            parts.append(f"added {', '.join(added)}")
        if removed := sorted(before.keys() - after.keys()):
            parts.append(f"removed {', '.join(removed)}")
        for k in sorted(before.keys() & after.keys()):
            if before[k] != after[k]:
                fields = sorted(f for f in before[k].keys() | after[k].keys()
                                if before[k].get(f) != after[k].get(f))
                parts.append(f"{k} ({', '.join(fields)})")
        if not parts:
            parts.append("order changed")
        lines.append(f"{section}: {'; '.join(parts)}")
    return sorted(lines)


class LayoutAdmin:
    """Reads and saves the hall layout for administrators."""

    def __init__(self, ctx: HallContext, devices: DeviceRegistry, auth: AuthService) -> None:
        self.ctx = ctx
        self.devices = devices
        self.auth = auth

    def current(self) -> LayoutDocument:
        """The newest layout document with its version."""
        with self.ctx.db.read() as session:
            row = self.ctx.layout.latest(session)
            cfg = self.ctx.layout.current(session)
        assert row is not None  # current() raised otherwise
        return LayoutDocument(version=row.version, created_at=row.created_at,
                              created_by=row.created_by, source=row.source,
                              document=dict(row.document), warnings=cfg.roster_warnings())

    def history(self, limit: int = 50) -> list[LayoutVersion]:
        """Stored versions, newest first."""
        with self.ctx.db.read() as session:
            return [LayoutVersion.model_validate(r)
                    for r in self.ctx.layout.history(session, limit)]

    def save(self, req: LayoutSave, user: Principal) -> LayoutSaved:
        """Validate the document as hall.yaml is validated, check it against the running
        hall, and store it as the next version (refused if the version is stale)."""
        try:
            cfg = HallConfig.model_validate(req.document)
        except ValidationError as exc:
            raise LayoutInvalid(issues_of(req.document, exc)) from None
        new_doc = cfg.model_dump(mode="json")
        ctx = self.ctx
        with ctx.db.write() as session:
            row = ctx.layout.latest(session)
            assert row is not None
            if req.version != row.version:
                raise StaleVersion(req.version, row.version)
            old_cfg = ctx.layout.current(session)
            self._check_fixed(req.document, old_cfg, cfg)
            self._check_in_use(session, req.document, old_cfg, cfg)
            changes = describe_changes(dict(row.document), new_doc)
            version = ctx.layout.save(cfg, source=f"admin:{user.username}",
                                      actor=user.username)
            changed = version != row.version
            if changed:
                audit(session, ctx.hall_id, ctx.clock(), user.username, "layout.save",
                      f"v{version}", json.dumps(changes, ensure_ascii=False))
                ctx.changed(HallChange("layout"))
        if changed:
            # New roster members get a login without a password (set it under 账号).
            self.auth.seed_staff(cfg)
        saved = self.current()
        return LayoutSaved(**saved.model_dump(), changed=changed, changes=changes)

    @staticmethod
    def _check_fixed(document: dict[str, Any], old: HallConfig, new: HallConfig) -> None:
        """Refuse changing what the rest of the system is keyed on."""
        if new.hall.id != old.hall.id:
            raise LayoutInvalid([field_issue(
                document, ("hall", "id"),
                f"大厅编号不能在线修改（MQTT 主题和数据库都以它为键），应为 {old.hall.id}",
                f"the hall id cannot change at run time (MQTT topics and the database are "
                f"keyed on it); keep {old.hall.id!r}")])

    def _check_in_use(self, session: Session, document: dict[str, Any], old: HallConfig,
                      new: HallConfig) -> None:
        """Refuse removing what the running hall still uses."""
        issues: list[FieldIssue] = []
        hall_id = self.ctx.hall_id
        today = self.ctx.today(old)
        open_by_category = dict(session.execute(
            select(TicketRow.category, func.count()).where(
                TicketRow.hall_id == hall_id, TicketRow.service_day == today,
                TicketRow.state.in_(OPEN_STATES)).group_by(TicketRow.category)).all())
        new_codes = {c.code: i for i, c in enumerate(new.categories)}
        for c in old.categories:
            n = open_by_category.get(c.code, 0)
            if c.code not in new_codes and n:
                issues.append(field_issue(
                    document, ("categories",),
                    f"业务类别 {c.code}（{c.name.zh}）今天还有 {n} 张未办结的号，不能删除",
                    f"category {c.code!r} still has {n} open tickets today; cannot remove it"))
        issued_today = set(session.scalars(select(TicketRow.category).distinct().where(
            TicketRow.hall_id == hall_id, TicketRow.service_day == today)))
        for c in old.categories:
            if c.code in new_codes and c.code in issued_today:
                i = new_codes[c.code]
                if new.categories[i].prefix != c.prefix:
                    issues.append(field_issue(
                        document, ("categories", i, "prefix"),
                        f"业务类别 {c.code} 今天已经取过号，号码前缀今天不能再改（号码会重复）",
                        f"category {c.code!r} issued tickets today; its prefix can change "
                        "from tomorrow (numbers would clash)"))
        new_items = {i.code for i in new.items}
        gone_items = [i.code for i in old.items if i.code not in new_items]
        if gone_items:
            for code, n in session.execute(select(TicketRow.item_code, func.count()).where(
                    TicketRow.hall_id == hall_id, TicketRow.service_day == today,
                    TicketRow.state.in_(OPEN_STATES), TicketRow.item_code.in_(gone_items))
                    .group_by(TicketRow.item_code)).all():
                issues.append(field_issue(
                    document, ("items",),
                    f"事项 {code} 今天还有 {n} 张未办结的号，不能删除",
                    f"item {code!r} still has {n} open tickets today; cannot remove it"))
        issues += self._window_issues(session, document, old, new, today)
        if issues:
            raise LayoutInUse(issues)

    def _window_issues(self, session: Session, document: dict[str, Any], old: HallConfig,
                       new: HallConfig, today: Any) -> list[FieldIssue]:
        issues: list[FieldIssue] = []
        hall_id = self.ctx.hall_id
        kept = {w.number for w in new.windows}
        gone = [w.number for w in old.windows if w.number not in kept]
        states = {s.number: s for s in session.scalars(select(WindowStateRow).where(
            WindowStateRow.hall_id == hall_id, WindowStateRow.number.in_(gone)))}
        targeted = dict(session.execute(select(TicketRow.target_window, func.count()).where(
            TicketRow.hall_id == hall_id, TicketRow.service_day == today,
            TicketRow.state.in_(OPEN_STATES), TicketRow.target_window.in_(gone))
            .group_by(TicketRow.target_window)).all())
        for number in gone:
            state = states.get(number)
            if state is not None and (state.staff_id or state.current_ticket_id):
                issues.append(field_issue(
                    document, ("windows",),
                    f"{number} 号窗口有人在岗（工号 {state.staff_id or '—'}），签退后才能删除",
                    f"window {number} is staffed ({state.staff_id or '-'}); sign out first"))
            if targeted.get(number):
                issues.append(field_issue(
                    document, ("windows",),
                    f"有 {targeted[number]} 张号转给了 {number} 号窗口，办完后才能删除",
                    f"{targeted[number]} tickets were transferred to window {number}; "
                    "cannot remove it yet"))
            bound = sorted(d.id for d in self.devices.known.values() if d.window == number)
            if bound:
                issues.append(field_issue(
                    document, ("windows",),
                    f"设备 {', '.join(bound)} 绑定在 {number} 号窗口：先修改设备配置"
                    "（firmware_configs）并重新部署，再删除窗口",
                    f"devices {', '.join(bound)} belong to window {number}: change their "
                    "config files (firmware_configs) and re-provision first"))
        zones = {z.id for z in new.zones}
        for d in sorted(self.devices.known.values(), key=lambda d: d.id):
            if d.zone and d.zone not in zones:
                issues.append(field_issue(
                    document, ("zones",),
                    f"设备 {d.id} 配置在区域 {d.zone}，不能删除该区域",
                    f"device {d.id} is configured in zone {d.zone!r}; cannot remove it"))
        return issues
